"""One step of each mode on fixed inputs, against core (reference/core_steps.mjs): F, u(t), the sCM target
(dx_t/dt, F-, J, g), the loss, every gradient and the whole step (clipping, Adam, EMA). In float64 the two
programs must agree to ~1e-12, which shows they compute the same function; in float32 (scm trains on
tfjs-wasm) to rounding. The measure is core's relativeError: max |a - e| / (|e| + mean |e|)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
import torch

from conftest import HERE, REPO
from scm_torch.models import create_net, to_our_layout
from scm_torch.objectives import Batch, noisy, scm_loss_and_grads, teacher_loss_and_grads, model_field
from scm_torch.optim import TrainState, lr_at, step_scalars
from scm_torch.safetensors import read_safetensors
from scm_torch.step import Teacher, train_step

# Float64: measured up to 4e-14. Float32: forward 1e-6, target and gradients 5e-5 (our own float32 gradient
# is as far from our float64 one), state after the step 1e-6.
TOLERANCE = {"f64": {"forward": 1e-11, "objective": 1e-10, "state": 1e-11}, "f32": {"forward": 1e-5, "objective": 5e-4, "state": 2e-5}}


def relative_error(a: torch.Tensor, e: torch.Tensor) -> float:
    a, e = a.double().reshape(-1), e.double().reshape(-1)
    return float(((a - e).abs() / (e.abs() + e.abs().mean() + 1e-300)).max())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("steps") / "steps")
    done = subprocess.run(["node", os.path.join(HERE, "reference", "core_steps.mjs"), out], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    tensors, _ = read_safetensors(out + ".safetensors")
    return tensors, json.load(open(out + ".json"))


def group(tensors, prefix):
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


@pytest.mark.parametrize("mode", ["teacher", "sct", "scd"])
@pytest.mark.parametrize("precision", ["f64", "f32"])
def test_step_matches_core(reference, mode, precision):
    tensors, meta = reference
    case = next(c for c in meta["cases"] if c["mode"] == mode)
    dtype = torch.float64 if precision == "f64" else torch.float32
    train = case["train"]
    ours = step_scalars(train, case["step"])
    assert ours.keys() == case["scalars"].keys() and all(abs(ours[k] - case["scalars"][k]) <= 1e-15 * abs(case["scalars"][k]) for k in ours), (ours, case["scalars"])

    net = create_net(case["model"])
    load = lambda ts, prefix="": {k: v.to(dtype) for k, v in net.load(ts, prefix).items()}  # noqa: E731
    params = load(group(tensors, f"{mode}/params/"))
    inp = group(tensors, f"{mode}/in/")
    batch = Batch(*(inp[k].to(dtype) if k in inp else None for k in ("x0", "z", "t", "labels", "guidance")))
    teacher = None
    if mode == "scd":
        tnet = create_net(meta["teacherModel"])
        teacher = Teacher(tnet, {k: v.to(dtype) for k, v in tnet.load(group(tensors, "teacher-weights/")).items()})

    got = {}
    xt = noisy(batch.x0, batch.z, batch.t)
    got["out/F"] = model_field(net, params, train["sigmaD"], batch.labels, batch.guidance)(xt, batch.t)
    got["out/logvar"] = net.logvar(params, batch.t)
    if mode == "teacher":
        loss, grads = teacher_loss_and_grads(net, params, batch, train["sigmaD"])
    else:
        loss, grads, inter = scm_loss_and_grads(
            net, params, teacher.net if teacher else None, teacher.params if teacher else None, batch, train["sigmaD"], ours["scm.r"], train["tangentNormalize"], train["tangentC"]
        )
        got.update({f"out/{k}": inter[k] for k in ("dxdt", "Fminus", "J", "g")})
    got["out/loss"] = loss
    got.update({f"grad/{k}": v for k, v in to_our_layout(grads).items()})

    opt = group(tensors, f"{mode}/opt/")
    state = TrainState(dict(params), load(opt, "adam.m."), load(opt, "adam.v."), load(group(tensors, f"{mode}/ema/")), case["step"] - 1)
    result = train_step(state, net, batch, train, teacher)
    got["step/loss"] = torch.tensor(result.loss, dtype=torch.float64)
    got["step/gradNorm"] = torch.tensor(result.grad_norm, dtype=torch.float64)
    got.update({f"step/params/{k}": v for k, v in to_our_layout(state.params).items()})
    got.update({f"step/ema/{k}": v for k, v in to_our_layout(state.ema).items()})
    got.update({f"step/opt/adam.m.{k}": v for k, v in to_our_layout(state.m).items()})
    got.update({f"step/opt/adam.v.{k}": v for k, v in to_our_layout(state.v).items()})

    expected = group(tensors, f"{mode}/{precision}/")
    assert sorted(got) == sorted(expected), sorted(set(got) ^ set(expected))[:5]

    def kind(name: str) -> str:
        if name.startswith(("step/params/", "step/ema/")):
            return "state"
        return "forward" if name in ("out/F", "out/logvar", "out/dxdt", "out/Fminus") else "objective"

    worst = {}
    for name, e in expected.items():
        k = kind(name)
        worst[k] = max(worst.get(k, (0.0, "")), (relative_error(got[name], e), name))
    print(mode, precision, {k: f"{v[0]:.1e} ({v[1]})" for k, v in worst.items()})
    failed = {k: v for k, v in worst.items() if v[0] > TOLERANCE[precision][k]}
    assert not failed, f"{mode} {precision}: {worst}"


def test_host_scalars_match_core(reference):
    """What the cases leave out: cosine and inverse-sqrt schedules with warmup, RAdam's two regimes, the half-life EMA."""
    _, meta = reference
    for s in meta["schedules"]:
        ours = [lr_at(s["schedule"], step) for step in (1, 2, 5, 9, 10, 50, 99, 100)]
        assert ours == pytest.approx(s["lr"], rel=1e-15, abs=0), s["schedule"]
    for at in meta["radam"]["scalarsAt"]:
        assert step_scalars(meta["radam"]["train"], at["step"]) == pytest.approx(at["scalars"], rel=1e-14, abs=0), at["step"]
