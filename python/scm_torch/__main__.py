"""python3 -m scm_torch train --run DIR --steps N [--device cpu|cuda] [--batch B] [--log-every N] [--checkpoint-every N]

Under torchrun (or `python3 -m scm_torch.launch`, torchrun made to work on PyTorch 1.13 with Python 3.11)
the same command trains data parallel; see python/README.md."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from . import distributed
from .run_folder import RunError
from .train import DEFAULT_CHECKPOINT_EVERY, DEFAULT_LOG_EVERY, Options, train


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m scm_torch", description="Train sCM-TS run folders with PyTorch.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser(
        "train",
        help="train a run folder that scm started, to --steps in total",
        description="Continues the run in --run exactly as `scm ... --resume` would (same draws, checkpoint and log); "
        "start the folder with scm (e.g. scm train-teacher --out DIR --steps 0).",
    )
    t.add_argument("--run", required=True, metavar="DIR", help="run folder (config.json, checkpoint.safetensors)")
    t.add_argument("--steps", type=positive, metavar="N", help="total steps, as scm's --steps with --resume (default: the run's own total)")
    t.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda where PyTorch sees a GPU, else cpu")
    t.add_argument("--batch", type=positive, metavar="B", help="global batch, split across processes (default: the run's); a new value is recorded in the run")
    t.add_argument("--log-every", type=positive, default=DEFAULT_LOG_EVERY, metavar="N", help=f"log every N steps (default {DEFAULT_LOG_EVERY})")
    t.add_argument("--checkpoint-every", type=positive, default=DEFAULT_CHECKPOINT_EVERY, metavar="N", help=f"checkpoint every N steps and at the end (default {DEFAULT_CHECKPOINT_EVERY})")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        group = distributed.join(args.device)
    except (RuntimeError, ValueError) as e:
        print(f"scm_torch: {e}", file=sys.stderr)
        return 1
    try:
        train(Options(args.run, args.steps, args.batch, args.log_every, args.checkpoint_every), group)
    except (RunError, ValueError, NotImplementedError) as e:
        print(f"scm_torch: {e}", file=sys.stderr)
        return 1
    finally:
        group.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
