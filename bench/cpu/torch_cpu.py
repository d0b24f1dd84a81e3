#!/usr/bin/env python3
"""bench/cpu/torch_cpu.py: the PyTorch side of bench/cpu (eager PyTorch on the CPU, the twin in bench/gpu/torch_scm.py).

    python3 bench/cpu/torch_cpu.py PLAN.json OUT.json       timings the plan asks for (run.ts writes the plan)
    python3 bench/cpu/torch_cpu.py --sample RUN N STEPS OUT.npy THREADS
                                                            end to end like `scm sample`: start, load, sample N, write
    python3 bench/cpu/torch_cpu.py --serve PLAN.json        training steps one at a time, as stdin asks (see serve);
                                                            its plan needs only threads, train and (optionally) run

The plan (JSON, written by run.ts):

    run            the run folder (config.json, checkpoint.safetensors): the network sampling is timed on
                   (its EMA weights), and the default weights of U-Net train cases
    threads        torch's thread count
    guidance       the guidance scale of sampling (used where the network has a guidance input)
    sampleSteps    consistency steps to time sampling at, e.g. [1, 2]
    sampleBatches  batch sizes to time sampling at, e.g. [1, 16, 100]
    trainBudgetMs  (optional, default 8000) how long each train case is timed for, at least 5 runs
    train          the train cases, each an object with
        train         our TrainConfig as JSON: mode ("teacher" or "scd"), batch, sigmaD, proposal, guidanceMax,
                      optimiser, lr, clip, EMA, tangent settings
        model         the trained network's config (ours): a U-Net ("kind": "unet") or an MLP ("kind": "mlp")
        teacherModel  the sCD teacher's config (sCD cases)
        params        (optional) a safetensors file with the weights under our names, unprefixed; the
                      teacher uses them without "guidance.". Without it, a U-Net case takes the run's
                      checkpoint (the sCD student "params.", the teacher and the teacher step "ema.") and
                      an MLP case seeded random weights (a step's cost does not depend on their values).
        key           (optional) the case's name in the output and in --serve's requests, instead of the default

A train case's draws have the model's sample shape: images for the U-Net, [batch, dim] points for the MLP.
Output: {"torch", "threads", "sample": {"<steps>@<batch>": {"ms", "runs"}}, "train": {"<key>": {"ms",
"runs", "skipped"}}}; a train case's default key is "<mode>@<batch>" for a U-Net, "<kind>-<mode>@<batch>" for
other kinds (so "mlp-scd@128"). Timings are the median wall-clock milliseconds after warm-up, like
bench/lib.ts's `time`.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Mapping

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))
from torch_bench import draw_batch  # noqa: E402
from torch_scm import (  # noqa: E402
    TrainState,
    TwinNet,
    consistency_sample,
    consistency_times,
    create_net,
    one_hot_labels,
    read_safetensors,
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
    net = create_net(config["model"])
    return config, net, net.load(tensors, prefix=prefix), tensors


def conditioning(net: TwinNet, n: int, guidance: float):
    labels = one_hot_labels(torch.arange(n) % net.num_classes, net.num_classes) if net.num_classes > 0 else None
    scale = torch.full((n,), guidance) if net.guidance_input else None
    return labels, scale


# A teacher step's net has no guidance input, so draw_batch draws guidance for sCD steps only.
CPU = torch.device("cpu")


def random_weights(net: TwinNet, seed: int = 0) -> Dict[str, torch.Tensor]:
    """N(0, 1/fan-in) weights and zero biases of our shapes (fan-in: all axes but the last, in our layout),
    from their own generator, so that they leave the draws' stream alone."""
    gen = torch.Generator()
    gen.manual_seed(seed)
    out = {}
    for name, shape in net.param_shapes.items():
        out[name] = torch.randn(shape, generator=gen) / math.sqrt(math.prod(shape[:-1])) if len(shape) > 1 else torch.zeros(shape)
    return out


def case_weights(case: Mapping, student: TwinNet, run_tensors: Mapping[str, torch.Tensor]):
    """(student params in PyTorch layout, teacher weights in our names and layout) of a train case; see the plan's `params`."""
    if "params" in case:
        tensors, _ = read_safetensors(case["params"])
        student_weights, teacher_weights = tensors, tensors
    elif case["model"]["kind"] == "unet":
        # The run's checkpoint: the sCD student starts from the live weights, teachers are the EMA.
        strip = lambda prefix: {k[len(prefix):]: v for k, v in run_tensors.items() if k.startswith(prefix)}  # noqa: E731
        student_weights, teacher_weights = strip("params."), strip("ema.")
    else:
        student_weights = teacher_weights = random_weights(student)
    # The teacher is the student's network without the guidance input.
    teacher_weights = {k: v for k, v in teacher_weights.items() if not k.startswith("guidance.")}
    return student.load(teacher_weights if case["train"]["mode"] == "teacher" else student_weights), teacher_weights


def time_plan(plan: Dict) -> Dict:
    torch.set_num_threads(plan["threads"])
    config, net, ema, tensors = load(plan["run"])
    sigma_d = config["model"]["sigmaD"]
    gen = torch.Generator()
    gen.manual_seed(0)
    out: Dict = {"torch": torch.__version__, "threads": torch.get_num_threads(), "sample": {}, "train": {}}
    for steps in plan["sampleSteps"]:
        times = consistency_times(steps, sigma_d)
        for n in plan["sampleBatches"]:
            labels, scale = conditioning(net, n, plan["guidance"])
            fn = lambda: consistency_sample(net, ema, [torch.randn(net.batch_shape(n), generator=gen) for _ in times], times, sigma_d, labels, scale)  # noqa: E731
            out["sample"][f"{steps}@{n}"] = median_ms(fn)
    for case in plan["train"]:
        key, fn, state = case_step(case, tensors, gen)
        out["train"][key] = {**median_ms(fn, warmup=2, min_runs=5, budget_ms=plan.get("trainBudgetMs", 8000)), "skipped": state.skipped}
    return out


def case_key(case: Mapping) -> str:
    if "key" in case:
        return case["key"]
    kind, train = case["model"]["kind"], case["train"]
    return f"{train['mode']}@{train['batch']}" if kind == "unet" else f"{kind}-{train['mode']}@{train['batch']}"


def case_step(case: Mapping, run_tensors: Mapping[str, torch.Tensor], gen: torch.Generator):
    """(key, a function doing one training step, its TrainState) of a train case of the plan."""
    train = case["train"]
    student = create_net(case["model"])
    params, teacher_weights = case_weights(case, student, run_tensors)
    state = TrainState.fresh(params)
    n = train["batch"]
    if train["mode"] == "scd":
        teacher = create_net(case["teacherModel"])
        teacher_params = teacher.load(teacher_weights)
        fn = lambda: scd_train_step(state, student, teacher, teacher_params, draw_batch(student, train, n, CPU, gen), train)  # noqa: E731
    else:
        fn = lambda: teacher_train_step(state, student, draw_batch(student, train, n, CPU, gen), train)  # noqa: E731
    return case_key(case), fn, state


def serve(plan: Dict) -> None:
    """One training step per line of stdin naming a train case by its key; a line of JSON {"ms", "skipped"} per
    step on stdout, its own wall-clock time, so that the caller can alternate these steps with its own. A case's
    network is built on its first step and dropped when another case is asked for."""
    torch.set_num_threads(plan["threads"])
    run_tensors = read_safetensors(os.path.join(plan["run"], "checkpoint.safetensors"))[0] if "run" in plan else {}
    cases = {case_key(case): case for case in plan["train"]}
    gen = torch.Generator()
    gen.manual_seed(0)
    current = None
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in iter(sys.stdin.readline, ""):
        key = line.strip()
        if current is None or current[0] != key:
            current = None  # frees the last case's networks before the next one's are built
            current = case_step(cases[key], run_tensors, gen)
        t0 = time.perf_counter()
        current[1]()
        print(json.dumps({"ms": (time.perf_counter() - t0) * 1e3, "skipped": current[2].skipped}), flush=True)


def sample_cli(run: str, n: int, steps: int, dest: str, threads: int) -> None:
    """What `scm sample --n N --steps S --out X.npy` does, in PyTorch: batches of 100, labels cycling, guidance 1.5."""
    torch.set_num_threads(threads)
    config, net, ema, _ = load(run)
    sigma_d = config["model"]["sigmaD"]
    times = consistency_times(steps, sigma_d)
    gen = torch.Generator()
    gen.manual_seed(0)
    chunks = []
    for start in range(0, n, 100):
        b = min(100, n - start)
        labels, scale = conditioning(net, b, 1.5)
        x = consistency_sample(net, ema, [torch.randn(net.batch_shape(b), generator=gen) for _ in times], times, sigma_d, labels, scale)
        chunks.append(net.to_our_samples(x).numpy())
    np.save(dest, np.concatenate(chunks))


if __name__ == "__main__":
    if sys.argv[1] == "--sample":
        run, n, steps, dest, threads = sys.argv[2:7]
        sample_cli(run, int(n), int(steps), dest, int(threads))
    elif sys.argv[1] == "--serve":
        serve(json.load(open(sys.argv[2])))
    else:
        plan = json.load(open(sys.argv[1]))
        result = time_plan(plan)
        with open(sys.argv[2], "w") as f:
            json.dump(result, f, indent=2)
