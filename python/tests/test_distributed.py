"""Data parallel training with torch.distributed on CPUs (gloo), through the README's launcher
(`python3 -m scm_torch.launch`, torchrun with Debian 1.13's option parsing fixed): the number of processes
does not change the steps, two launchers meet by c10d rendezvous as two machines would, and a process
killed with SIGKILL stops the run with an error, leaving the last checkpoint readable."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from conftest import CONSTANT, MLP, PYTHON_DIR, compare_runs, env, scm, scm_torch
from scm_torch.run_folder import read_checkpoint

# 1 against 2 processes measured 2e-7 (params, EMA) and 4e-6 (moments): the loss is a mean of two half-batch
# means, summed in another order. Processes drawing their own examples instead of rows of the one batch: 0.1.
TOLERANCE = {"params": 5e-6, "ema": 5e-6, "opt": 1e-4}


def fresh_run(tmp_path, name: str, batch: int = 64) -> str:
    out = str(tmp_path / name)
    scm("train-teacher", "--data", "checkerboard", "--batch", str(batch), *MLP, *CONSTANT, "--steps", "0", "--out", out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_close(x: str, y: str) -> None:
    errors = compare_runs(x, y)
    assert all(errors[g] < TOLERANCE[g] for g in errors), f"{x} vs {y}: {errors}"


def test_one_and_two_processes_take_the_same_steps(tmp_path):
    one = fresh_run(tmp_path, "one")
    two = str(tmp_path / "two")
    shutil.copytree(one, two)
    scm_torch("train", "--run", one, "--steps", "20")
    done = scm_torch("train", "--run", two, "--steps", "20", launcher=["--nproc_per_node", "2"])
    assert "32 on each of 2 processes" in done.stdout + done.stderr
    assert_close(two, one)
    scm("sample", "--run", two, "--n", "32", "--out", str(tmp_path / "two.csv"))


def test_two_launchers_meet_by_rendezvous(tmp_path):
    """--nnodes 2: two launchers on this machine stand for two machines (c10d rendezvous on a TCP port)."""
    one = fresh_run(tmp_path, "one")
    nodes = str(tmp_path / "nodes")
    shutil.copytree(one, nodes)
    scm_torch("train", "--run", one, "--steps", "10")
    port = free_port()
    launcher = [sys.executable, "-m", "scm_torch.launch", "--nnodes", "2", "--nproc_per_node", "1", "--rdzv_backend", "c10d",
                "--rdzv_endpoint", f"127.0.0.1:{port}", "--rdzv_id", "test", "-m", "scm_torch", "train", "--run", nodes, "--steps", "10"]
    procs = [subprocess.Popen(launcher, cwd=PYTHON_DIR, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(outputs)
    assert any("32 on each of 2 processes" in o for o in outputs), outputs
    assert_close(nodes, one)


def workers(launcher_pid: int) -> dict:
    """The launcher's worker processes by their RANK."""
    out = {}
    for pid in open(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read().split():
        environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        rank = [e.split(b"=", 1)[1] for e in environ if e.startswith(b"RANK=")]
        if rank:
            out[int(rank[0])] = int(pid)
    return out


def test_a_killed_process_stops_the_run_and_keeps_the_checkpoint(tmp_path):
    run = fresh_run(tmp_path, "run")
    cmd = [sys.executable, "-m", "scm_torch.launch", "--nproc_per_node", "2", "-m", "scm_torch", "train", "--run", run, "--steps", "100000",
           "--checkpoint-every", "5", "--log-every", "5"]
    launcher = subprocess.Popen(cmd, cwd=PYTHON_DIR, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        while read_checkpoint(run).step < 10:  # trained and checkpointed a few times
            assert launcher.poll() is None and time.time() < deadline, launcher.communicate()[0] if launcher.poll() is not None else "no progress"
            time.sleep(0.5)
        os.kill(workers(launcher.pid)[0], signal.SIGKILL)  # the writer: the harder case
        output = launcher.communicate(timeout=120)[0]
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode != 0, output
    # torchrun names the killed rank (Signal 9), and a survivor says which step it lost and which checkpoint is kept.
    assert "Signal 9 (SIGKILL)" in output, output
    ck = read_checkpoint(run)
    assert ck.step >= 10 and ck.step % 5 == 0
    scm("train-teacher", "--resume", "--steps", str(ck.step + 5), "--out", run)  # scm takes the run over (the dead writer's lock is stale)
