"""safetensors, read and written here so that no package beyond PyTorch and numpy is needed.

Layout: u64 little-endian header length N, N bytes of JSON header (names -> dtype, shape, byte range;
"__metadata__" -> strings), then the raw little-endian data. The writer lays tensors out in name order
and pads the header with spaces to a multiple of 8, as core's encodeSafetensors does for F32 tensors.
"""
from __future__ import annotations

import json
import struct
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch

_DTYPES = {
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


def decode_safetensors(blob: bytes, what: str = "safetensors data") -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """All tensors (on the CPU) and the string metadata of a safetensors file's bytes; checks the layout."""
    if len(blob) < 8:
        raise ValueError(f"{what}: too short for a safetensors file")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise ValueError(f"{what}: header length {header_len} runs past the end of the file")
    try:
        header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{what}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{what}: the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + header_len :]
    tensors: Dict[str, torch.Tensor] = {}
    spans = []
    for name, info in header.items():
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"{what}: tensor {name} has unsupported dtype {info.get('dtype')}")
        begin, end = info["data_offsets"]
        shape = [int(s) for s in info["shape"]]
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * np.dtype(dtype).itemsize or end > len(data):
            raise ValueError(f"{what}: tensor {name} of shape {shape} does not match its byte range [{begin}, {end})")
        spans.append((begin, end, name))
        array = np.frombuffer(data[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype, copy=True)
        tensors[name] = torch.from_numpy(array.reshape(shape))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            raise ValueError(f"{what}: tensor {name} starts at byte {begin}, expected {covered} (gap or overlap)")
        covered = end
    if covered != len(data):
        raise ValueError(f"{what}: {len(data) - covered} bytes after the last tensor")
    return tensors, {str(k): str(v) for k, v in metadata.items()}


def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    with open(path, "rb") as f:
        return decode_safetensors(f.read(), path)


def encode_safetensors(tensors: Mapping[str, torch.Tensor], metadata: Optional[Mapping[str, str]] = None) -> bytes:
    """Float32 tensors (converted if needed) as safetensors bytes, in name order."""
    fields = []
    if metadata is not None:
        fields.append(f"{json.dumps('__metadata__')}:{json.dumps(dict(metadata), separators=(',', ':'), ensure_ascii=False)}")
    chunks = []
    offset = 0
    for name in sorted(tensors):
        array = tensors[name].detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4")
        raw = array.tobytes()
        info = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        fields.append(f"{json.dumps(name)}:{json.dumps(info, separators=(',', ':'))}")
        chunks.append(raw)
        offset += len(raw)
    encoded = ("{" + ",".join(fields) + "}").encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # readers may view the data in place: keep it 8-aligned
    return b"".join([struct.pack("<Q", len(encoded)), encoded, *chunks])

