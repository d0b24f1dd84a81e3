#!/usr/bin/env python3
"""bench/cpu/torch_cpu.py: the PyTorch side of bench/cpu (eager PyTorch on the CPU, the twin in bench/gpu/torch_scm.py).

    python3 bench/cpu/torch_cpu.py PLAN.json OUT.json       timings the plan asks for (run.ts writes the plan)
    python3 bench/cpu/torch_cpu.py --sample RUN N STEPS OUT.npy THREADS
                                                            end to end like `scm sample`: start, load, sample N, write

The plan names the run folder (config.json, checkpoint.safetensors), the thread count, the sampling batches
and steps, and the train configs (ours, as JSON) and batches for teacher and sCD steps. Timings are the
median wall-clock milliseconds after warm-up, like bench/lib.ts's `time`.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))
from torch_scm import (  # noqa: E402
    ScdBatch,
    TrainState,
    UnetNet,
    consistency_sample,
    consistency_times,
    nchw_to_nhwc,
    one_hot_labels,
    read_safetensors,
    sample_times,
    scd_train_step,
    teacher_train_step,
)


def median_ms(fn: Callable[[], object], warmup: int = 2, min_runs: int = 5, budget_ms: float = 3000) -> Dict[str, float]:
    for _ in range(warmup):
        fn()
    samples: List[float] = []
    start = time.perf_counter()
    while len(samples) < min_runs or ((time.perf_counter() - start) * 1e3 < budget_ms and len(samples) < 200):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return {"ms": statistics.median(samples), "runs": len(samples)}


def load(run: str, prefix: str = "ema."):
    config = json.load(open(os.path.join(run, "config.json")))
    tensors, _ = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
    net = UnetNet(config["model"])
    return config, net, net.load(tensors, prefix=prefix), tensors


def conditioning(net: UnetNet, n: int, guidance: float):
    labels = one_hot_labels(torch.arange(n) % net.num_classes, net.num_classes) if net.num_classes > 0 else None
    scale = torch.full((n,), guidance) if net.guidance_input else None
    return labels, scale


def draw(net: UnetNet, train: Dict, n: int, gen: torch.Generator) -> ScdBatch:
    """One step's draws (the cost does not depend on the data): images, noise, times, labels, guidance."""
    h, w, c = net.sample_shape
    sigma_d = train["sigmaD"]
    x0 = torch.randn(n, c, h, w, generator=gen) * sigma_d
    z = torch.randn(n, c, h, w, generator=gen) * sigma_d
    t = sample_times(n, train["proposal"]["pMean"], train["proposal"]["pStd"], sigma_d, gen)
    labels = one_hot_labels(torch.randint(0, net.num_classes, (n,), generator=gen), net.num_classes) if net.num_classes > 0 else None
    guidance = 1 + (train["guidanceMax"] - 1) * torch.rand(n, generator=gen) if net.guidance_input and train["mode"] == "scd" else None
    return ScdBatch(x0, z, t, labels, guidance)


def time_plan(plan: Dict) -> Dict:
    torch.set_num_threads(plan["threads"])
    config, net, ema, tensors = load(plan["run"])
    sigma_d = config["model"]["sigmaD"]
    h, w, c = net.sample_shape
    gen = torch.Generator()
    gen.manual_seed(0)
    out: Dict = {"torch": torch.__version__, "threads": torch.get_num_threads(), "sample": {}, "train": {}}
    for steps in plan["sampleSteps"]:
        times = consistency_times(steps, sigma_d)
        for n in plan["sampleBatches"]:
            labels, scale = conditioning(net, n, plan["guidance"])
            fn = lambda: consistency_sample(net, ema, [torch.randn(n, c, h, w, generator=gen) for _ in times], times, sigma_d, labels, scale)  # noqa: E731
            out["sample"][f"{steps}@{n}"] = median_ms(fn)
    for case in plan["train"]:
        train = case["train"]
        student = UnetNet(case["model"])
        # The teacher is the student's network without the guidance input, on the EMA weights.
        teacher_weights = {k: v for k, v in tensors.items() if not k.startswith("ema.guidance.")}
        params = student.load(tensors, prefix="params.") if train["mode"] == "scd" else student.load(teacher_weights, prefix="ema.")
        state = TrainState.fresh(params)
        n = train["batch"]
        if train["mode"] == "scd":
            teacher = UnetNet(case["teacherModel"])
            teacher_params = teacher.load(teacher_weights, prefix="ema.")
            fn = lambda: scd_train_step(state, student, teacher, teacher_params, draw(student, train, n, gen), train)  # noqa: E731
        else:
            fn = lambda: teacher_train_step(state, student, draw(student, train, n, gen), train)  # noqa: E731
        out["train"][f"{train['mode']}@{n}"] = {**median_ms(fn, warmup=2, min_runs=5, budget_ms=plan.get("trainBudgetMs", 8000)), "skipped": state.skipped}
    return out


def sample_cli(run: str, n: int, steps: int, dest: str, threads: int) -> None:
    """What `scm sample --n N --steps S --out X.npy` does, in PyTorch: batches of 100, labels cycling, guidance 1.5."""
    torch.set_num_threads(threads)
    config, net, ema, _ = load(run)
    sigma_d = config["model"]["sigmaD"]
    h, w, c = net.sample_shape
    times = consistency_times(steps, sigma_d)
    gen = torch.Generator()
    gen.manual_seed(0)
    chunks = []
    for start in range(0, n, 100):
        b = min(100, n - start)
        labels, scale = conditioning(net, b, 1.5)
        x = consistency_sample(net, ema, [torch.randn(b, c, h, w, generator=gen) for _ in times], times, sigma_d, labels, scale)
        chunks.append(nchw_to_nhwc(x).numpy())
    np.save(dest, np.concatenate(chunks))


if __name__ == "__main__":
    if sys.argv[1] == "--sample":
        run, n, steps, dest, threads = sys.argv[2:7]
        sample_cli(run, int(n), int(steps), dest, int(threads))
    else:
        plan = json.load(open(sys.argv[1]))
        result = time_plan(plan)
        with open(sys.argv[2], "w") as f:
            json.dump(result, f, indent=2)
