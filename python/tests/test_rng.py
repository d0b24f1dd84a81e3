"""rng.py, data.py and images.py against core's own draws (reference/core_draws.mjs): the stream, forks and
splits, stream positions, toy data with its standardisation, MNIST (padded to 32), and train/step.ts's
drawBatch for each mode."""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from conftest import HERE, REPO
from scm_torch.data import Toy2dSource, draw_batch
from scm_torch.images import image_source
from scm_torch.rng import Rng


@pytest.fixture(scope="module")
def core():
    done = subprocess.run(["node", os.path.join(HERE, "reference", "core_draws.mjs")], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_stream(core):
    s = core["stream"]
    r = Rng(s["seed"])
    assert np.array_equal(r.uniform(7), np.float32(s["uniform"]))
    assert np.array_equal(r.uniform64(5), s["uniform64"])
    # log, cos and sin may differ from V8's fdlibm in the last bit of a float64 (one ulp seen): draws made
    # in float32 (`normal`, all noise) are checked bit for bit below.
    assert np.allclose(r.normal64(9), s["normal64"], rtol=4e-16, atol=0)
    assert np.array_equal(r.randint(1000, 7), s["randint"])
    assert np.array_equal(r.randint(50, 2**31 - 1), s["randintBig"])  # rejections shift the stream
    assert np.array_equal(r.permutation(20), s["permutation"])
    assert r.split().key == tuple(s["splitKey"])
    assert r.state() == s["state"]


def test_positions_forks_splits(core):
    s = core["stream"]
    assert Rng(5).fork("init").key == tuple(s["forkString"])
    assert Rng(5).fork(2**40 + 3).key == tuple(s["forkNumber"])
    assert Rng(5).fork("a label longer than eight bytes, é").key == tuple(s["forkLong"])
    restored = Rng.from_state(s["state"])
    assert restored.state() == s["state"]
    assert np.array_equal(restored.normal(3), np.float32(s["normalAfter"]))
    edge = Rng.from_state({"algorithm": "philox4x32-10", "key": [1, 2], "counter": [0xFFFFFFFF, 0, 0, 0], "offset": 3})
    assert np.array_equal(edge.uniform(6), np.float32(core["edge"]["uniform"]))
    assert edge.state() == core["edge"]["state"]  # the counter carried into its second word


def test_float32_normals_bit_for_bit(core):
    assert np.array_equal(Rng(99).normal(200000), np.float32(core["manyNormals"]))


@pytest.mark.parametrize("name", ["checkerboard", "moons", "8gaussians", "swissroll", "rings"])
def test_toy_data(core, name):
    ref = core["toy"][name]
    source = Toy2dSource(name, 0.5, False)
    assert list(source.mean) == ref["affine"]["mean"] and source.scale == ref["affine"]["scale"]
    x, _ = source.sample(Rng(3), 64)
    assert np.array_equal(x.reshape(-1), np.float32(ref["sample"]))


@pytest.mark.parametrize("mode, conditional, guidance", [("teacher", True, False), ("sct", False, False), ("scd", True, True)])
def test_draw_batch(core, mode, conditional, guidance):
    ref = core["batches"][mode]
    source = Toy2dSource("8gaussians", 0.5, conditional)
    train = {"mode": mode, "batch": 16, "sigmaD": 0.5, "labelDropout": 0.1, "guidanceMax": 2 if guidance else 0,
             "proposal": {"pMean": -0.8, "pStd": 1.6} if mode == "teacher" else {"pMean": -1.0, "pStd": 1.4}}
    r = Rng(7)
    b = draw_batch(train, source, source.num_classes, guidance, r)
    for key in ("x0", "z", "t", "labels", "guidance"):
        got = getattr(b, key)
        if ref[key] is None:
            assert got is None, key
        else:
            assert np.array_equal(got.reshape(-1), np.float32(ref[key])), key
    assert r.state() == ref["state"]


def test_mnist(core):
    ref = core["mnist"]
    source = image_source({"name": "mnist", "imageSize": 32, "conditional": True, "dataStd": ref["dataStd"]}, 0.5, "a run")
    x, labels = source.sample(Rng(11), 4)
    assert x.shape == (4, 32, 32, 1)
    assert np.array_equal(x.reshape(-1), np.float32(ref["x"])) and np.array_equal(labels, ref["labels"])
