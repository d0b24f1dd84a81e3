"""The objectives and TrigFlow pieces they use, as core computes them: the fields and classifier-free
guidance (trigflow/field.ts), the schedule (trigflow/schedule.ts), the adaptive-weighted diffusion loss
(objectives/diffusion.ts) and the two-pass sCM loss of sCT and sCD (objectives/scm.ts, train/step.ts).
Every function works on either net's layout (NCHW images, [B, dim] points)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import torch

from .models import Params, TwinNet

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
# The losses (objectives/, train/step.ts).
# ---------------------------------------------------------------------------------------------------


@dataclass
class Batch:
    """One step's draws in the twin's layout (NCHW images, [B, dim] points): data x0 and noise z (std sigma_d), times t [B], one-hot labels, guidance [B]."""

    x0: torch.Tensor
    z: torch.Tensor
    t: torch.Tensor
    labels: Optional[torch.Tensor]
    guidance: Optional[torch.Tensor]


def teacher_velocity(teacher: TwinNet, teacher_params: Params, sigma_d: float, xt: torch.Tensor, batch: Batch) -> torch.Tensor:
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


def velocity(x0: torch.Tensor, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """v_t = dx_t/dt = cos(t) z - sin(t) x0: the diffusion target, and sCT's dx_t/dt."""
    tb = per_example(t, x0)
    return torch.cos(tb) * z - torch.sin(tb) * x0


def grads_of(loss_fn: Callable[[Params], torch.Tensor], params: Params) -> Tuple[torch.Tensor, Params]:
    """loss_fn(params) and its gradient w.r.t. every param (zeros for a param the loss does not reach)."""
    names = list(params)
    leaves = [params[k].detach().requires_grad_(True) for k in names]
    loss = loss_fn(dict(zip(names, leaves)))
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    return loss.detach(), {k: (gr if gr is not None else torch.zeros_like(params[k])) for k, gr in zip(names, grads)}


def scm_loss_and_grads(
    net: TwinNet, params: Params, teacher: Optional[TwinNet], teacher_params: Optional[Params], batch: Batch, sigma_d: float, r: float, normalize: bool, c: float
) -> Tuple[torch.Tensor, Params, Dict[str, torch.Tensor]]:
    """The sCM loss and its gradient w.r.t. every param (PyTorch layout), with the intermediates. dx_t/dt is the
    teacher's velocity (sCD) or, without a teacher, the data's own cos t z - sin t x0 (sCT)."""
    xt = noisy(batch.x0, batch.z, batch.t)
    if teacher is None:
        dxdt = velocity(batch.x0, batch.z, batch.t)
    else:
        assert teacher_params is not None
        dxdt = teacher_velocity(teacher, teacher_params, sigma_d, xt, batch)
    f_minus, j, g = scm_target(net, params, xt, batch.t, dxdt, sigma_d, r, normalize, c, batch.labels, batch.guidance)
    loss, grads = grads_of(lambda p: scm_loss(net, p, xt, batch.t, f_minus, g, sigma_d, batch.labels, batch.guidance), params)
    return loss, grads, {"xt": xt, "dxdt": dxdt, "Fminus": f_minus, "J": j, "g": g}


def teacher_loss_and_grads(net: TwinNet, params: Params, batch: Batch, sigma_d: float) -> Tuple[torch.Tensor, Params]:
    """The TrigFlow diffusion loss (objectives/diffusion.ts): mean of exp(-u) (F(x_t / sigma_d, t) - v_t / sigma_d)^2 + u,
    v_t = cos t z - sin t x0; and its gradient w.r.t. every param."""
    target = velocity(batch.x0, batch.z, batch.t) * (1.0 / sigma_d)
    xt = noisy(batch.x0, batch.z, batch.t)
    return grads_of(lambda p: adaptive_weighted_mse(net.F(p, xt * (1.0 / sigma_d), batch.t, batch.labels) - target, net.logvar(p, batch.t)), params)
