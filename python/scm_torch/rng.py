"""Core's random stream (packages/core/src/random) in numpy: Philox4x32-10 read as consecutive 32-bit
words, with the same uniform, normal, integer, split and fork draws, so a run trained here draws the
batches `scm` would have drawn, and its checkpoint's stream position means the same on both sides.

Integer draws and uniforms are exact. Normals go through log, cos and sin: numpy's and V8's (fdlibm)
may differ in the last bit of a float64 on rare inputs, which the float32 rounding of `normal`
almost always hides; tests/test_rng.py counts the differences against core's own draws.
"""
from __future__ import annotations

import math
from typing import Dict, List, Union

import numpy as np

M0 = np.uint64(0xD2511F53)
M1 = np.uint64(0xCD9E8D57)
W0 = 0x9E3779B9
W1 = 0xBB67AE85
ROUNDS = 10
MASK32 = np.uint64(0xFFFFFFFF)
FORK_DOMAIN = 0x666F726B
LABEL_NUMBER = 1
LABEL_STRING = 2
ALGORITHM = "philox4x32-10"


def philox4x32(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 blocks of counters [n, 4] (uint32 words, word 0 first) under `key` -> [n, 4] uint32."""
    c = [counters[:, i].astype(np.uint64) for i in range(4)]
    k0, k1 = key
    for r in range(ROUNDS):
        if r > 0:
            k0 = (k0 + W0) & 0xFFFFFFFF
            k1 = (k1 + W1) & 0xFFFFFFFF
        p0 = M0 * c[0]  # a 32 x 32-bit product fits in 64 bits
        p1 = M1 * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0), p1 & MASK32, (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1), p0 & MASK32]
    return np.stack(c, axis=1).astype(np.uint32)


def _label_words(label: Union[str, int]) -> List[int]:
    if isinstance(label, int):
        if label < 0 or label >= 2**53:
            raise ValueError(f"Rng.fork: a number label must be a non-negative safe integer, got {label}")
        return [LABEL_NUMBER, 2, label & 0xFFFFFFFF, label >> 32]
    data = label.encode("utf-8")
    words = [LABEL_STRING, len(data)]
    padded = data + b"\0" * (-len(data) % 4)
    words += [int.from_bytes(padded[i : i + 4], "little") for i in range(0, len(padded), 4)]
    return words


class Rng:
    """A position in a Philox stream: key (two words) and the index of the next word (counter * 4 + offset)."""

    def __init__(self, seed: int = 0):
        if not 0 <= seed < 2**64:
            raise ValueError(f"Rng: seed must lie in [0, 2^64), got {seed}")
        self.key = (seed & 0xFFFFFFFF, seed >> 32)
        self.position = 0

    # -- state ------------------------------------------------------------------------------------

    def state(self) -> Dict:
        counter, offset = divmod(self.position, 4)
        return {"algorithm": ALGORITHM, "key": list(self.key), "counter": [(counter >> (32 * i)) & 0xFFFFFFFF for i in range(4)], "offset": offset}

    @staticmethod
    def from_state(s: Dict) -> "Rng":
        if not isinstance(s, dict) or s.get("algorithm") != ALGORITHM:
            raise ValueError(f"Rng.from_state: algorithm must be {ALGORITHM!r}, got {s.get('algorithm') if isinstance(s, dict) else s!r}")
        for field, n in (("key", 2), ("counter", 4)):
            words = s.get(field)
            if not (isinstance(words, list) and len(words) == n and all(isinstance(w, int) and 0 <= w < 2**32 for w in words)):
                raise ValueError(f"Rng.from_state: {field} must be {n} uint32 words, got {words!r}")
        if s.get("offset") not in (0, 1, 2, 3):
            raise ValueError(f"Rng.from_state: offset must be an integer in 0..3, got {s.get('offset')!r}")
        rng = Rng(0)
        rng.key = (s["key"][0], s["key"][1])
        rng.position = sum(w << (32 * i) for i, w in enumerate(s["counter"])) * 4 + s["offset"]
        return rng

    # -- raw words ----------------------------------------------------------------------------------

    def _peek(self, n: int) -> np.ndarray:
        """The next n words (uint32) without advancing."""
        if n == 0:
            return np.zeros(0, dtype=np.uint32)
        first, skip = divmod(self.position, 4)
        blocks = (skip + n + 3) // 4
        index = np.arange(blocks, dtype=np.uint64)
        lo = np.uint64(first & 0xFFFFFFFFFFFFFFFF) + index  # wraps mod 2^64 like the counter's low half
        hi = np.full(blocks, first >> 64, dtype=np.uint64) + (lo < np.uint64(first & 0xFFFFFFFFFFFFFFFF)).astype(np.uint64)
        counters = np.stack([lo & MASK32, lo >> np.uint64(32), hi & MASK32, hi >> np.uint64(32)], axis=1).astype(np.uint32)
        return philox4x32(counters, self.key).reshape(-1)[skip : skip + n]

    def words(self, n: int) -> np.ndarray:
        out = self._peek(n)
        self.position += n
        return out

    # -- draws (rng.ts) ------------------------------------------------------------------------------

    def uniform(self, n: int) -> np.ndarray:
        """Float32 uniforms in [0, 1) from the top 24 bits of a word each."""
        return ((self.words(n) >> np.uint32(8)).astype(np.float64) * 2.0**-24).astype(np.float32)

    def uniform64(self, n: int) -> np.ndarray:
        """Float64 uniforms in [0, 1) with 53 random bits, from two words each."""
        w = self.words(2 * n).reshape(n, 2)
        hi = (w[:, 0] >> np.uint32(5)).astype(np.float64)
        lo = (w[:, 1] >> np.uint32(6)).astype(np.float64)
        return (hi * 2.0**26 + lo) * 2.0**-53

    def normal64(self, n: int) -> np.ndarray:
        """Box-Muller on float64 uniforms: four words per pair; an odd n drops the last partner."""
        pairs = (n + 1) // 2
        u = self.uniform64(2 * pairs).reshape(pairs, 2)
        radius = np.sqrt(-2 * np.log(1 - u[:, 0]))
        angle = 2 * math.pi * u[:, 1]
        return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).reshape(-1)[:n]

    def normal(self, n: int) -> np.ndarray:
        return self.normal64(n).astype(np.float32)

    def randint(self, n: int, high: int) -> np.ndarray:
        """Integers in [0, high) without modulo bias: words at or above the largest multiple of high are redrawn."""
        if not (isinstance(high, int) and 1 <= high <= 2**31):
            raise ValueError(f"Rng.randint: high must be an integer in [1, 2^31], got {high}")
        limit = 2**32 - (2**32 % high)
        ahead = n
        while True:
            w = self._peek(ahead)
            accepted = np.flatnonzero(w.astype(np.uint64) < np.uint64(limit))
            if len(accepted) >= n:
                used = int(accepted[n - 1]) + 1 if n > 0 else 0
                self.position += used
                return (w[accepted[:n]] % np.uint32(high)).astype(np.int32)
            ahead += n - len(accepted) + 16

    def permutation(self, n: int) -> np.ndarray:
        """A uniformly random permutation of 0..n-1 (Fisher-Yates, each index drawn as randint does)."""
        out = list(range(n))
        words = self._peek(n + 64).tolist()  # rejections are rare: a few spare words, more if needed
        used = 0
        for i in range(n - 1, 0, -1):
            high = i + 1
            limit = 2**32 - (2**32 % high)
            while True:
                if used == len(words):
                    self.position += used
                    words, used = self._peek(64).tolist(), 0
                word = words[used]
                used += 1
                if word < limit:
                    break
            j = word % high
            out[i], out[j] = out[j], out[i]
        self.position += used
        return np.array(out, dtype=np.int32)

    def split(self) -> "Rng":
        child = Rng(0)
        w = self.words(2)
        child.key = (int(w[0]), int(w[1]))
        return child

    def fork(self, label: Union[str, int]) -> "Rng":
        words = _label_words(label)
        child = Rng(0)
        key = self.key
        for i in range(0, len(words), 2):
            counter = np.array([[words[i], words[i + 1] if i + 1 < len(words) else 0, FORK_DOMAIN, i // 2]], dtype=np.uint32)
            block = philox4x32(counter, key)[0]
            key = (int(block[0]), int(block[1]))
        child.key = key
        return child
