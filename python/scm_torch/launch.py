"""`python3 -m scm_torch.launch`: torchrun (torch.distributed.run) itself, with its options unchanged,
made to work on Debian's PyTorch 1.13 under Python 3.11.

There, torchrun fails before starting a worker: its default `--redirects 0 --tee 0` parse to None
(Std.from_str looks the value up by iterating the IntFlag Std, and Python 3.11 no longer yields a
flag's zero member), and the elastic agent then calls None.get. This module maps those values to
Std.NONE and hands over to torchrun's own main. Where Std parses correctly (PyTorch 2.x) it changes
nothing, so the README's commands run the same on both.
"""
from __future__ import annotations

from typing import Dict, Union

from torch.distributed.elastic.multiprocessing import Std


def _fix_std_parsing() -> None:
    original = Std.from_str

    def from_str(vm: str) -> Union[Std, Dict[int, Std]]:
        parsed = original(vm)
        if parsed is None:
            return Std.NONE
        if isinstance(parsed, dict):
            return {k: Std.NONE if v is None else v for k, v in parsed.items()}
        return parsed

    if Std.from_str("0") is None:
        Std.from_str = staticmethod(from_str)  # type: ignore[method-assign]


def main() -> None:
    _fix_std_parsing()
    from torch.distributed.run import main as torchrun

    torchrun()


if __name__ == "__main__":
    main()
