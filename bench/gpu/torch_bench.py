#!/usr/bin/env python3
"""bench/gpu/torch_bench.py: the PyTorch side of the GPU benchmark.

    python3 bench/gpu/torch_bench.py --pack DIR --device cuda|cpu --out FILE.json [--batch N] [--repeats K]

1. Cross-check (TF32 off): every case of DIR/crosscheck.json (U-Nets and the toy MLP) is recomputed with torch_scm.py from the
   inputs and weights in DIR/crosscheck.safetensors and compared with our outputs there: F, u(t), the
   teacher velocity, F-, J, the tangent g, the sCD loss, every parameter's gradient, one whole step
   (grad norm, updated params, Adam moments, EMA) and 1-/2-step samples. Twice: the port in float32
   against ours in float32 (tfjs wasm), and the port in float64 against our float64 reference ops,
   which shows the two compute the same function far below float32 rounding. The error measure is
   ours (core/testing relativeError): max |a - e| / (|e| + mean |e|).
2. Timing: for each config of crosscheck.json, with TF32 off and on, the median milliseconds of one whole
   sCD training step (batch draw on the device, teacher with CFG, JVP pass, student forward/backward,
   clipping, guard, Adam, EMA) and of 1-step and 2-step sampling at the batch size, synchronising the
   device around every timed call, after warm-up.

Runs on the CPU too (`--device cpu --batch 2 --repeats 2`), which is how it is tested without a GPU.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Mapping

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_scm import (  # noqa: E402
    JVP_IMPLEMENTATION,
    ScdBatch,
    TrainState,
    TwinNet,
    UnetNet,
    consistency_sample,
    consistency_times,
    create_net,
    noisy,
    one_hot_labels,
    read_safetensors,
    sample_times,
    scd_loss_and_grads,
    scd_train_step,
    select_strict,
    step_scalars,
    to_our_layout,
    to_torch_layout,
)

# Cross-check limits by group (see group_of). Float32 on both sides: the network and the samples agree to
# rounding; the tangent g = first - r second cancels most of its terms' size, so J, g, the loss's
# gradient and the Adam moments built from it carry ~1e-4 of rounding in ours alone (our float32
# gradient is ~7e-5 from our own float64 one on the MNIST case); the Adam update divides by sqrt(v),
# which amplifies that where v is small, and is measured on p' - p. Float64 on both sides: the two
# programs are compared beyond float32 rounding, which is what shows they compute the same function.
TOLERANCES = {
    "float32": {"forward": 1e-5, "objective": 2e-4, "state": 1e-5, "update": 1e-3},
    "float64": {"forward": 1e-10, "objective": 1e-9, "state": 1e-12, "update": 1e-9},
}


def group_of(key: str) -> str:
    """Which tolerance a compared quantity falls under."""
    if key.startswith(("out/J", "out/g", "out/loss", "grad/", "step/loss", "step/gradNorm", "step/opt/")):
        return "objective"
    if key.startswith(("step/params/", "step/ema/")):
        return "state"
    if key.startswith("step/update/"):
        return "update"
    return "forward"


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Ours (core/testing): max_i |a_i - e_i| / (|e_i| + mean |e| + 1e-30), in float64, NaN -> inf."""
    a = actual.detach().to("cpu", torch.float64).reshape(-1)
    e = expected.detach().to("cpu", torch.float64).reshape(-1)
    if a.numel() != e.numel():
        raise ValueError(f"{a.numel()} values against {e.numel()} expected")
    err = (a - e).abs() / (e.abs() + e.abs().mean() + 1e-30)
    return math.inf if torch.isnan(err).any() else float(err.max())


def set_tf32(enabled: bool) -> None:
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled  # on by default in PyTorch: "TF32 off" must say so


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


# ---------------------------------------------------------------------------------------------------
# Cross-check.
# ---------------------------------------------------------------------------------------------------


def as_dtype(params: Mapping[str, torch.Tensor], dtype: torch.dtype) -> Dict[str, torch.Tensor]:
    return {k: v.to(dtype) for k, v in params.items()}


def port_outputs(case: Mapping, tensors: Mapping[str, torch.Tensor], device: torch.device, dtype: torch.dtype) -> Dict[str, torch.Tensor]:
    """Everything crosscheck.ts stores for a case, recomputed by the port at `dtype` from the case's inputs,
    under the same names (our NHWC / HWIO layouts): out/*, grad/<param>, step/*. Unconditional cases (the MLP's)
    store no labels and guidance: the teacher then gives its plain velocity, as step.ts's teacherVelocity."""
    pre = f"{case['name']}/"
    net, teacher = create_net(case["model"]), create_net(case["teacherModel"])
    train = case["train"]
    sigma_d = train["sigmaD"]
    student = as_dtype(net.load(tensors, f"{pre}student/", device, "student params"), dtype)
    teacher_params = as_dtype(teacher.load(tensors, f"{pre}teacher/", device, "teacher params"), dtype)
    ema = as_dtype(net.load(tensors, f"{pre}ema/", device, "EMA params"), dtype)
    moments = {f"adam.{kind}.{k}": s for kind in ("m", "v") for k, s in net.param_shapes.items()}
    opt = as_dtype(to_torch_layout(select_strict(tensors, f"{pre}opt/", moments, "Adam state")), dtype)

    def get(name: str) -> torch.Tensor:
        return tensors[pre + name].to(device=device, dtype=dtype)

    def get_optional(name: str):
        return get(name) if pre + name in tensors else None

    labels, guidance, t = get_optional("in/labels"), get_optional("in/guidance"), get("in/t")
    batch = ScdBatch(net.to_torch_samples(get("in/x0")), net.to_torch_samples(get("in/z")), t, labels, guidance)
    scalars = step_scalars(train, case["step"])
    for k, ours in case["scalars"].items():
        if abs(scalars[k] - ours) > 1e-12 * abs(ours):
            raise ValueError(f"{case['name']}: step scalar {k} is {scalars[k]}, ours {ours}")
    out: Dict[str, torch.Tensor] = {}

    # The network alone, and the objective's pieces, loss and gradients.
    with torch.no_grad():
        x = get("forward/x") if dtype == torch.float32 else net.to_our_samples(noisy(batch.x0, batch.z, batch.t) * (1.0 / sigma_d))
        out["out/F"] = net.F_ours(student, x, t, labels, guidance)
        out["out/logvar"] = net.logvar(student, t)
    loss, grads, mids = scd_loss_and_grads(net, student, teacher, teacher_params, batch, sigma_d, scalars["scm.r"], train["tangentNormalize"], train["tangentC"])
    out.update({f"out/{k}": net.to_our_samples(v) for k, v in mids.items()})
    out["out/loss"] = loss
    out.update({f"grad/{k}": v for k, v in to_our_layout(grads).items()})

    # One whole step from the case's state, as step number case["step"].
    state = TrainState({k: v.clone() for k, v in student.items()}, {k: opt[f"adam.m.{k}"].clone() for k in student},
                       {k: opt[f"adam.v.{k}"].clone() for k in student}, {k: v.clone() for k, v in ema.items()}, step=case["step"] - 1)
    result = scd_train_step(state, net, teacher, teacher_params, batch, train)
    out["step/loss"] = torch.tensor(result.loss, dtype=torch.float64)
    out["step/gradNorm"] = torch.tensor(result.grad_norm, dtype=torch.float64)
    out["step/applied"] = torch.tensor(1.0 if result.applied else 0.0)
    out.update({f"step/params/{k}": v for k, v in to_our_layout(state.params).items()})
    out.update({f"step/ema/{k}": v for k, v in to_our_layout(state.ema).items()})
    for kind, moment in (("m", state.m), ("v", state.v)):
        out.update({f"step/opt/adam.{kind}.{k}": v for k, v in to_our_layout(moment).items()})

    # Consistency sampling with the case's noise.
    for steps in (1, 2):
        times = consistency_times(steps, sigma_d)
        if any(abs(a - b) > 1e-12 for a, b in zip(times, case["sampleTimes"][str(steps)])):
            raise ValueError(f"{case['name']}: sampling times {times} differ from ours {case['sampleTimes'][str(steps)]}")
        noise = [net.to_torch_samples(get(f"in/noise{i}")) for i in range(steps)]
        out[f"out/sample{steps}"] = net.to_our_samples(consistency_sample(net, student, noise, times, sigma_d, labels, guidance))
    return out


def compare(mine: Mapping[str, torch.Tensor], tensors: Mapping[str, torch.Tensor], prefix: str, student: Mapping[str, torch.Tensor]) -> Dict[str, float]:
    """Relative error of each stored quantity under `prefix` (ours) against `mine`; adds the Adam update p' - p."""
    errors: Dict[str, float] = {}
    for key, ours in tensors.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if not name.startswith(("out/", "grad/", "step/")):
            continue  # inputs, weights, or the other precision's results
        if name not in mine:
            raise ValueError(f"the port computes no {name} (stored as {key})")
        errors[name] = relative_error(mine[name], ours)
        if name.startswith("step/params/"):
            p = name[len("step/params/"):]
            base = student[p].to(torch.float64)
            errors[f"step/update/{p}"] = relative_error(mine[name].to(torch.float64).cpu() - base, ours.to(torch.float64) - base)
    return errors


def summarise(errors: Mapping[str, float], tolerances: Mapping[str, float]) -> Dict[str, object]:
    """Worst error per group (and where), a few headline quantities, and the groups over their limit."""
    groups: Dict[str, Dict[str, object]] = {}
    for name, err in errors.items():
        g = groups.setdefault(group_of(name), {"max": 0.0, "worst": None, "count": 0})
        g["count"] += 1
        if not err <= g["max"]:
            g["max"], g["worst"] = err, name
    headline = {k: errors[k] for k in ("out/F", "out/logvar", "out/dxdt", "out/Fminus", "out/J", "out/g", "out/loss", "step/gradNorm", "out/sample1", "out/sample2") if k in errors}
    grads = {k: v for k, v in errors.items() if k.startswith("grad/")}
    headline["gradMax"] = max(grads.values())
    failed = [g for g, v in groups.items() if not v["max"] <= tolerances[g]]
    if errors.get("step/applied", 0.0) != 0.0:
        failed.append("step/applied")
    return {"groups": groups, "headline": headline, "failed": failed}


def check_case(case: Mapping, tensors: Mapping[str, torch.Tensor], device: torch.device) -> Dict[str, object]:
    """Float32 port vs our float32 (wasm), float64 port vs our float64 reference, and how far each float32 is from float64."""
    pre = f"{case['name']}/"
    student = {k[len(pre + "student/"):]: v for k, v in tensors.items() if k.startswith(pre + "student/")}
    mine32 = port_outputs(case, tensors, device, torch.float32)
    mine64 = port_outputs(case, tensors, device, torch.float64)
    err32 = compare(mine32, tensors, pre, student)
    ref64 = {k: v for k, v in tensors.items() if k.startswith(f"{pre}f64/")}
    err64 = compare(mine64, ref64, f"{pre}f64/", student)
    # How far each float32 result is from our float64 one: the rounding floor the float32 comparison sits on.
    ours32 = {k[len(pre):]: v for k, v in tensors.items() if k.startswith(pre) and not k.startswith(f"{pre}f64/")}
    keys = ("out/F", "out/J", "out/g", "out/loss")
    floor = {k: {"ours": relative_error(ours32[k], ref64[f"{pre}f64/{k}"]), "torch": relative_error(mine32[k], ref64[f"{pre}f64/{k}"])} for k in keys}
    grad_keys = [k for k in ours32 if k.startswith("grad/")]
    floor["gradMax"] = {
        "ours": max(relative_error(ours32[k], ref64[f"{pre}f64/{k}"]) for k in grad_keys),
        "torch": max(relative_error(mine32[k], ref64[f"{pre}f64/{k}"]) for k in grad_keys),
    }
    return {
        "float32": summarise(err32, TOLERANCES["float32"]),
        "float64": summarise(err64, TOLERANCES["float64"]),
        "float32VsOurFloat64": floor,
    }


def run_crosscheck(pack: str, device: torch.device) -> Dict[str, object]:
    spec = json.load(open(os.path.join(pack, "crosscheck.json")))
    tensors, _ = read_safetensors(os.path.join(pack, "crosscheck.safetensors"))
    set_tf32(False)
    cases = {}
    for case in spec["cases"]:
        result = check_case(case, tensors, device)
        cases[case["name"]] = result
        for precision in ("float32", "float64"):
            r = result[precision]
            groups = ", ".join(f"{g} {v['max']:.1e} ({v['worst']})" for g, v in r["groups"].items())
            heads = ", ".join(f"{k.split('/')[-1]} {v:.1e}" for k, v in r["headline"].items())
            status = "ok" if not r["failed"] else "FAILED " + ",".join(r["failed"])
            print(f"crosscheck {case['name']} {precision}: {status}\n  worst by group: {groups}\n  {heads}", file=sys.stderr)
        floor = ", ".join(f"{k.split('/')[-1]} {v['ours']:.1e} / {v['torch']:.1e}" for k, v in result["float32VsOurFloat64"].items())
        print(f"  float32 against our float64 (ours / torch): {floor}", file=sys.stderr)
    ok = all(not c[p]["failed"] for c in cases.values() for p in ("float32", "float64"))
    return {"device": str(device), "tf32": False, "reference": spec.get("backend"), "tolerances": TOLERANCES, "ok": ok, "cases": cases}


# ---------------------------------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------------------------------


def median_ms(fn: Callable[[], object], device: torch.device, repeats: int, warmup: int) -> Dict[str, float]:
    """Median wall-clock ms of fn over `repeats` calls after `warmup` calls, synchronised around each."""
    samples: List[float] = []
    first = None
    for i in range(warmup + repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        ms = (time.perf_counter() - start) * 1e3
        if i == 0:
            first = ms
        if i >= warmup:
            samples.append(ms)
    return {"ms": statistics.median(samples), "minMs": min(samples), "firstMs": first, "runs": len(samples)}


def draw_batch(net: TwinNet, train: Mapping, n: int, device: torch.device, gen: torch.Generator) -> ScdBatch:
    """A step's draws, on the device: random samples (the cost does not depend on the data), labels, noise, times, guidance."""
    shape = net.batch_shape(n)
    sigma_d = train["sigmaD"]
    x0 = torch.randn(shape, device=device, generator=gen) * sigma_d
    labels = one_hot_labels(torch.randint(0, net.num_classes, (n,), device=device, generator=gen), net.num_classes) if net.num_classes > 0 else None
    z = torch.randn(shape, device=device, generator=gen) * sigma_d
    t = sample_times(n, train["proposal"]["pMean"], train["proposal"]["pStd"], sigma_d, gen, device)
    guidance = 1 + (train["guidanceMax"] - 1) * torch.rand(n, device=device, generator=gen) if net.guidance_input else None
    return ScdBatch(x0, z, t, labels, guidance)


def time_config(entry: Mapping, pack: str, params_dir: str, device: torch.device, batch: int, repeats: int, warmup: int) -> Dict[str, object]:
    """Times one config at the current TF32 setting: sCD step, 1-step and 2-step sampling."""
    net, teacher = UnetNet(entry["unet"]), UnetNet(entry["teacherUnet"])
    tensors, _ = read_safetensors(os.path.join(params_dir if "initSeed" in entry else pack, entry["params"]))
    params = net.load(tensors, "", device, entry["params"])
    # The teacher is the same network without the guidance input; the student's logvar head starts at zero (initState).
    teacher_params = teacher.load({k: v for k, v in tensors.items() if not k.startswith("guidance.")}, "", device, entry["params"])
    student = {k: (torch.zeros_like(v) if k.startswith("logvar.") else v.clone()) for k, v in params.items()}
    state = TrainState.fresh(student)
    train = dict(entry["train"], batch=batch)
    gen = torch.Generator(device=device)
    gen.manual_seed(0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    def step() -> None:
        scd_train_step(state, net, teacher, teacher_params, draw_batch(net, train, batch, device, gen), train)

    result: Dict[str, object] = {"scdStep": median_ms(step, device, repeats, warmup)}
    if device.type == "cuda":
        result["scdStepPeakMiB"] = torch.cuda.max_memory_allocated(device) / 2**20
    labels = one_hot_labels(torch.arange(batch, device=device) % net.num_classes, net.num_classes) if net.num_classes > 0 else None
    guidance = torch.full((batch,), float(entry.get("sampleGuidance", 1.5)), device=device) if net.guidance_input else None
    for steps in (1, 2):
        times = consistency_times(steps, train["sigmaD"])

        def sample() -> None:
            noise = [torch.randn(net.batch_shape(batch), device=device, generator=gen) for _ in times]
            consistency_sample(net, state.ema, noise, times, train["sigmaD"], labels, guidance)

        result[f"sample{steps}"] = median_ms(sample, device, repeats, warmup)
    result["skippedSteps"] = state.skipped
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pack", required=True, help="folder with crosscheck.json, crosscheck.safetensors and the params files")
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    ap.add_argument("--params-dir", default=None, help="where device.ts wrote the weights of configs drawn from an initSeed (default: the pack)")
    ap.add_argument("--out", required=True, help="JSON report")
    ap.add_argument("--batch", type=int, default=None, help="timing batch (default: each config's, 128)")
    ap.add_argument("--repeats", type=int, default=10, help="timed calls per measurement")
    ap.add_argument("--warmup", type=int, default=2, help="untimed calls before each measurement")
    ap.add_argument("--configs", default=None, help="comma-separated config names to time (default: all)")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    ap.add_argument("--no-cudnn-benchmark", action="store_true", help="leave cudnn.benchmark off while timing")
    ap.add_argument("--skip-timing", action="store_true", help="cross-check only")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: PyTorch sees no CUDA device")
    torch.manual_seed(0)
    report: Dict[str, object] = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if device.type == "cuda" else None,
        "device": device_name(device),
        "jvp": JVP_IMPLEMENTATION,
        "python": platform.python_version(),
    }
    began = time.perf_counter()
    report["crosscheck"] = run_crosscheck(args.pack, device)
    report["crosscheckSeconds"] = time.perf_counter() - began

    if not args.skip_timing:
        spec = json.load(open(os.path.join(args.pack, "crosscheck.json")))
        wanted = set(args.configs.split(",")) if args.configs else None
        torch.backends.cudnn.benchmark = device.type == "cuda" and not args.no_cudnn_benchmark
        report["cudnnBenchmark"] = torch.backends.cudnn.benchmark
        timings = {}
        for entry in spec["configs"]:
            if wanted and entry["name"] not in wanted:
                continue
            batch = args.batch or entry["batch"]
            timings[entry["name"]] = {"batch": batch, "paramCount": entry.get("paramCount")}
            for tf32 in (False, True):
                set_tf32(tf32)
                mode = "tf32On" if tf32 else "tf32Off"
                print(f"timing {entry['name']} at batch {batch}, {mode}", file=sys.stderr)
                timings[entry["name"]][mode] = time_config(entry, args.pack, args.params_dir or args.pack, device, batch, args.repeats, args.warmup)
                print(f"  {json.dumps(timings[entry['name']][mode])}", file=sys.stderr)
        set_tf32(False)
        report["timings"] = timings
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}; crosscheck {'ok' if report['crosscheck']['ok'] else 'FAILED'}", file=sys.stderr)


if __name__ == "__main__":
    main()
