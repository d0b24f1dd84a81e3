"""Exports the PyTorch twin's denoiser F(x, t, label, guidance) with torch.onnx, our NHWC interface at its edges.

Usage: python3 bench/cpu/torch_export.py RUN_DIR OUT.onnx
The run's EMA weights (`ema.` tensors of checkpoint.safetensors) and config.json's model; one-hot labels are
built inside the graph from int64 labels (-1: the null class), as our exported denoiser takes them.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gpu"))
from torch_scm import UnetNet, one_hot_labels, read_safetensors  # noqa: E402


class Denoiser(torch.nn.Module):
    def __init__(self, net: UnetNet, params):
        super().__init__()
        self.net = net
        # Registered as buffers so that torch.onnx stores them as initialisers.
        self.names = sorted(params)
        for i, name in enumerate(self.names):
            self.register_buffer(f"p{i}", params[name])

    def forward(self, x, t, label, guidance):
        p = {name: getattr(self, f"p{i}") for i, name in enumerate(self.names)}
        labels = one_hot_labels(label, self.net.num_classes) if self.net.num_classes > 0 else None
        return self.net.F_nhwc(p, x, t, labels, guidance if self.net.guidance_input else None)


def main(run: str, out: str) -> None:
    config = json.load(open(os.path.join(run, "config.json")))["model"]
    tensors, _ = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
    net = UnetNet(config)
    params = net.load(tensors, prefix="ema.")
    module = Denoiser(net, params).eval()
    s = config["imageSize"]
    b = 4
    args = (torch.randn(b, s, s, config["channels"]), torch.rand(b), torch.zeros(b, dtype=torch.int64), torch.ones(b))
    names = ["x", "t", "label", "guidance"]
    torch.onnx.export(module, args, out, input_names=names, output_names=["F"], opset_version=17,
                      dynamic_axes={n: {0: "batch"} for n in names + ["F"]}, do_constant_folding=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
