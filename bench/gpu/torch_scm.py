"""The PyTorch port of sCM-TS for the benchmarks: the names torch_bench.py and bench/cpu import, from the
scm_torch package (python/scm_torch), which holds the port itself. See TORCH.md and python/README.md."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from scm_torch.models import TwinNet, UnetNet, create_net, one_hot_labels, select_strict, to_our_layout, to_torch_layout  # noqa: E402,F401
from scm_torch.objectives import JVP_IMPLEMENTATION, noisy, sample_times  # noqa: E402,F401
from scm_torch.objectives import Batch as ScdBatch  # noqa: E402,F401
from scm_torch.objectives import scm_loss_and_grads as scd_loss_and_grads  # noqa: E402,F401
from scm_torch.optim import TrainState, step_scalars  # noqa: E402,F401
from scm_torch.safetensors import read_safetensors  # noqa: E402,F401
from scm_torch.sampling import consistency_sample, consistency_times  # noqa: E402,F401
from scm_torch.step import scd_train_step, teacher_train_step  # noqa: E402,F401
