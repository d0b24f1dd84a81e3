#!/usr/bin/env bash
# bench/gpu on the GPU machine, from the repository root, with bench/gpu/pack built by
# `npm run bench:gpu:pack` on any x86-64 Linux machine with Node and network:
#
#   bash bench/gpu/run.sh [OUTDIR]        # writes OUTDIR/{webgpu,torch,gpu}.json and gpu.md
#
# Settings (environment): BATCH (default 128), REPEATS (default 10), CONFIGS (default all: mnist,cifar-like), PYTHON (default python3),
# TORCH_DEVICE (default cuda), FALLBACK (default error: no WebGPU adapter is a failure; cpu or
# wasm runs the Node side on tfjs CPU instead, to check this script on a machine without a GPU).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pack=$here/pack
out=${1:-$here/out}
batch=${BATCH:-128}
repeats=${REPEATS:-10}
mkdir -p "$out"
[ -f "$pack/node.xz" ] || { echo "bench/gpu/pack is missing: run npm run bench:gpu:pack first (on a machine with Node)" >&2; exit 1; }

node_dir=$(mktemp -d)
xz -dc "$pack/node.xz" > "$node_dir/node"
chmod +x "$node_dir/node"
dawn=$pack/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || xz -dc "$dawn.xz" > "$dawn"

# Dawn needs a Vulkan loader; the NVIDIA driver brings the ICD but not always the loader.
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  for f in "$pack"/deb/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
done

echo "== WebGPU (Dawn) through @scm/webgpu" >&2
"$node_dir/node" "$pack/bench.mjs" --pack "$pack" --params-dir "$out/params" --out "$out/webgpu.json" --batch "$batch" --repeats "$repeats" --fallback "${FALLBACK:-error}" ${CONFIGS:+--configs "$CONFIGS"}
echo "== PyTorch" >&2
"${PYTHON:-python3}" "$here/torch_bench.py" --pack "$pack" --device "${TORCH_DEVICE:-cuda}" --params-dir "$out/params" --out "$out/torch.json" --batch "$batch" --repeats "$repeats" ${CONFIGS:+--configs "$CONFIGS"}
"$node_dir/node" "$pack/report.mjs" "$out/webgpu.json" "$out/torch.json" "$out"
# The drawn weights are only for torch_bench.py.
rm -rf "$node_dir" "$out/params"
