"""Optimisation as core does it (optim/adam.ts, clip.ts, guard.ts, ema.ts, schedule.ts and the step
scalars of train/step.ts): global-norm clipping, the NaN/Inf guard, Adam or RAdam with the bias
corrections folded into host scalars, the EMA (power or half-life) and the learning-rate schedules.
Parameters, moments and EMA are held in PyTorch layout; the moments under core's names
(`adam.m.<param>`) are only used at the checkpoint's boundary."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import torch

from .models import Params

CLIP_NORM_EPS = 1e-6


def lr_at(schedule: Mapping, step: int) -> float:
    if schedule["kind"] == "constant":
        return float(schedule["lr"])
    warm = min(step / schedule["warmupSteps"], 1) if schedule.get("warmupSteps", 0) > 0 else 1
    if schedule["kind"] == "inverse-sqrt":
        return warm * schedule["lr"] / math.sqrt(max(step / schedule["refSteps"], 1))
    if schedule["kind"] == "cosine":
        return warm * schedule["lr"] * (1 + math.cos(math.pi * (min(step, schedule["decaySteps"]) - 1) / schedule["decaySteps"])) / 2
    raise ValueError(f"unknown lr schedule {schedule['kind']!r}")


RADAM_MIN_RHO = 5


def optimizer_scalars(kind: str, step: int, lr: float, beta1: float, beta2: float, eps: float) -> Dict[str, float]:
    """optim/adam.ts's host scalars, the bias corrections folded into the step size and eps.
    Adam: p -= lr sqrt(bc2)/bc1 * m / (sqrt(v) + eps sqrt(bc2)). RAdam: the rectified step once rho > 5,
    momentum SGD with bias-corrected m (`adaptive` 0) before."""
    bc1 = 1 - beta1**step
    bc2 = 1 - beta2**step
    if kind == "adam":
        return {"adam.stepSize": lr * math.sqrt(bc2) / bc1, "adam.eps": eps * math.sqrt(bc2)}
    if kind != "radam":
        raise NotImplementedError(f"optimizer {kind!r}: scm_torch implements adam and radam")
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - (2 * step * beta2**step) / bc2
    adaptive = rho > RADAM_MIN_RHO
    rect = math.sqrt(((rho - 4) * (rho - 2) * rho_inf) / ((rho_inf - 4) * (rho_inf - 2) * rho)) if adaptive else 0.0
    return {"radam.stepSize": (lr * rect * math.sqrt(bc2)) / bc1 if adaptive else lr / bc1, "radam.eps": eps, "radam.adaptive": 1.0 if adaptive else 0.0}


def _sigma_rel_of(gamma: float) -> float:
    return math.sqrt((gamma + 1) / ((gamma + 2) ** 2 * (gamma + 3)))


def power_ema_gamma(sigma_rel: float) -> float:
    """EDM2's exponent whose power-function profile has relative width sigma_rel (bisection, as ema.ts)."""
    if not 0 < sigma_rel <= _sigma_rel_of(0):
        raise ValueError(f"sigma_rel must lie in (0, {_sigma_rel_of(0):.4f}], got {sigma_rel}")
    lo, hi = 0.0, 1.0
    while _sigma_rel_of(hi) > sigma_rel:
        hi *= 2
    while True:
        mid = (lo + hi) / 2
        if mid <= lo or mid >= hi:
            return hi
        if _sigma_rel_of(mid) > sigma_rel:
            lo = mid
        else:
            hi = mid


def ema_decay(ema: Mapping, step: int) -> float:
    if ema["kind"] == "power":
        return (1 - 1 / step) ** (power_ema_gamma(ema["sigmaRel"]) + 1)
    return 0.5 ** (1 / ema["halfLifeSteps"])


def tangent_warmup(step: int, warmup_steps: float) -> float:
    return 1.0 if warmup_steps <= 0 else min(1.0, step / warmup_steps)


def step_scalars(train: Mapping, step: int) -> Dict[str, float]:
    """The host scalars of 1-based `step` under core's names (train/step.ts stepScalars)."""
    out = optimizer_scalars(train["optimizer"], step, lr_at(train["lr"], step), train["beta1"], train["beta2"], train["eps"])
    out["ema.decay"] = ema_decay(train["ema"], step)
    if train["mode"] != "teacher":
        out["scm.r"] = tangent_warmup(step, train["tangentWarmup"])
    return out


@dataclass
class TrainState:
    """Params, Adam moments and EMA, all in PyTorch layout; `step` = steps completed, `skipped` = guarded steps."""

    params: Params
    m: Params
    v: Params
    ema: Params
    step: int = 0
    skipped: int = 0

    @staticmethod
    def fresh(params: Params) -> "TrainState":
        """initState: EMA = params, zero moments."""
        return TrainState({k: v.clone() for k, v in params.items()}, {k: torch.zeros_like(v) for k, v in params.items()},
                          {k: torch.zeros_like(v) for k, v in params.items()}, {k: v.clone() for k, v in params.items()})


@dataclass
class StepResult:
    loss: float
    grad_norm: float
    applied: bool
    scalars: Dict[str, float] = field(default_factory=dict)


# Averages the loss and the gradients over the data-parallel processes, in place (distributed.py).
GradientReduce = Callable[[torch.Tensor, List[torch.Tensor]], torch.Tensor]


def apply_step(
    state: TrainState, loss_and_grads: Callable[[Mapping[str, float]], Tuple[torch.Tensor, Params]], train: Mapping, reduce: Optional[GradientReduce] = None
) -> StepResult:
    """One step in place: loss and gradient (averaged over processes by `reduce`), global-norm clipping,
    the NaN/Inf guard, Adam or RAdam, EMA.

    The guard reads three scalars to the host (PyTorch's usual way to skip a step); everything else
    stays on the device. Updates use the multi-tensor (_foreach) ops.
    """
    step = state.step + 1
    s = step_scalars(train, step)
    names = sorted(state.params)  # core's canonical order, which its global norm sums in
    loss, grads = loss_and_grads(s)
    g = [grads[k] for k in names]
    if reduce is not None:
        loss = reduce(loss, g)
    kind = train["optimizer"]
    with torch.no_grad():
        norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(g)))  # sqrt of the sum of all squares
        max_norm = train["clip"] if train["clip"] > 0 else math.inf
        scale = (torch.tensor(max_norm, dtype=norm.dtype, device=norm.device) / (norm + CLIP_NORM_EPS)).clamp(max=1.0)
        loss_v, norm_v, scale_v = torch.stack([loss, norm, scale]).tolist()
        applied = math.isfinite(loss_v + norm_v)
        if applied:
            params = [state.params[k] for k in names]
            m = [state.m[k] for k in names]
            v = [state.v[k] for k in names]
            if scale_v != 1.0:
                g = torch._foreach_mul(g, scale_v)
            beta1, beta2 = train["beta1"], train["beta2"]
            torch._foreach_mul_(m, beta1)
            torch._foreach_add_(m, g, alpha=1 - beta1)
            torch._foreach_mul_(v, beta2)
            torch._foreach_addcmul_(v, g, g, value=1 - beta2)
            if kind == "radam" and s["radam.adaptive"] == 0:
                torch._foreach_add_(params, m, alpha=-s["radam.stepSize"])
            else:
                denom = torch._foreach_sqrt(v)
                torch._foreach_add_(denom, s[f"{kind}.eps"])
                torch._foreach_addcdiv_(params, m, denom, value=-s[f"{kind}.stepSize"])
        else:
            state.skipped += 1
        # ema = params + decay (ema - params), after the (possibly skipped) update, as ema.ts.
        ema = [state.ema[k] for k in names]
        params = [state.params[k] for k in names]
        torch._foreach_sub_(ema, params)
        torch._foreach_mul_(ema, s["ema.decay"])
        torch._foreach_add_(ema, params)
    state.step = step
    return StepResult(loss_v, norm_v, applied, s)
