"""One training step of any mode, as train/step.ts composes it: the mode's loss and gradient (teacher:
the diffusion loss; sCT and sCD: the two-pass sCM loss), then optim.apply_step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

import torch

from .models import Params, TwinNet
from .objectives import Batch, scm_loss_and_grads, teacher_loss_and_grads
from .optim import GradientReduce, StepResult, TrainState, apply_step


@dataclass
class Teacher:
    """The frozen teacher of an sCD run: its network and EMA weights (PyTorch layout)."""

    net: TwinNet
    params: Params


def train_step(state: TrainState, net: TwinNet, batch: Batch, train: Mapping, teacher: Optional[Teacher] = None, reduce: Optional[GradientReduce] = None) -> StepResult:
    """One step of train["mode"] in place on this process's part of the batch; `reduce` averages over processes."""
    mode = train["mode"]
    if mode == "scd" and teacher is None:
        raise ValueError("an sCD step needs its teacher")

    def loss_and_grads(s: Mapping[str, float]) -> Tuple[torch.Tensor, Params]:
        if mode == "teacher":
            return teacher_loss_and_grads(net, state.params, batch, train["sigmaD"])
        t_net, t_params = (teacher.net, teacher.params) if mode == "scd" and teacher is not None else (None, None)
        loss, grads, _ = scm_loss_and_grads(net, state.params, t_net, t_params, batch, train["sigmaD"], s["scm.r"], train["tangentNormalize"], train["tangentC"])
        return loss, grads

    return apply_step(state, loss_and_grads, train, reduce)


def scd_train_step(state: TrainState, net: TwinNet, teacher: TwinNet, teacher_params: Params, batch: Batch, train: Mapping) -> StepResult:
    """One sCD step in place on a single process (bench/gpu's entry point)."""
    return train_step(state, net, batch, {**train, "mode": "scd"}, Teacher(teacher, teacher_params))


def teacher_train_step(state: TrainState, net: TwinNet, batch: Batch, train: Mapping) -> StepResult:
    """One diffusion (teacher) step in place on a single process."""
    return train_step(state, net, batch, {**train, "mode": "teacher"})
