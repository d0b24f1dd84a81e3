"""PyTorch port of sCM-TS's networks (the image U-Net and the toy MLP), its teacher and sCD training
steps and its consistency samplers.

The reference is the TypeScript in packages/core/src; this file computes the same functions so that the
GPU benchmark compares the same work on both sides:

- models/unet.ts, unet-blocks.ts, mlp.ts, conditioning.ts, time.ts and nn/: F_theta(x_t / sigma_d,
  c_noise(t)) with c_noise(t) = t, the positional time embedding, class embedding with a null class,
  guidance embedding, adaptive double normalisation, softmax self-attention (U-Net), and the logvar
  head u(t). `create_net` builds either from our JSON config, as models/registry.ts does;
- trigflow/field.ts: the model field and classifier-free guidance;
- objectives/diffusion.ts, objectives/scm.ts and train/step.ts: one teacher (diffusion) step and one
  sCD step (teacher velocity with CFG at the student's scale, forward-mode JVP of F_theta-, tangent
  warmup and normalisation, adaptive weighting, global-norm clipping, the finiteness guard, Adam and
  the EMA as optim/ does them);
- samplers/consistency.ts: 1-step and 2-step consistency sampling (T_MID = 1.1).

Only the configuration sCM uses is ported: double normalisation, c_noise(t) = t, positional time
embeddings, no dropout and no input features. The ablations (AdaGN, log-tan c_noise, Fourier time
features) and the MLP's input Fourier features, whose frequencies come from our Philox stream, raise
NotImplementedError rather than compute something else.

Layouts. Parameters keep our names and our shapes on disk: conv weights are HWIO [kh, kw, in, out],
dense weights [in, out]. `TwinNet.load` converts conv weights to PyTorch's OIHW once and
`to_our_layout` converts back (gradients included); dense weights stay [in, out] and are used as
`x @ w`. Inside the U-Net, images are NCHW; the MLP's points are [B, dim] on both sides. Each net's
`to_torch_samples` / `to_our_samples` convert a batch at the edges, and `F_ours` takes and returns our
layout. The step and sampler functions work on the twin's layout of either rank.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

Params = Dict[str, torch.Tensor]

# ---------------------------------------------------------------------------------------------------
# Forward-mode JVP: torch.func (PyTorch >= 2.0), functorch (1.13), or plain dual numbers.
# ---------------------------------------------------------------------------------------------------


def _dual_number_jvp(fn, primals, tangents):
    """jvp from torch.autograd.forward_ad, for builds with neither torch.func nor functorch."""
    import torch.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        duals = [fwAD.make_dual(p, t) for p, t in zip(primals, tangents)]
        out = fwAD.unpack_dual(fn(*duals))
        return out.primal, out.tangent


try:
    from torch.func import jvp as _jvp  # type: ignore[attr-defined]

    JVP_IMPLEMENTATION = "torch.func.jvp"
except ImportError:  # torch < 2.0
    try:
        from functorch import jvp as _jvp  # type: ignore[no-redef]

        JVP_IMPLEMENTATION = "functorch.jvp"
    except ImportError:
        _jvp = _dual_number_jvp  # type: ignore[assignment]
        JVP_IMPLEMENTATION = "torch.autograd.forward_ad"


def jvp(fn: Callable, primals: Tuple[torch.Tensor, ...], tangents: Tuple[torch.Tensor, ...]) -> Tuple[torch.Tensor, torch.Tensor]:
    """(fn(*primals), d/de fn(primals + e tangents) at e = 0) in one forward-mode pass."""
    return _jvp(fn, tuple(primals), tuple(tangents))


# ---------------------------------------------------------------------------------------------------
# safetensors: our own reader and writer, so the package is not needed.
# Layout: u64 little-endian header length N, N bytes of JSON header, then the raw little-endian data.
# ---------------------------------------------------------------------------------------------------

_SAFETENSORS_DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
}


def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """All tensors of a safetensors file (on the CPU) and its string metadata; checks the layout."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise ValueError(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + header_len :]
    tensors: Dict[str, torch.Tensor] = {}
    spans = []
    for name, info in header.items():
        dtype = _SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        shape = [int(s) for s in info["shape"]]
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * np.dtype(dtype).itemsize or end > len(data):
            raise ValueError(f"{path}: tensor {name} of shape {shape} does not match its byte range [{begin}, {end})")
        spans.append((begin, end, name))
        array = np.frombuffer(data[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype, copy=True)
        tensors[name] = torch.from_numpy(array.reshape(shape))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            raise ValueError(f"{path}: tensor {name} starts at byte {begin}, expected {covered} (gap or overlap)")
        covered = end
    if covered != len(data):
        raise ValueError(f"{path}: {len(data) - covered} bytes after the last tensor")
    return tensors, {str(k): str(v) for k, v in metadata.items()}


def write_safetensors(path: str, tensors: Mapping[str, torch.Tensor], metadata: Optional[Mapping[str, str]] = None) -> None:
    """Float32 tensors (converted if needed) to a safetensors file, in name order."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name in sorted(tensors):
        array = tensors[name].detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4")
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # readers may view the data in place: keep it 8-aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


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
    if c["inputFeatures"] != 0:
        raise NotImplementedError("the PyTorch port has no input Fourier features (their frequencies come from our Philox stream)")


def mlp_param_shapes(c: Mapping) -> Shapes:
    """Every parameter's name and shape (all dense, [in, out]), in the order of createMlp's init."""
    w = c["width"]
    shapes: Shapes = {}
    dense_shapes(shapes, "in", c["dim"], w)
    shapes.update(conditioning_shapes(c, w))  # the embedding is as wide as the trunk (no EMB_MULT)
    dense_shapes(shapes, "out", w, c["dim"])
    logvar_shapes(shapes, c)
    for i in range(c["blocks"]):
        dense_shapes(shapes, f"blocks.{i}.fc0", w, w)
        dense_shapes(shapes, f"blocks.{i}.affine", w, 2 * w)
        dense_shapes(shapes, f"blocks.{i}.fc1", w, w)
    return shapes


class MlpNet(TwinNet):
    """Our MLP for low-dimensional data (models/mlp.ts) as functions of a parameter dict. Samples are
    [B, dim] in both layouts; the parameters are all dense and need no conversion."""

    def __init__(self, config: Mapping):
        check_mlp_config(config)
        super().__init__(config)
        self.param_shapes = mlp_param_shapes(config)
        self.sample_shape = (config["dim"],)

    def F(self, p: Params, x: torch.Tensor, t: torch.Tensor, labels: Optional[torch.Tensor] = None, guidance: Optional[torch.Tensor] = None) -> torch.Tensor:
        """F_theta for x [B, dim] (already divided by sigma_d) and t [B]: residual blocks
        h = (h + fc1(silu(cnorm(fc0(silu(gn(h))))))) / sqrt 2 between an input and an output layer."""
        emb = conditioning_embedding(p, self.config, t, labels, guidance)
        h = linear(x, p["in.weight"], p["in.bias"])
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


# ---------------------------------------------------------------------------------------------------
# TrigFlow fields (trigflow/field.ts, schedule.ts).
# ---------------------------------------------------------------------------------------------------


def per_example(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """[B] -> [B, 1, ...] with as many axes as `like`, broadcasting over one example of it
    ([B, 1, 1, 1] for NCHW images, [B, 1] for the MLP's [B, dim] points)."""
    return t.reshape(-1, *([1] * (like.dim() - 1)))


def example_axes(x: torch.Tensor) -> Tuple[int, ...]:
    """Every axis of x but the batch axis: the elements of one example."""
    return tuple(range(1, x.dim()))


def model_field(net: TwinNet, p: Params, sigma_d: float, labels=None, guidance=None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """(x_t, t [B]) -> F(x_t / sigma_d, t); the division is a multiplication by 1/sigma_d, as ours."""
    return lambda xt, t: net.F(p, xt * (1.0 / sigma_d), t, labels, guidance)


def guided_field(net: TwinNet, p: Params, sigma_d: float, labels: torch.Tensor, scale: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Classifier-free guidance F(null) + s (F(y) - F(null)) with both branches in one batch; scale [B]."""
    if net.num_classes == 0:
        raise ValueError("classifier-free guidance needs a class-conditional model")
    n = labels.shape[0]
    null = torch.zeros_like(labels)
    null[:, -1] = 1
    field = model_field(net, p, sigma_d, torch.cat([labels, null], dim=0))

    def guided(xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        out = field(torch.cat([xt, xt], dim=0), torch.cat([t, t], dim=0))
        cond, uncond = out[:n], out[n:]
        return uncond + per_example(scale, cond) * (cond - uncond)

    return guided


def t_max_for(sigma_d: float, sigma_max: float = 80.0) -> float:
    return math.atan(sigma_max / sigma_d)


T_EPS = 1e-4


def sample_times(n: int, p_mean: float, p_std: float, sigma_d: float, generator: Optional[torch.Generator] = None, device="cpu") -> torch.Tensor:
    """t = arctan(exp(tau) / sigma_d), tau ~ N(P_mean, P_std^2), in float64 then clamped and cast."""
    z = torch.randn(n, dtype=torch.float64, generator=generator, device=device)
    t = torch.atan(torch.exp(p_mean + p_std * z) / sigma_d)
    return t.clamp(T_EPS, math.pi / 2 - T_EPS).to(torch.float32)


# ---------------------------------------------------------------------------------------------------
# sCD (objectives/scm.ts, train/step.ts).
# ---------------------------------------------------------------------------------------------------


@dataclass
class ScdBatch:
    """One step's draws in the twin's layout (NCHW images, [B, dim] points): data x0 and noise z (std sigma_d), times t [B], one-hot labels, guidance [B]."""

    x0: torch.Tensor
    z: torch.Tensor
    t: torch.Tensor
    labels: Optional[torch.Tensor]
    guidance: Optional[torch.Tensor]


def teacher_velocity(teacher: TwinNet, teacher_params: Params, sigma_d: float, xt: torch.Tensor, batch: ScdBatch) -> torch.Tensor:
    """dx_t/dt = sigma_d F_teacher with classifier-free guidance at the student's scale s (step.ts)."""
    with torch.no_grad():
        if batch.labels is not None and batch.guidance is not None:
            field = guided_field(teacher, teacher_params, sigma_d, batch.labels, batch.guidance)
        else:
            field = model_field(teacher, teacher_params, sigma_d, batch.labels)
        return field(xt, batch.t) * sigma_d


def scm_target(
    net: TwinNet, params: Params, xt: torch.Tensor, t: torch.Tensor, dxdt: torch.Tensor, sigma_d: float, r: float, normalize: bool, c: float, labels=None, guidance=None
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pass 1: (F-, J, g). J = cos t sin t dF-/dt by a forward-mode JVP along (cos t sin t dx_t/dt / sigma_d, cos t sin t);
    g = -cos^2 t (sigma_d F- - dx_t/dt) - r (cos t sin t x_t + sigma_d J), then g / (||g|| + c) per example."""
    # theta- is the current weights without gradient: detached, so nothing here records a backward
    # graph (x_t, t and dx_t/dt are constants too); no torch.no_grad around the JVP, whose forward
    # mode must not depend on the grad mode outside it.
    frozen = {k: v.detach() for k, v in params.items()}
    xt, t, dxdt = xt.detach(), t.detach(), dxdt.detach()
    cs = torch.cos(t) * torch.sin(t)
    csb = per_example(cs, xt)
    f_minus, j = jvp(lambda x, tt: net.F(frozen, x, tt, labels, guidance), (xt / sigma_d, t), ((csb * dxdt) / sigma_d, cs))
    cos = per_example(torch.cos(t), xt)
    first = -(cos * cos) * (sigma_d * f_minus - dxdt)
    second = csb * xt + sigma_d * j
    g = first - r * second
    if normalize:
        norm = torch.sqrt(g.square().sum(dim=example_axes(g), keepdim=True))
        g = g / (norm + c)
    return f_minus.detach(), j.detach(), g.detach()


def adaptive_weighted_mse(residual: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Mean over all elements of exp(-u) r^2 + u, u [B] broadcast over each example."""
    ub = per_example(u, residual)
    return (torch.exp(-ub) * residual.square() + ub).mean()


def scm_loss(net: TwinNet, params: Params, xt, t, f_minus, g, sigma_d: float, labels=None, guidance=None) -> torch.Tensor:
    """Pass 2: mean of exp(-u) (F_theta - F- - g)^2 + u; F_theta - F- is zero in value, only its gradient counts."""
    f = net.F(params, xt / sigma_d, t, labels, guidance)  # as pass 1 (objectives/scm.ts)
    return adaptive_weighted_mse((f - f_minus) - g, net.logvar(params, t))


def noisy(x0: torch.Tensor, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t = cos(t) x0 + sin(t) z."""
    tb = per_example(t, x0)
    return torch.cos(tb) * x0 + torch.sin(tb) * z


def scd_loss_and_grads(
    net: TwinNet, params: Params, teacher: TwinNet, teacher_params: Params, batch: ScdBatch, sigma_d: float, r: float, normalize: bool, c: float
) -> Tuple[torch.Tensor, Params, Dict[str, torch.Tensor]]:
    """The sCD loss and its gradient w.r.t. every param (PyTorch layout); also the intermediates."""
    xt = noisy(batch.x0, batch.z, batch.t)
    dxdt = teacher_velocity(teacher, teacher_params, sigma_d, xt, batch)
    f_minus, j, g = scm_target(net, params, xt, batch.t, dxdt, sigma_d, r, normalize, c, batch.labels, batch.guidance)
    names = list(params)
    leaves = [params[k].detach().requires_grad_(True) for k in names]
    loss = scm_loss(net, dict(zip(names, leaves)), xt, batch.t, f_minus, g, sigma_d, batch.labels, batch.guidance)
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    grad_dict = {k: (gr if gr is not None else torch.zeros_like(params[k])) for k, gr in zip(names, grads)}
    return loss.detach(), grad_dict, {"xt": xt, "dxdt": dxdt, "Fminus": f_minus, "J": j, "g": g}


# ---------------------------------------------------------------------------------------------------
# Optimisation (optim/adam.ts, clip.ts, guard.ts, ema.ts, schedule.ts).
# ---------------------------------------------------------------------------------------------------

CLIP_NORM_EPS = 1e-6


def lr_at(schedule: Mapping, step: int) -> float:
    if schedule["kind"] == "constant":
        return float(schedule["lr"])
    warm = min(step / schedule["warmupSteps"], 1) if schedule.get("warmupSteps", 0) > 0 else 1
    if schedule["kind"] == "inverse-sqrt":
        return warm * schedule["lr"] / math.sqrt(max(step / schedule["refSteps"], 1))
    if schedule["kind"] == "cosine":
        return warm * schedule["lr"] * (1 + math.cos(math.pi * (min(step, schedule["decaySteps"]) - 1) / schedule["decaySteps"])) / 2
    raise ValueError(f"unknown lr schedule {schedule['kind']!r}")


def adam_scalars(step: int, lr: float, beta1: float, beta2: float, eps: float) -> Tuple[float, float]:
    """Bias corrections folded into the step size and eps: p -= lr sqrt(bc2)/bc1 * m / (sqrt(v) + eps sqrt(bc2))."""
    bc1 = 1 - beta1**step
    bc2 = 1 - beta2**step
    return lr * math.sqrt(bc2) / bc1, eps * math.sqrt(bc2)


def _sigma_rel_of(gamma: float) -> float:
    return math.sqrt((gamma + 1) / ((gamma + 2) ** 2 * (gamma + 3)))


def power_ema_gamma(sigma_rel: float) -> float:
    """EDM2's exponent whose power-function profile has relative width sigma_rel (bisection, as ema.ts)."""
    if not 0 < sigma_rel <= _sigma_rel_of(0):
        raise ValueError(f"sigma_rel must lie in (0, {_sigma_rel_of(0):.4f}], got {sigma_rel}")
    lo, hi = 0.0, 1.0
    while _sigma_rel_of(hi) > sigma_rel:
        hi *= 2
    while True:
        mid = (lo + hi) / 2
        if mid <= lo or mid >= hi:
            return hi
        if _sigma_rel_of(mid) > sigma_rel:
            lo = mid
        else:
            hi = mid


def ema_decay(ema: Mapping, step: int) -> float:
    if ema["kind"] == "power":
        return (1 - 1 / step) ** (power_ema_gamma(ema["sigmaRel"]) + 1)
    return 0.5 ** (1 / ema["halfLifeSteps"])


def tangent_warmup(step: int, warmup_steps: float) -> float:
    return 1.0 if warmup_steps <= 0 else min(1.0, step / warmup_steps)


def step_scalars(train: Mapping, step: int) -> Dict[str, float]:
    """The host scalars of 1-based `step` under our names (train/step.ts stepScalars)."""
    if train["optimizer"] != "adam":
        raise NotImplementedError(f"optimizer {train['optimizer']!r}: the port implements Adam")
    step_size, eps = adam_scalars(step, lr_at(train["lr"], step), train["beta1"], train["beta2"], train["eps"])
    return {"adam.stepSize": step_size, "adam.eps": eps, "ema.decay": ema_decay(train["ema"], step), "scm.r": tangent_warmup(step, train["tangentWarmup"])}


@dataclass
class TrainState:
    """Params, Adam moments and EMA, all in PyTorch layout; `step` = steps completed."""

    params: Params
    m: Params
    v: Params
    ema: Params
    step: int = 0
    skipped: int = 0

    @staticmethod
    def fresh(params: Params) -> "TrainState":
        """initState: EMA = params, zero moments."""
        return TrainState({k: v.clone() for k, v in params.items()}, {k: torch.zeros_like(v) for k, v in params.items()},
                          {k: torch.zeros_like(v) for k, v in params.items()}, {k: v.clone() for k, v in params.items()})


@dataclass
class StepResult:
    loss: float
    grad_norm: float
    applied: bool
    scalars: Dict[str, float] = field(default_factory=dict)


def scd_train_step(state: TrainState, net: TwinNet, teacher: TwinNet, teacher_params: Params, batch: ScdBatch, train: Mapping) -> StepResult:
    """One sCD step in place (see apply_step)."""
    def loss_and_grads(s: Mapping[str, float]) -> Tuple[torch.Tensor, Params]:
        loss, grads, _ = scd_loss_and_grads(net, state.params, teacher, teacher_params, batch, train["sigmaD"], s["scm.r"], train["tangentNormalize"], train["tangentC"])
        return loss, grads

    return apply_step(state, loss_and_grads, train)


def teacher_loss_and_grads(net: TwinNet, params: Params, batch: ScdBatch, sigma_d: float) -> Tuple[torch.Tensor, Params]:
    """The TrigFlow diffusion loss (objectives/diffusion.ts): mean of exp(-u) (F(x_t / sigma_d, t) - v_t / sigma_d)^2 + u,
    v_t = cos t z - sin t x0; and its gradient w.r.t. every param."""
    tb = per_example(batch.t, batch.x0)
    target = (torch.cos(tb) * batch.z - torch.sin(tb) * batch.x0) * (1.0 / sigma_d)
    names = list(params)
    leaves = [params[k].detach().requires_grad_(True) for k in names]
    p = dict(zip(names, leaves))
    xt = noisy(batch.x0, batch.z, batch.t)
    loss = adaptive_weighted_mse(net.F(p, xt * (1.0 / sigma_d), batch.t, batch.labels) - target, net.logvar(p, batch.t))
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    return loss.detach(), {k: (gr if gr is not None else torch.zeros_like(params[k])) for k, gr in zip(names, grads)}


def teacher_train_step(state: TrainState, net: TwinNet, batch: ScdBatch, train: Mapping) -> StepResult:
    """One diffusion (teacher) step in place (see apply_step)."""
    return apply_step(state, lambda _s: teacher_loss_and_grads(net, state.params, batch, train["sigmaD"]), train)


def apply_step(state: TrainState, loss_and_grads: Callable[[Mapping[str, float]], Tuple[torch.Tensor, Params]], train: Mapping) -> StepResult:
    """One step in place: loss and gradient, global-norm clipping, the NaN/Inf guard, Adam, EMA.

    The guard reads two scalars to the host (PyTorch's usual way to skip a step); everything else
    stays on the device. Updates use the fused multi-tensor (_foreach) ops.
    """
    step = state.step + 1
    s = step_scalars(train, step)
    names = list(state.params)
    loss, grads = loss_and_grads(s)
    g = [grads[k] for k in names]
    with torch.no_grad():
        norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(g)))  # sqrt of the sum of all squares
        max_norm = train["clip"] if train["clip"] > 0 else math.inf
        scale = (torch.tensor(max_norm, dtype=torch.float32, device=norm.device) / (norm + CLIP_NORM_EPS)).clamp(max=1.0)
        loss_v, norm_v, scale_v = torch.stack([loss, norm, scale]).tolist()
        applied = math.isfinite(loss_v + norm_v)
        if applied:
            params = [state.params[k] for k in names]
            m = [state.m[k] for k in names]
            v = [state.v[k] for k in names]
            if scale_v != 1.0:
                g = torch._foreach_mul(g, scale_v)
            beta1, beta2 = train["beta1"], train["beta2"]
            torch._foreach_mul_(m, beta1)
            torch._foreach_add_(m, g, alpha=1 - beta1)
            torch._foreach_mul_(v, beta2)
            torch._foreach_addcmul_(v, g, g, value=1 - beta2)
            denom = torch._foreach_sqrt(v)
            torch._foreach_add_(denom, s["adam.eps"])
            torch._foreach_addcdiv_(params, m, denom, value=-s["adam.stepSize"])
        else:
            state.skipped += 1
        # ema = params + decay (ema - params), after the (possibly skipped) update, as ema.ts.
        ema = [state.ema[k] for k in names]
        params = [state.params[k] for k in names]
        torch._foreach_sub_(ema, params)
        torch._foreach_mul_(ema, s["ema.decay"])
        torch._foreach_add_(ema, params)
    state.step = step
    return StepResult(loss_v, norm_v, applied, s)


# ---------------------------------------------------------------------------------------------------
# Consistency sampling (samplers/consistency.ts).
# ---------------------------------------------------------------------------------------------------

T_MID = 1.1


def consistency_times(steps: int, sigma_d: float) -> List[float]:
    """[t_max] or [t_max, 1.1]; N > 2: t_max then N - 1 times from 1.1 down to 1.1 / (N - 1)."""
    t_max = t_max_for(sigma_d)
    if steps == 1:
        return [t_max]
    if steps == 2:
        return [t_max, T_MID]
    return [t_max] + [T_MID * (1 - i / (steps - 1)) for i in range(steps - 1)]


def consistency_sample(net: TwinNet, p: Params, noise: Sequence[torch.Tensor], times: Sequence[float], sigma_d: float, labels=None, guidance=None) -> torch.Tensor:
    """x0 = f(sigma_d z_0, t_0); then renoise x = cos(t_i) x0 + sin(t_i) sigma_d z_i and x0 = f(x, t_i).
    f(x, t) = cos(t) x - sin(t) sigma_d F(x / sigma_d, t). Noise: standard normal, in the twin's layout, one per step."""
    if len(noise) != len(times):
        raise ValueError(f"one noise tensor per step: {len(noise)} for {len(times)} steps")
    field = model_field(net, p, sigma_d, labels, guidance)
    n = noise[0].shape[0]

    def denoise(x: torch.Tensor, t: float) -> torch.Tensor:
        return x * math.cos(t) - field(x, torch.full((n,), t, dtype=x.dtype, device=x.device)) * (math.sin(t) * sigma_d)

    with torch.no_grad():
        x0 = denoise(noise[0] * sigma_d, times[0])
        for z, t in zip(noise[1:], times[1:]):
            x0 = denoise(x0 * math.cos(t) + z * (math.sin(t) * sigma_d), t)
    return x0
