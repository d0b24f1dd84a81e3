"""Consistency sampling as samplers/consistency.ts does it: 1, 2 or N steps from noise."""
from __future__ import annotations

import math
from typing import List, Sequence

import torch

from .models import Params, TwinNet
from .objectives import model_field, t_max_for

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
