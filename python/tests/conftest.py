"""Helpers shared by scm_torch's tests: the repository's `scm` (built by npm run build), scm_torch's
command line in a subprocess, and run-folder comparisons. Runs are tiny (MLPs 32 wide on 2-D data) so the
suite stays within a minute or two on two cores."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict, List, Mapping

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(PYTHON_DIR)
SCM = os.path.join(REPO, "apps", "trainer", "bin", "scm.js")

sys.path.insert(0, PYTHON_DIR)

from scm_torch.run_folder import read_checkpoint  # noqa: E402

# A small MLP on 2-D data: every test run uses it.
MLP = ["--width", "32", "--blocks", "2"]
# scm's default schedule, cosine, ends at the run's first --steps: a run that goes on past it needs a constant rate.
CONSTANT = ["--lr-schedule", "constant"]


def env() -> Dict[str, str]:
    """scm_torch importable from subprocesses (torchrun's workers too), one thread each on the shared cores."""
    e = dict(os.environ)
    e["PYTHONPATH"] = PYTHON_DIR + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("OMP_NUM_THREADS", "1")
    return e


def scm(*args: str) -> subprocess.CompletedProcess:
    if not os.path.exists(os.path.join(REPO, "apps", "trainer", "dist", "cli.js")):
        pytest.fail("scm is not built: run npm run build at the repository root")
    done = subprocess.run(["node", SCM, *args], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise AssertionError(f"scm {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def scm_torch(*args: str, check: bool = True, launcher: List[str] = ()) -> subprocess.CompletedProcess:
    """python3 -m scm_torch ARGS, or under a launcher (e.g. scm_torch.launch's torchrun options)."""
    cmd = [sys.executable, *(["-m", "scm_torch.launch", *launcher, "-m", "scm_torch"] if launcher else ["-m", "scm_torch"]), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=PYTHON_DIR, env=env())
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def relative_error(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> float:
    """||a - b|| / ||b|| over all tensors of a group together. Elementwise measures mislead here: where a
    gradient element is rounding noise, Adam's first steps (m / sqrt(v) ~ sign) move it by +-lr on either
    side, which is float32 rounding of a quantity that is zero, not a different step."""
    assert sorted(a) == sorted(b), f"different tensors: {sorted(set(a) ^ set(b))[:5]}"
    num = sum(float(((a[k].double() - b[k].double()) ** 2).sum()) for k in b)
    den = sum(float((b[k].double() ** 2).sum()) for k in b)
    return (num / den) ** 0.5


def compare_runs(x: str, y: str) -> Dict[str, float]:
    """How far run x's checkpoint is from run y's, per group; the two must be at the same step and stream position."""
    a, b = read_checkpoint(x), read_checkpoint(y)
    assert (a.step, a.skipped) == (b.step, b.skipped)
    assert a.rng.state() == b.rng.state(), "the runs' streams are at different positions: they drew different batches"
    assert a.info == b.info
    return {g: relative_error(getattr(a, g), getattr(b, g)) for g in ("params", "ema", "opt")}
