"""Where a run's batches come from, drawn as `scm` draws them: the toy 2-D sets (data/toy2d.ts,
data/source.ts), MNIST and Fashion-MNIST (images.py), and train/step.ts's drawBatch, which takes every
random draw of a step from the run's stream in a fixed order. Sources return numpy arrays in model
units in our layout (points [n, 2], images NHWC)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Protocol, Tuple

import numpy as np

from .rng import Rng


class DataSource(Protocol):
    name: str
    sample_shape: Tuple[int, ...]
    num_classes: int

    def sample(self, rng: Rng, n: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """n examples [n, ...sample_shape] float32 in model units, and int32 labels when conditional."""
        ...


# ---- toy 2-D data (data/toy2d.ts) -------------------------------------------------------------------

Points = Tuple[np.ndarray, Optional[np.ndarray]]  # float64 [n, 2] in the set's own coordinates, labels


def _checkerboard(n: int, rng: Rng) -> Points:
    labels = rng.randint(n, 8)
    u = rng.uniform64(2 * n).reshape(n, 2)
    i = labels >> 1
    j = 2 * (labels & 1) + 1 - (i & 1)  # each row holds two odd cells
    return np.stack([-2 + i + u[:, 0], -2 + j + u[:, 1]], axis=1), labels


def _moons(n: int, rng: Rng) -> Points:
    labels = rng.randint(n, 2)
    a = math.pi * rng.uniform64(n)
    noise = rng.normal64(2 * n).reshape(n, 2)
    upper = labels == 0
    x = np.where(upper, np.cos(a), 1 - np.cos(a))
    y = np.where(upper, np.sin(a), 0.5 - np.sin(a))
    return np.stack([x + 0.05 * noise[:, 0], y + 0.05 * noise[:, 1]], axis=1), labels


def _gaussians(n: int, rng: Rng) -> Points:
    labels = rng.randint(n, 8)
    noise = rng.normal64(2 * n).reshape(n, 2)
    a = (math.pi / 4) * labels
    return np.stack([2 * np.cos(a) + 0.1 * noise[:, 0], 2 * np.sin(a) + 0.1 * noise[:, 1]], axis=1), labels


def _swissroll(n: int, rng: Rng) -> Points:
    u = rng.uniform64(n)
    noise = rng.normal64(2 * n).reshape(n, 2)
    t = 1.5 * math.pi * (1 + 2 * u)
    return np.stack([(1 / 5) * t * np.cos(t) + 0.1 * noise[:, 0], (1 / 5) * t * np.sin(t) + 0.1 * noise[:, 1]], axis=1), None


def _rings(n: int, rng: Rng) -> Points:
    labels = rng.randint(n, 4)
    a = 2 * math.pi * rng.uniform64(n)
    noise = rng.normal64(2 * n).reshape(n, 2)
    r = np.array([0.5, 1, 1.5, 2])[labels]
    return np.stack([r * np.cos(a) + 0.05 * noise[:, 0], r * np.sin(a) + 0.05 * noise[:, 1]], axis=1), labels


TOY2D: Dict[str, Callable[[int, Rng], Points]] = {"checkerboard": _checkerboard, "moons": _moons, "8gaussians": _gaussians, "swissroll": _swissroll, "rings": _rings}
NUM_COMPONENTS = {"checkerboard": 8, "8gaussians": 8, "rings": 4, "moons": 2}
STATS_POINTS = 200_000
STATS_SEED = 0x57A7


def _sequential_sum(x: np.ndarray) -> float:
    """Left-to-right float64 sum, as a JavaScript loop adds (np.sum adds pairwise)."""
    return float(np.cumsum(x, dtype=np.float64)[-1])


def standardization(name: str, sigma_d: float) -> Tuple[Tuple[float, float], float]:
    """toy2d.ts standardize on the fixed stream: per-coordinate mean and one scale to overall std sigma_d."""
    points = TOY2D[name](STATS_POINTS, Rng(STATS_SEED))[0].astype(np.float32).astype(np.float64)
    n = len(points)
    mx = _sequential_sum(points[:, 0]) / n
    my = _sequential_sum(points[:, 1]) / n
    std = math.sqrt(_sequential_sum((points[:, 0] - mx) ** 2 + (points[:, 1] - my) ** 2) / (2 * n))
    return (mx, my), sigma_d / std


@dataclass
class Toy2dSource:
    """A toy set standardised to std sigma_d (data/source.ts toy2dSource)."""

    name: str
    sigma_d: float
    conditional: bool

    def __post_init__(self) -> None:
        if self.name not in TOY2D:
            raise ValueError(f"unknown data {self.name!r}: choose one of {', '.join(TOY2D)}")
        self.num_classes = NUM_COMPONENTS.get(self.name, 0) if self.conditional else 0
        if self.conditional and self.num_classes == 0:
            raise ValueError(f"data {self.name!r} has no class labels to condition on")
        self.sample_shape = (2,)
        self.mean, self.scale = standardization(self.name, self.sigma_d)

    def sample(self, rng: Rng, n: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        points, labels = TOY2D[self.name](n, rng)
        points = points.astype(np.float32).astype(np.float64)
        x = ((points - np.array(self.mean)) * self.scale).astype(np.float32)
        return x, (labels if self.num_classes > 0 else None)


def data_source(info: Mapping, run_dir: str) -> DataSource:
    """The data a run trains on, from its config's `data` and `train` (sampling.ts dataOf)."""
    data = info["data"]
    if data.get("kind") == "image":
        from .images import image_source

        return image_source(data, info["train"]["sigmaD"], run_dir)
    return Toy2dSource(data["name"], info["train"]["sigmaD"], bool(data["conditional"]))


# ---- a step's draws (train/step.ts drawBatch) ---------------------------------------------------------


@dataclass
class HostBatch:
    """One step's draws for the whole (global) batch, in our layout, before any split across processes."""

    x0: np.ndarray
    z: np.ndarray
    t: np.ndarray
    labels: Optional[np.ndarray]  # one-hot [B, numClasses + 1], the null class last
    guidance: Optional[np.ndarray]

    def rows(self, begin: int, end: int) -> "HostBatch":
        pick = lambda a: None if a is None else a[begin:end]  # noqa: E731
        return HostBatch(self.x0[begin:end], self.z[begin:end], self.t[begin:end], pick(self.labels), pick(self.guidance))


T_EPS = 1e-4


def sample_times(rng: Rng, n: int, proposal: Mapping, sigma_d: float) -> np.ndarray:
    """t = arctan(exp(tau) / sigma_d), tau ~ N(P_mean, P_std^2), in float64, clamped, then float32."""
    z = rng.normal64(n)
    t = np.arctan(np.exp(proposal["pMean"] + proposal["pStd"] * z) / sigma_d)
    return np.clip(t, T_EPS, math.pi / 2 - T_EPS).astype(np.float32)


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    out = np.zeros((len(labels), num_classes + 1), dtype=np.float32)
    out[np.arange(len(labels)), np.where(labels < 0, num_classes, labels)] = 1
    return out


def draw_batch(train: Mapping, data: DataSource, num_classes: int, guidance_input: bool, rng: Rng) -> HostBatch:
    """Every random draw of a step, in drawBatch's order: data, noise, times, the dropout stream's split
    (drawn though unused: dropout is not ported), label dropout (teachers), guidance scales."""
    n = train["batch"]
    x, labels = data.sample(rng, n)
    z = (rng.normal(x.size).astype(np.float64) * train["sigmaD"]).astype(np.float32).reshape(x.shape)
    t = sample_times(rng, n, train["proposal"], train["sigmaD"])
    rng.split()
    hot = None
    if num_classes > 0:
        if labels is None:
            raise ValueError(f"data {data.name!r} gives no labels but the model is class-conditional")
        if train["mode"] == "teacher" and train["labelDropout"] > 0:
            labels = np.where(rng.uniform(n).astype(np.float64) < train["labelDropout"], -1, labels)
        hot = one_hot(labels, num_classes)
    guidance = None
    if guidance_input:
        guidance = (1 + (train["guidanceMax"] - 1) * rng.uniform(n).astype(np.float64)).astype(np.float32)
    return HostBatch(x, z, t, hot, guidance)
