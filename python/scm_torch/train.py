"""Training a run folder that `scm` started, on and on as `scm ... --resume` would (training.ts, train/loop.ts):
the same draws from the checkpoint's stream, the same steps, the same log lines and checkpoints, so the
run can go back to `scm` (resume, sample, eval, export) at any checkpoint."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, TextIO

import torch

from .data import DataSource, HostBatch, data_source, draw_batch
from .distributed import Group
from .models import TwinNet, create_net, to_our_layout
from .objectives import Batch
from .optim import TrainState, lr_at
from .run_folder import Checkpoint, RunError, append_log, lock_run, read_checkpoint, trim_log, weights_fingerprint, with_steps, write_checkpoint, write_config
from .step import Teacher, train_step

DEFAULT_LOG_EVERY = 100
DEFAULT_CHECKPOINT_EVERY = 500
SKIPPED_IN_A_ROW = 10  # divergence.ts: a run that skips this many steps in a row has blown up


def lost_peer(e: RuntimeError) -> bool:
    """Whether a collective failed because another process is gone (gloo and NCCL say so in these words)."""
    text = str(e).lower()
    return any(w in text for w in ("connection", "gloo", "nccl", "peer", "timed out", "broken pipe"))


@dataclass
class Options:
    run: str
    steps: Optional[int] = None
    batch: Optional[int] = None
    log_every: int = DEFAULT_LOG_EVERY
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY


def load_teacher(run_dir: str, info: Mapping, device: torch.device) -> Teacher:
    """The sCD teacher recorded in config.json (relative to the run), refusing one retrained since the student began."""
    teacher_dir = os.path.normpath(os.path.join(run_dir, info.get("teacher", "")))
    ck = read_checkpoint(teacher_dir, "teacher run")
    if ck.info["train"]["mode"] != "teacher":
        raise RunError(f"the teacher {teacher_dir} recorded by {run_dir} is not a teacher run (mode {ck.info['train']['mode']})")
    if "teacherFingerprint" in info and weights_fingerprint(ck.ema) != info["teacherFingerprint"]:
        raise RunError(
            f"the teacher run {teacher_dir} has changed since this student began (its weights, now at step {ck.step}, differ): "
            "a resumed sCD run must keep its teacher; distil the new teacher in a new run"
        )
    net = create_net(ck.info["model"])
    return Teacher(net, net.load(ck.ema, device=device, what=f"{teacher_dir}'s EMA weights"))


def restore(ck: Checkpoint, net: TwinNet, device: torch.device, path: str) -> TrainState:
    kind = ck.info["train"]["optimizer"]
    load = lambda group, prefix, what: net.load(group, prefix, device, f"{path}: {what}")  # noqa: E731
    return TrainState(
        load(ck.params, "", "params"), load(ck.opt, f"{kind}.m.", "first moments"), load(ck.opt, f"{kind}.v.", "second moments"), load(ck.ema, "", "EMA"), ck.step, ck.skipped
    )


def to_device(host: HostBatch, net: TwinNet, device: torch.device) -> Batch:
    tensor = lambda a: None if a is None else torch.from_numpy(a).to(device)  # noqa: E731
    return Batch(net.to_torch_samples(tensor(host.x0)), net.to_torch_samples(tensor(host.z)), tensor(host.t), tensor(host.labels), tensor(host.guidance))


def check_resumable(info: Mapping, done: int, steps: int, run_dir: str) -> None:
    if done > steps:
        raise RunError(f"--steps {steps} is below the {done} steps {run_dir} has done (--steps is the total, not the steps to add)")
    lr = info["train"]["lr"]
    if lr["kind"] == "cosine" and steps > lr["decaySteps"]:
        raise RunError(f"--steps {steps} is past step {lr['decaySteps']}, where {run_dir}'s cosine lr schedule ends: it cannot train further")


def train(opts: Options, group: Group, out: TextIO = sys.stderr) -> int:
    """Trains opts.run to opts.steps steps in total; returns the step reached."""
    run_dir = opts.run
    path = os.path.join(run_dir, "checkpoint.safetensors")
    ck = read_checkpoint(run_dir)
    steps = opts.steps if opts.steps is not None else ck.info["train"]["steps"]
    batch = opts.batch if opts.batch is not None else ck.info["train"]["batch"]
    check_resumable(ck.info, ck.step, steps, run_dir)
    info = with_steps(ck.info, steps, batch)
    train_cfg = info["train"]
    begin, end = group.rows(batch)
    net = create_net(info["model"])
    state = restore(ck, net, group.device, path)
    teacher = load_teacher(run_dir, info, group.device) if train_cfg["mode"] == "scd" else None
    data: DataSource = data_source(info, run_dir)
    rng = ck.rng
    note = (lambda msg: print(msg, file=out, flush=True)) if group.writes else (lambda msg: None)
    if ck.step == steps:
        note(f"{run_dir} is already at step {steps} of {steps}: nothing to train")
        return steps

    release = lock_run(run_dir) if group.writes else (lambda: None)
    try:
        if group.writes:
            write_config(run_dir, info, f"scm_torch (PyTorch {torch.__version__}, {group.device}, {group.world} process{'es' if group.world > 1 else ''})")
            trim_log(run_dir, ck.step)
        note(
            f"scm_torch: training {train_cfg['mode']} in {run_dir}: step {ck.step} to {steps}, batch {batch} "
            f"({batch // group.world} on each of {group.world} process{'es' if group.world > 1 else ''}), {info['data']['name']}, {group.device}"
        )
        saved = ck.step
        start_step = ck.step
        began = time.perf_counter()
        loss_sum = norm_sum = 0.0
        count = in_a_row = 0
        while state.step < steps:
            host = draw_batch(train_cfg, data, net.num_classes, net.guidance_input, rng)
            try:
                result = train_step(state, net, to_device(host.rows(begin, end), net, group.device), train_cfg, teacher, group.average)
            except RuntimeError as e:
                if group.world == 1 or not lost_peer(e):
                    raise
                raise RunError(
                    f"rank {group.rank}: another process of this run stopped during step {state.step + 1} ({str(e).splitlines()[0]}); "
                    f"{run_dir} keeps its checkpoint of step {saved}"
                ) from None
            in_a_row = 0 if result.applied else in_a_row + 1
            if in_a_row >= SKIPPED_IN_A_ROW:
                raise RunError(
                    f"training diverged: steps {state.step - in_a_row + 1} to {state.step} all had a non-finite loss or gradient and were skipped; "
                    f"stopped keeping the checkpoint of step {saved}; try a lower --lr"
                )
            if result.applied:
                loss_sum += result.loss
                norm_sum += result.grad_norm
                count += 1
            last = state.step == steps
            if group.writes and (state.step % opts.log_every == 0 or last):
                elapsed = time.perf_counter() - began
                rate = (state.step - start_step) / max(elapsed, 1e-9)
                entry = {
                    "step": state.step,
                    "loss": loss_sum / count if count else float("nan"),
                    "gradNorm": norm_sum / count if count else float("nan"),
                    "lr": lr_at(train_cfg["lr"], state.step),
                    "skipped": state.skipped,
                    "stepsPerSec": rate,
                    "elapsedSec": elapsed,
                    "etaSec": (steps - state.step) / rate,
                }
                append_log(run_dir, entry)
                note(f"step {state.step}/{steps}  loss {entry['loss']:.4f}  grad {entry['gradNorm']:.3f}  {rate:.1f} steps/s")
                loss_sum = norm_sum = 0.0
                count = 0
            if (state.step % opts.checkpoint_every == 0 or last) and not (in_a_row > 0 and not last):
                if group.writes:
                    write_checkpoint(run_dir, snapshot(info, state, rng))
                saved = state.step
        elapsed = time.perf_counter() - began
        note(f"trained {steps - start_step} steps in {elapsed:.1f} s ({(steps - start_step) / max(elapsed, 1e-9):.1f} steps/s); checkpoint at step {steps}: {path}")
        return state.step
    finally:
        release()


def snapshot(info: Dict, state: TrainState, rng) -> Checkpoint:
    """The state as core's checkpoint holds it: our layout, on the CPU, moments under the optimiser's names."""
    kind = info["train"]["optimizer"]
    cpu = lambda p: {k: v.detach().to("cpu") for k, v in to_our_layout(p).items()}  # noqa: E731
    opt = {f"{kind}.m.{k}": v for k, v in cpu(state.m).items()}
    opt.update({f"{kind}.v.{k}": v for k, v in cpu(state.v).items()})
    return Checkpoint(info, state.step, state.skipped, rng, cpu(state.params), cpu(state.ema), opt)
