"""Our networks in PyTorch: the image U-Net (models/unet.ts, unet-blocks.ts) and the MLP for low-dimensional
data (models/mlp.ts), with the conditioning they share (conditioning.ts, time.ts) and the nn/ layers they use.
`create_net` builds either from our JSON config, as models/registry.ts does.

Only the configuration sCM uses is ported: double normalisation, c_noise(t) = t, positional time
embeddings and no dropout. The ablations (AdaGN, log-tan c_noise, Fourier time features) and dropout
(whose masks come from our stream, drawn over our NHWC layout) raise NotImplementedError naming the
setting rather than compute something else.

Layouts. Parameters keep our names and shapes on disk: conv weights are HWIO [kh, kw, in, out], dense
weights [in, out]. `TwinNet.load` converts conv weights to PyTorch's OIHW once and `to_our_layout`
converts back (gradients and Adam moments included); dense weights stay [in, out] and are used as
`x @ w`. Inside the U-Net, images are NCHW; the MLP's points are [B, dim] on both sides. Each net's
`to_torch_samples` / `to_our_samples` convert a batch at the edges.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .rng import Rng

Params = Dict[str, torch.Tensor]

# ---------------------------------------------------------------------------------------------------
# The U-Net's configuration and layer plan (models/unet.ts makePlan).
# ---------------------------------------------------------------------------------------------------

# The fields of models/conditioning.ts's TrunkConfig, which every model config carries.
TRUNK_KEYS = "embChannels normGroups numClasses guidanceInput guidanceGain dropout sigmaD norm cNoise timeEmbedding fourierScale logvarChannels".split()
UNET_KEYS = "kind imageSize channels baseChannels channelMult blocksPerLevel attentionResolutions attentionHeads".split() + TRUNK_KEYS

EMB_MULT = 4  # embedding width as a multiple of baseChannels (unet.ts)
SKIP_SCALE = math.sqrt(0.5)  # residual sums are scaled by 1/sqrt(2) (unet-blocks.ts, mlp.ts)
GROUP_NORM_EPS = 1e-5
PIXEL_NORM_EPS = 1e-8
MAX_POSITIONS = 10000


@dataclass(frozen=True)
class BlockSpec:
    name: str
    cin: int
    cout: int
    attention: bool


@dataclass(frozen=True)
class DecoderLevel:
    up: Optional[Tuple[str, int]]  # the conv after upsampling (name, channels); none at the deepest level
    blocks: Tuple[BlockSpec, ...]


@dataclass(frozen=True)
class UnetPlan:
    in_channels: int
    encoder: Tuple[Tuple[bool, Tuple[BlockSpec, ...]], ...]  # per level: (pool first?, blocks)
    mid: Tuple[BlockSpec, ...]
    decoder: Tuple[DecoderLevel, ...]  # deepest level first
    out_channels: int

    def blocks(self) -> List[BlockSpec]:
        return [b for _, bs in self.encoder for b in bs] + list(self.mid) + [b for lvl in self.decoder for b in lvl.blocks]


def check_config(c: Mapping, kind: str, keys: Sequence[str]) -> None:
    """Our config keys exactly (`keys`), of model `kind`, with only the trunk settings this port implements."""
    missing = [k for k in keys if k not in c]
    extra = [k for k in c if k not in keys]
    if missing or extra:
        raise ValueError(f"{kind} config: missing keys {missing}, unknown keys {extra}")
    if c["kind"] != kind:
        raise ValueError(f"not a {kind} config: kind {c['kind']!r}")
    for key, supported in (("norm", "double"), ("cNoise", "identity"), ("timeEmbedding", "positional")):
        if c[key] != supported:
            raise NotImplementedError(f"the PyTorch port implements {key} = {supported!r} only, got {c[key]!r}")
    if c["dropout"] != 0:
        raise NotImplementedError("the PyTorch port has no dropout (sCD runs without; our masks come from our own RNG)")


def check_unet_config(c: Mapping) -> None:
    check_config(c, "unet", UNET_KEYS)
    levels = len(c["channelMult"])
    if c["imageSize"] % 2 ** (levels - 1) != 0:
        raise ValueError(f"imageSize {c['imageSize']} is not divisible by 2^{levels - 1}")
    for m in c["channelMult"]:
        if (c["baseChannels"] * m) % c["normGroups"] != 0:
            raise ValueError(f"{c['baseChannels'] * m} channels are not divisible by normGroups {c['normGroups']}")


def make_plan(c: Mapping) -> UnetPlan:
    """EDM's layout: every encoder activation (input conv, pooled, blocks) feeds one decoder block."""

    def width(level: int) -> int:
        return c["baseChannels"] * c["channelMult"][level]

    def attends(level: int) -> bool:
        return c["imageSize"] // 2**level in c["attentionResolutions"]

    levels = len(c["channelMult"])
    channels = width(0)
    skips = [channels]
    encoder = []
    for level in range(levels):
        if level > 0:
            skips.append(channels)
        blocks = []
        for i in range(c["blocksPerLevel"]):
            b = BlockSpec(f"enc.{level}.block.{i}", channels, width(level), attends(level))
            channels = b.cout
            skips.append(channels)
            blocks.append(b)
        encoder.append((level > 0, tuple(blocks)))
    deepest = levels - 1
    mid = (BlockSpec("mid.0", channels, channels, True), BlockSpec("mid.1", channels, channels, False))
    decoder = []
    for level in reversed(range(levels)):
        up = (f"dec.{level}.up", channels) if level < deepest else None
        blocks = []
        for j in range(c["blocksPerLevel"] + 1):
            b = BlockSpec(f"dec.{level}.block.{j}", channels + skips.pop(), width(level), attends(level))
            channels = b.cout
            blocks.append(b)
        decoder.append(DecoderLevel(up, tuple(blocks)))
    plan = UnetPlan(width(0), tuple(encoder), mid, tuple(decoder), channels)
    for b in plan.blocks():
        if b.attention and b.cout % c["attentionHeads"] != 0:
            raise ValueError(f"{b.name} attends over {b.cout} channels, which attentionHeads {c['attentionHeads']} does not divide")
    return plan


Shapes = Dict[str, Tuple[int, ...]]


def dense_shapes(shapes: Shapes, name: str, fan_in: int, fan_out: int, bias: bool = True) -> None:
    """A dense layer's weight [in, out] and bias [out] (nn/params.ts linearParams)."""
    shapes[f"{name}.weight"] = (fan_in, fan_out)
    if bias:
        shapes[f"{name}.bias"] = (fan_out,)


def conditioning_shapes(c: Mapping, width: int) -> Shapes:
    """The embedding of time, class and guidance into `width` channels, which every model has
    (conditioning.ts); the logvar head is added by `logvar_shapes`, after the trunk's input layers as
    in our init order, so that the U-Net's parameter order (and with it its rounding) stays as it was."""
    shapes: Shapes = {}
    dense_shapes(shapes, "map.0", c["embChannels"], width)
    dense_shapes(shapes, "map.1", width, width)
    if c["numClasses"] > 0:
        dense_shapes(shapes, "class", c["numClasses"] + 1, width, bias=False)
    if c["guidanceInput"]:
        dense_shapes(shapes, "guidance", c["embChannels"], width)
    return shapes


def logvar_shapes(shapes: Shapes, c: Mapping) -> None:
    dense_shapes(shapes, "logvar", c["logvarChannels"], 1)


def unet_param_shapes(c: Mapping) -> Shapes:
    """Every parameter's name and shape in our layout (HWIO convs, [in, out] dense weights)."""
    plan = make_plan(c)
    e = EMB_MULT * c["baseChannels"]
    shapes = conditioning_shapes(c, e)

    def dense(name: str, fan_in: int, fan_out: int) -> None:
        dense_shapes(shapes, name, fan_in, fan_out)

    def conv(name: str, k: int, cin: int, cout: int) -> None:
        shapes[f"{name}.weight"] = (k, k, cin, cout)
        shapes[f"{name}.bias"] = (cout,)

    conv("enc.in", 3, c["channels"], plan.in_channels)
    conv("out", 3, plan.out_channels, c["channels"])
    logvar_shapes(shapes, c)
    for b in plan.blocks():
        conv(f"{b.name}.conv0", 3, b.cin, b.cout)
        dense(f"{b.name}.affine", e, 2 * b.cout)
        conv(f"{b.name}.conv1", 3, b.cout, b.cout)
        if b.cin != b.cout:
            conv(f"{b.name}.skip", 1, b.cin, b.cout)
        if b.attention:
            dense(f"{b.name}.attn.qkv", b.cout, 3 * b.cout)
            dense(f"{b.name}.attn.proj", b.cout, b.cout)
    for lvl in plan.decoder:
        if lvl.up:
            conv(lvl.up[0], 3, lvl.up[1], lvl.up[1])
    return shapes


# ---------------------------------------------------------------------------------------------------
# Layout conversion and strict loading.
# ---------------------------------------------------------------------------------------------------


def nhwc_to_nchw(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2).contiguous()


def nchw_to_nhwc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1).contiguous()


def to_torch_layout(params: Mapping[str, torch.Tensor]) -> Params:
    """Conv weights HWIO -> OIHW (the only rank-4 parameters); everything else as is."""
    return {k: (v.permute(3, 2, 0, 1).contiguous() if v.dim() == 4 else v) for k, v in params.items()}


def to_our_layout(params: Mapping[str, torch.Tensor]) -> Params:
    """Conv weights OIHW -> HWIO: our checkpoints' layout (for parameters, gradients, Adam moments)."""
    return {k: (v.permute(2, 3, 1, 0).contiguous() if v.dim() == 4 else v) for k, v in params.items()}


def select_strict(tensors: Mapping[str, torch.Tensor], prefix: str, expected: Mapping[str, Sequence[int]], what: str) -> Params:
    """The tensors under `prefix`, which must be exactly `expected` by name and shape; else ValueError."""
    found = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    misshaped = [f"{k}: {list(found[k].shape)} != {list(expected[k])}" for k in sorted(set(found) & set(expected)) if tuple(found[k].shape) != tuple(expected[k])]
    if missing or extra or misshaped:
        raise ValueError(
            f"{what} ({prefix!r}) does not match the model: missing {missing[:8]}{'...' if len(missing) > 8 else ''}, "
            f"extra {extra[:8]}{'...' if len(extra) > 8 else ''}, misshaped {misshaped[:8]}"
        )
    return {k: found[k] for k in expected}


# ---------------------------------------------------------------------------------------------------
# Layers (nn/functional.ts, nn/embedding.ts, nn/adaptive.ts, conditioning.ts, unet-blocks.ts).
# ---------------------------------------------------------------------------------------------------

_FREQ_CACHE: Dict[Tuple[int, str, torch.dtype], torch.Tensor] = {}


def positional_frequencies(channels: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """f_j = MAX_POSITIONS^(-j / (channels/2)), computed in float64 and rounded once, like ours."""
    if channels % 2 != 0:
        raise ValueError(f"positional embedding: channels must be even, got {channels}")
    key = (channels, str(device), dtype)
    if key not in _FREQ_CACHE:
        half = channels // 2
        freqs = np.array([math.pow(1.0 / MAX_POSITIONS, j / half) for j in range(half)], dtype=np.float64).astype(np.float32)
        _FREQ_CACHE[key] = torch.from_numpy(freqs).to(device=device, dtype=dtype)
    return _FREQ_CACHE[key]


def positional_embedding(x: torch.Tensor, channels: int) -> torch.Tensor:
    """[cos(x f_j), sin(x f_j)] of per-example scalars x [B] -> [B, channels]."""
    angles = x.reshape(-1, 1) * positional_frequencies(channels, x.device, x.dtype).reshape(1, -1)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)


def linear(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """x [..., in] @ weight [in, out] + bias [out]: our dense layout, no copy."""
    return F.linear(x, weight.t(), bias)


def conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Stride-1 'same' convolution (odd kernels) with an OIHW weight."""
    return F.conv2d(x, weight, bias, padding=int(weight.shape[-1]) // 2)  # int(): a constant when traced by torch.onnx


def group_norm(x: torch.Tensor, groups: int) -> torch.Tensor:
    """GroupNorm without affine parameters (population variance, eps 1e-5), like nn/functional.ts."""
    return F.group_norm(x, groups, eps=GROUP_NORM_EPS)


def pixel_norm(a: torch.Tensor) -> torch.Tensor:
    """a / sqrt(mean over channels of a^2 + 1e-8)."""
    return a * torch.rsqrt(a.square().mean(dim=-1, keepdim=True) + PIXEL_NORM_EPS)


def upsample_nearest2(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour 2x upsampling as a broadcast, which every autodiff mode handles."""
    b, c, h, w = x.shape
    return x.reshape(b, c, h, 1, w, 1).expand(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w)


def conditioning_embedding(p: Params, c: Mapping, t: torch.Tensor, labels: Optional[torch.Tensor], guidance: Optional[torch.Tensor]) -> torch.Tensor:
    """silu(map(pos(t)) + labels @ class + guidance(pos(s))) [B, width] (conditioning.ts); `c` is the model's config."""
    emb = linear(F.silu(linear(positional_embedding(t, c["embChannels"]), p["map.0.weight"], p["map.0.bias"])), p["map.1.weight"], p["map.1.bias"])
    if c["numClasses"] > 0:
        if labels is None:
            raise ValueError("this model is class-conditional: pass one-hot labels (the null class for none)")
        emb = emb + labels @ p["class.weight"]
    if c["guidanceInput"]:
        if guidance is None:
            raise ValueError("this model takes a guidance scale per example")
        emb = emb + c["guidanceGain"] * linear(positional_embedding(guidance, c["embChannels"]), p["guidance.weight"], p["guidance.bias"])
    return F.silu(emb)


def conditioned_norm(x: torch.Tensor, emb: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, groups: int) -> torch.Tensor:
    """Adaptive double normalisation of x [B, C, ...]: GroupNorm(x) * pnorm(scale) + pnorm(shift), both from one
    linear layer on emb; the per-example [B, C] modulation broadcasts over x's trailing (spatial) axes, if any."""
    scale, shift = linear(emb, weight, bias).chunk(2, dim=1)
    shape = (*scale.shape, *([1] * (x.dim() - 2)))
    return group_norm(x, groups) * pixel_norm(scale).reshape(shape) + pixel_norm(shift).reshape(shape)


def logvar_head(p: Params, t: torch.Tensor, channels: int) -> torch.Tensor:
    """u(t) [B] = linear(positional embedding of t): the adaptive weighting's log-variance (conditioning.ts)."""
    return linear(positional_embedding(t, channels), p["logvar.weight"], p["logvar.bias"]).reshape(-1)


class TwinNet:
    """What the step and sampler functions need of a network, whatever its kind: `F(p, x, t, labels, guidance)`
    and `logvar(p, t)` on the twin's own sample layout, strict loading, and the layout conversion of samples
    between ours (`F_ours`, `to_torch_samples`, `to_our_samples`) and the twin's. Subclasses set `config`,
    `param_shapes` and `sample_shape` (ours, without the batch axis) and define F."""

    config: Dict
    param_shapes: Shapes
    sample_shape: Tuple[int, ...]

    def __init__(self, config: Mapping):
        self.config = dict(config)
        self.num_classes: int = config["numClasses"]
        self.guidance_input: bool = config["guidanceInput"]
        self.sigma_d: float = config["sigmaD"]
        self.groups: int = config["normGroups"]

    def load(self, tensors: Mapping[str, torch.Tensor], prefix: str = "", device="cpu", what: str = "params") -> Params:
        """Our-layout tensors under `prefix` (exactly this model's names and shapes) -> PyTorch layout on `device`."""
        ours = select_strict(tensors, prefix, self.param_shapes, what)
        return to_torch_layout({k: v.to(device=device, dtype=torch.float32) for k, v in ours.items()})

    def F(self, p: Params, x: torch.Tensor, t: torch.Tensor, labels: Optional[torch.Tensor] = None, guidance: Optional[torch.Tensor] = None) -> torch.Tensor:
        raise NotImplementedError

    def logvar(self, p: Params, t: torch.Tensor) -> torch.Tensor:
        return logvar_head(p, t, self.config["logvarChannels"])

    def to_torch_samples(self, x: torch.Tensor) -> torch.Tensor:
        """A batch in our layout -> the twin's (identity unless the layouts differ)."""
        return x

    def to_our_samples(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def F_ours(self, p: Params, x: torch.Tensor, t: torch.Tensor, labels: Optional[torch.Tensor] = None, guidance: Optional[torch.Tensor] = None) -> torch.Tensor:
        """F_theta at our layout's boundary."""
        return self.to_our_samples(self.F(p, self.to_torch_samples(x), t, labels, guidance))

    def batch_shape(self, n: int) -> Tuple[int, ...]:
        """The shape of n samples in the twin's layout (for drawing data and noise), found by running the
        layout conversion on a data-free (meta) tensor, so each net states its layout in one place."""
        return tuple(self.to_torch_samples(torch.empty(n, *self.sample_shape, device="meta")).shape)


class UnetNet(TwinNet):
    """Our U-Net as functions of a parameter dict (PyTorch layout, see `load`). Samples are NCHW inside,
    NHWC in our layout."""

    def __init__(self, config: Mapping):
        check_unet_config(config)
        super().__init__(config)
        self.plan = make_plan(config)
        self.param_shapes = unet_param_shapes(config)
        self.heads: int = config["attentionHeads"]
        self.sample_shape = (config["imageSize"], config["imageSize"], config["channels"])  # NHWC, ours

    # -- the network -------------------------------------------------------------------------------

    def embedding(self, p: Params, t: torch.Tensor, labels: Optional[torch.Tensor], guidance: Optional[torch.Tensor]) -> torch.Tensor:
        return conditioning_embedding(p, self.config, t, labels, guidance)

    def conditioned_norm(self, x: torch.Tensor, emb: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return conditioned_norm(x, emb, weight, bias, self.groups)

    # -- blocks ------------------------------------------------------------------------------------

    def block(self, p: Params, h: torch.Tensor, emb: torch.Tensor, b: BlockSpec) -> torch.Tensor:
        n = b.name
        a = conv(F.silu(group_norm(h, self.groups)), p[f"{n}.conv0.weight"], p[f"{n}.conv0.bias"])
        a = F.silu(self.conditioned_norm(a, emb, p[f"{n}.affine.weight"], p[f"{n}.affine.bias"]))
        a = conv(a, p[f"{n}.conv1.weight"], p[f"{n}.conv1.bias"])
        skip = h if b.cin == b.cout else conv(h, p[f"{n}.skip.weight"], p[f"{n}.skip.bias"])
        out = (skip + a) * SKIP_SCALE
        return self.self_attention(p, out, f"{n}.attn") if b.attention else out

    def self_attention(self, p: Params, h: torch.Tensor, name: str) -> torch.Tensor:
        """Multi-head softmax attention over the H W positions from plain ops (their JVP is exact), as a residual."""
        bsz, ch, hh, ww = h.shape
        heads, n = self.heads, hh * ww
        d = ch // heads
        tokens = group_norm(h, self.groups).reshape(bsz, ch, n).transpose(1, 2)  # [B, N, C]
        qkv = linear(tokens, p[f"{name}.qkv.weight"], p[f"{name}.qkv.bias"])  # [B, N, 3C]: q, k, v blocks of C

        def part(i: int) -> torch.Tensor:  # channel index within a block = head * d + j, as ours
            return qkv[..., i * ch : (i + 1) * ch].reshape(bsz, n, heads, d).transpose(1, 2)  # [B, heads, N, d]

        logits = (part(0) @ part(1).transpose(-1, -2)) * (1.0 / math.sqrt(d))
        merged = (torch.softmax(logits, dim=-1) @ part(2)).transpose(1, 2).reshape(bsz, n, ch)
        proj = linear(merged, p[f"{name}.proj.weight"], p[f"{name}.proj.bias"])
        return (h + proj.transpose(1, 2).reshape(bsz, ch, hh, ww)) * SKIP_SCALE

    def F(self, p: Params, x: torch.Tensor, t: torch.Tensor, labels: Optional[torch.Tensor] = None, guidance: Optional[torch.Tensor] = None) -> torch.Tensor:
        """F_theta for x [B, C, H, W] (already divided by sigma_d) and t [B]; NCHW out."""
        emb = self.embedding(p, t, labels, guidance)
        h = conv(x, p["enc.in.weight"], p["enc.in.bias"])
        skips = [h]
        for pool, blocks in self.plan.encoder:
            if pool:
                h = F.avg_pool2d(h, 2)
                skips.append(h)
            for b in blocks:
                h = self.block(p, h, emb, b)
                skips.append(h)
        for b in self.plan.mid:
            h = self.block(p, h, emb, b)
        for lvl in self.plan.decoder:
            if lvl.up:
                h = conv(upsample_nearest2(h), p[f"{lvl.up[0]}.weight"], p[f"{lvl.up[0]}.bias"])
            for b in lvl.blocks:
                h = self.block(p, torch.cat([h, skips.pop()], dim=1), emb, b)
        return conv(F.silu(group_norm(h, self.groups)), p["out.weight"], p["out.bias"])

    def to_torch_samples(self, x: torch.Tensor) -> torch.Tensor:
        return nhwc_to_nchw(x)

    def to_our_samples(self, x: torch.Tensor) -> torch.Tensor:
        return nchw_to_nhwc(x)

    def F_nhwc(self, p: Params, x: torch.Tensor, t: torch.Tensor, labels: Optional[torch.Tensor] = None, guidance: Optional[torch.Tensor] = None) -> torch.Tensor:
        """F_theta at our layout's boundary: x [B, H, W, C] -> [B, H, W, C]."""
        return self.F_ours(p, x, t, labels, guidance)


MLP_KEYS = "kind dim width blocks inputFeatures inputFeatureScale".split() + TRUNK_KEYS


def check_mlp_config(c: Mapping) -> None:
    check_config(c, "mlp", MLP_KEYS)
    for key in ("dim", "width", "blocks", "embChannels", "normGroups", "logvarChannels"):
        if not isinstance(c[key], int) or c[key] < 1:
            raise ValueError(f"mlp: {key} must be a positive integer, got {c[key]!r}")
    if c["width"] % c["normGroups"] != 0:
        raise ValueError(f"mlp: width {c['width']} is not divisible by normGroups {c['normGroups']}")
    if not isinstance(c["inputFeatures"], int) or c["inputFeatures"] < 0:
        raise ValueError(f"mlp: inputFeatures must be a non-negative integer, got {c['inputFeatures']!r}")


def mlp_param_shapes(c: Mapping) -> Shapes:
    """Every parameter's name and shape (all dense, [in, out]), in the order of createMlp's init."""
    w = c["width"]
    shapes: Shapes = {}
    dense_shapes(shapes, "in", c["dim"] + 2 * c["inputFeatures"], w)
    shapes.update(conditioning_shapes(c, w))  # the embedding is as wide as the trunk (no EMB_MULT)
    dense_shapes(shapes, "out", w, c["dim"])
    logvar_shapes(shapes, c)
    for i in range(c["blocks"]):
        dense_shapes(shapes, f"blocks.{i}.fc0", w, w)
        dense_shapes(shapes, f"blocks.{i}.affine", w, 2 * w)
        dense_shapes(shapes, f"blocks.{i}.fc1", w, w)
    return shapes


# The MLP's input features' frequencies are fixed by this seed of our stream, so they are not parameters (mlp.ts).
INPUT_FEATURE_SEED = 0xF0F0


def input_frequencies(c: Mapping) -> np.ndarray:
    """2 pi times the frequency matrix [dim, inputFeatures], drawn from our stream and rounded as ours."""
    z = Rng(INPUT_FEATURE_SEED).normal(c["dim"] * c["inputFeatures"]).astype(np.float64)
    return (2 * math.pi * c["inputFeatureScale"] * z).astype(np.float32).reshape(c["dim"], c["inputFeatures"])


class MlpNet(TwinNet):
    """Our MLP for low-dimensional data (models/mlp.ts) as functions of a parameter dict. Samples are
    [B, dim] in both layouts; the parameters are all dense and need no conversion."""

    def __init__(self, config: Mapping):
        check_mlp_config(config)
        super().__init__(config)
        self.param_shapes = mlp_param_shapes(config)
        self.sample_shape = (config["dim"],)
        self.freqs = torch.from_numpy(input_frequencies(config)) if config["inputFeatures"] > 0 else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """[x, cos(2 pi x B), sin(2 pi x B)] when the MLP has input features, else x."""
        if self.freqs is None:
            return x
        angles = x @ self.freqs.to(device=x.device, dtype=x.dtype)
        return torch.cat([x, torch.cos(angles), torch.sin(angles)], dim=1)

    def F(self, p: Params, x: torch.Tensor, t: torch.Tensor, labels: Optional[torch.Tensor] = None, guidance: Optional[torch.Tensor] = None) -> torch.Tensor:
        """F_theta for x [B, dim] (already divided by sigma_d) and t [B]: residual blocks
        h = (h + fc1(silu(cnorm(fc0(silu(gn(h))))))) / sqrt 2 between an input and an output layer."""
        emb = conditioning_embedding(p, self.config, t, labels, guidance)
        h = linear(self.features(x), p["in.weight"], p["in.bias"])
        for i in range(self.config["blocks"]):
            b = f"blocks.{i}"
            a = linear(F.silu(group_norm(h, self.groups)), p[f"{b}.fc0.weight"], p[f"{b}.fc0.bias"])
            a = F.silu(conditioned_norm(a, emb, p[f"{b}.affine.weight"], p[f"{b}.affine.bias"], self.groups))
            a = linear(a, p[f"{b}.fc1.weight"], p[f"{b}.fc1.bias"])
            h = (h + a) * SKIP_SCALE
        return linear(F.silu(group_norm(h, self.groups)), p["out.weight"], p["out.bias"])


def create_net(config: Mapping) -> TwinNet:
    """The twin of models/registry.ts createModel: a network from our JSON config, by its kind."""
    kinds = {"unet": UnetNet, "mlp": MlpNet}
    if config.get("kind") not in kinds:
        raise ValueError(f"unknown model kind {config.get('kind')!r} (known: {', '.join(kinds)})")
    return kinds[config["kind"]](config)


def one_hot_labels(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """[B, numClasses + 1] one-hot rows; label -1 (or numClasses) is the null class in the last column."""
    idx = torch.where(labels < 0, torch.full_like(labels, num_classes), labels)
    return F.one_hot(idx.long(), num_classes + 1).to(torch.float32)


