"""Data parallelism with torch.distributed, started by torchrun (or `python3 -m scm_torch.launch`).

Every process draws the whole global batch from the run's stream, exactly as `scm` does, and trains on
its own contiguous rows of it; the loss and the gradients are then averaged with one all_reduce. So the
examples a step sees do not depend on the number of processes, and 1, 2 or 8 processes take the same
steps up to float32 rounding (the order of the sums). Rank 0 alone writes the run folder.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import List, Optional

import torch
import torch.distributed as dist

# A lost peer surfaces as an error from the collective; this only bounds waiting on one that hangs.
TIMEOUT = datetime.timedelta(minutes=10)


@dataclass
class Group:
    """This process's place in the run: rank among world processes, and the device it trains on."""

    rank: int
    world: int
    device: torch.device

    @property
    def writes(self) -> bool:
        return self.rank == 0

    def rows(self, batch: int) -> tuple[int, int]:
        """This process's rows [begin, end) of a global batch, which the world must divide."""
        if batch % self.world != 0:
            raise ValueError(f"the run's batch {batch} does not split evenly across {self.world} processes: pass --batch B with B a multiple of {self.world}")
        share = batch // self.world
        return self.rank * share, (self.rank + 1) * share

    def average(self, loss: torch.Tensor, grads: List[torch.Tensor]) -> torch.Tensor:
        """The mean over processes of the loss and of every gradient (in place), by one all_reduce of a flat buffer."""
        if self.world == 1:
            return loss
        flat = torch.cat([g.reshape(-1) for g in grads] + [loss.reshape(1)])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()
        return flat[offset]

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def join(device: Optional[str]) -> Group:
    """The process group torchrun describes in the environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR...),
    or a group of one. --device cuda takes the GPU of the local rank, with NCCL; the CPU uses gloo."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    kind = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda: PyTorch sees no CUDA device here")
        if local >= torch.cuda.device_count():
            raise RuntimeError(f"local rank {local} has no GPU: this machine has {torch.cuda.device_count()}; start at most that many processes per node")
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    elif kind == "cpu":
        dev = torch.device("cpu")
    else:
        raise ValueError(f"--device must be cpu or cuda, got {kind!r}")
    if world > 1:
        dist.init_process_group("nccl" if kind == "cuda" else "gloo", timeout=TIMEOUT)
    return Group(rank, world, dev)
