"""A run folder as `scm` writes it (apps/trainer/src/run-folder.ts, core's train/checkpoint.ts):

  config.json             the run (model, train and data configs, teacher), JSON
  checkpoint.safetensors  params.*, ema.*, opt.* as F32; metadata {"format", "run": JSON of the run
                          plus step, skipped and the random stream's position, "crc32": each tensor's CRC-32}
  log.jsonl               one JSON line per log interval
  scm.lock                held by the process that writes the folder

Files are replaced atomically (a temporary beside the file, fsync, rename, fsync of the folder), so a
process killed half-way leaves the previous file; the lock has scm's format, so `scm` and scm_torch
refuse to write one folder at the same time.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import secrets
import socket
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, Mapping

import torch

from .rng import Rng
from .safetensors import decode_safetensors, encode_safetensors

CHECKPOINT_FORMAT = "scm-ts/checkpoint@1"
CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoint.safetensors"
LOG_FILE = "log.jsonl"
LOCK_FILE = "scm.lock"
GROUPS = ("params", "ema", "opt")
CHECKSUMS_KEY = "crc32"  # each tensor's CRC-32 of its little-endian float32 bytes, 8 hex digits (checkpoint.ts)


def _crc32(t: torch.Tensor) -> str:
    return f"{zlib.crc32(t.detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4').tobytes()):08x}"


class RunError(Exception):
    """A run folder that cannot be used as asked; the message names the folder or file and the problem."""


@dataclass
class Checkpoint:
    """A decoded checkpoint: the run (`info`, what config.json holds), its counters and stream, and our-layout tensors."""

    info: Dict
    step: int
    skipped: int
    rng: Rng
    params: Dict[str, torch.Tensor]
    ema: Dict[str, torch.Tensor]
    opt: Dict[str, torch.Tensor]


def _fill_old_fields(model: Dict) -> Dict:
    """decodeCheckpoint's reading of configs written before a field existed."""
    model = dict(model)
    if model.get("guidanceInput") and "guidanceGain" not in model:
        model["guidanceGain"] = 1
    if model.get("kind") == "mlp" and "inputFeatures" not in model:
        model.update(inputFeatures=0, inputFeatureScale=1)
    return model


def decode_checkpoint(blob: bytes, path: str) -> Checkpoint:
    tensors, metadata = decode_safetensors(blob, path)
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise RunError(f"{path} is not an scm-ts checkpoint (format {metadata.get('format')!r}, expected {CHECKPOINT_FORMAT!r})")
    try:
        meta = json.loads(metadata["run"])
    except (KeyError, json.JSONDecodeError) as e:
        raise RunError(f"{path}: its run metadata is missing or not valid JSON ({e})") from None
    for key in ("model", "train", "data", "step", "rng"):
        if key not in meta:
            raise RunError(f"{path}: its run metadata lacks {key!r}")
    for key in ("step", "skipped"):
        if not isinstance(meta.get(key), int) or meta[key] < 0:
            raise RunError(f"{path}: its {key} {meta.get(key)!r} is not a non-negative integer")
    if CHECKSUMS_KEY in metadata:  # absent from checkpoints written before checksums existed
        try:
            stored = json.loads(metadata[CHECKSUMS_KEY])
        except json.JSONDecodeError:
            raise RunError(f"{path}: its checksums are not valid JSON") from None
        bad = sorted(k for k in tensors if stored.get(k) != _crc32(tensors[k]))
        if bad or set(stored) != set(tensors):
            raise RunError(f"{path} is damaged: tensor {(bad or sorted(set(stored) ^ set(tensors)))[0]!r} does not match its checksum")
    groups: Dict[str, Dict[str, torch.Tensor]] = {g: {} for g in GROUPS}
    for key, t in tensors.items():
        group, _, name = key.partition(".")
        if group not in groups or not name:
            raise RunError(f"{path}: unexpected tensor {key!r}")
        if t.dtype != torch.float32:
            raise RunError(f"{path}: tensor {key!r} is {t.dtype}, expected float32")
        if not bool(torch.isfinite(t).all()):
            raise RunError(f"{path}: tensor {key!r} holds non-finite values: its weights are not finite")
        groups[group][name] = t
    if not groups["params"]:
        raise RunError(f"{path}: it holds no parameters")
    info = {k: v for k, v in meta.items() if k not in ("format", "step", "skipped", "rng")}
    info["model"] = _fill_old_fields(info["model"])
    try:
        rng = Rng.from_state(meta["rng"])
    except ValueError as e:
        raise RunError(f"{path}: {e}") from None
    return Checkpoint(info, meta["step"], meta["skipped"], rng, groups["params"], groups["ema"], groups["opt"])


def read_checkpoint(run_dir: str, role: str = "run") -> Checkpoint:
    if not os.path.isdir(run_dir):
        raise RunError(f"{role} folder {run_dir} does not exist or is not a folder")
    path = os.path.join(run_dir, CHECKPOINT_FILE)
    if not os.path.isfile(path):
        raise RunError(
            f"{run_dir} is not a run folder: it has no {CHECKPOINT_FILE} (start one with scm, e.g. scm train-teacher --out {run_dir} --steps 0)"
        )
    with open(path, "rb") as f:
        blob = f.read()
    try:
        return decode_checkpoint(blob, path)
    except ValueError as e:
        raise RunError(f"{path} is corrupt or not an scm checkpoint: {e}") from None


def encode_checkpoint(ck: Checkpoint) -> bytes:
    """checkpoint.ts encodeCheckpoint: {format, ...info, step, skipped, rng} and the three groups."""
    meta = {"format": CHECKPOINT_FORMAT, **ck.info, "step": ck.step, "skipped": ck.skipped, "rng": ck.rng.state()}
    tensors = {f"{group}.{name}": t for group in GROUPS for name, t in getattr(ck, group).items()}
    checksums = json.dumps({k: _crc32(t) for k, t in tensors.items()}, separators=(",", ":"))
    return encode_safetensors(tensors, {"format": CHECKPOINT_FORMAT, "run": json.dumps(meta, separators=(",", ":"), allow_nan=False), CHECKSUMS_KEY: checksums})


def weights_fingerprint(params: Mapping[str, torch.Tensor]) -> str:
    """fingerprint.ts: SHA-256 over names, shapes and float32 bytes in canonical name order."""
    h = hashlib.sha256()
    for name in sorted(params):
        t = params[name].detach().to("cpu", torch.float32).contiguous()
        h.update(f"{name}[{','.join(str(s) for s in t.shape)}]".encode())
        h.update(t.numpy().astype("<f4").tobytes())
    return f"sha256:{h.hexdigest()}"


# ---- atomic files -------------------------------------------------------------------------------------


def write_atomic(path: str, contents: bytes) -> None:
    """All or nothing: a temporary named like scm's ("<name>.<pid>.<16 hex>.tmp", created exclusively, so a
    planted file or link of that name is never opened), synced, renamed over `path`, then the folder synced."""
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(contents)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # not every platform can sync a folder; the rename has happened either way


def write_json(path: str, value: object) -> None:
    write_atomic(path, (json.dumps(value, indent=2, allow_nan=False) + "\n").encode())


def write_checkpoint(run_dir: str, ck: Checkpoint) -> None:
    write_atomic(os.path.join(run_dir, CHECKPOINT_FILE), encode_checkpoint(ck))


def write_config(run_dir: str, info: Mapping, backend: str) -> None:
    """config.json: the run's configs, the command line that started the run (kept from config.json, as
    scm keeps it on a resume), and the backend that trains it now."""
    record: Dict[str, object] = {}
    try:
        with open(os.path.join(run_dir, CONFIG_FILE)) as f:
            command = json.load(f).get("command")
        if isinstance(command, list) and all(isinstance(a, str) for a in command):
            record["command"] = command
    except (OSError, ValueError, AttributeError):
        pass  # a missing or unreadable config.json is rewritten from the checkpoint, without a command
    write_json(os.path.join(run_dir, CONFIG_FILE), {**info, **record, "backend": backend})


# ---- the log ------------------------------------------------------------------------------------------


def _js_number(x: float) -> object:
    """A float as JSON.stringify writes it: integral values without '.0', NaN and Inf as null."""
    if not math.isfinite(x):
        return None
    return int(x) if x == int(x) and abs(x) < 2**53 else x


def append_log(run_dir: str, entry: Mapping[str, float]) -> None:
    """One line of loop.ts's LogEntry, never through a link."""
    line = json.dumps({k: _js_number(v) for k, v in entry.items()}, separators=(",", ":")) + "\n"
    fd = os.open(os.path.join(run_dir, LOG_FILE), os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def trim_log(run_dir: str, step: int) -> None:
    """On resume: drops log lines past the checkpoint's step (written after it, before the run stopped)."""
    path = os.path.join(run_dir, LOG_FILE)
    try:
        with open(path) as f:
            lines = [line for line in f.read().split("\n") if line.strip()]
    except FileNotFoundError:
        return

    def keep(line: str) -> bool:
        try:
            return json.loads(line)["step"] <= step
        except (ValueError, KeyError, TypeError):
            return False

    kept = [line for line in lines if keep(line)]
    if len(kept) != len(lines):
        write_atomic(path, "".join(f"{line}\n" for line in kept).encode())


# ---- the lock (run-lock.ts) -------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


def lock_run(run_dir: str) -> Callable[[], None]:
    """Takes scm.lock ({pid, host, since}, created exclusively); a dead process's lock on this host is taken over.
    Returns the release."""
    path = os.path.join(run_dir, LOCK_FILE)
    host = socket.gethostname()

    def create() -> bool:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps({"pid": os.getpid(), "host": host, "since": datetime.now(timezone.utc).isoformat()}))
        return True

    def owner() -> Dict:
        try:
            with open(path) as f:
                o = json.load(f)
            return o if isinstance(o.get("pid"), int) and isinstance(o.get("host"), str) else {}
        except (OSError, ValueError):
            return {}

    def release() -> None:
        o = owner()
        if o.get("pid") == os.getpid() and o.get("host") == host:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    if create():
        return release
    o = owner()
    if not (o and o["host"] == host and not _alive(o["pid"])):
        who = f"process {o['pid']} on {o['host']}" if o else "another process"
        raise RunError(f"{run_dir} is locked by {who} ({path}): two runs must not write one folder; if no scm process is using it, delete the lock")
    # Moving the stale lock aside first means only one of two starters racing for it takes it over.
    aside = f"{path}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
    try:
        os.rename(path, aside)
        os.unlink(aside)
    except OSError:
        raise RunError(f"{run_dir} is locked by another process starting at the same time ({path})") from None
    if not create():
        raise RunError(f"{run_dir} is locked by another process starting at the same time ({path})")
    return release


def with_steps(info: Mapping, steps: int, batch: int) -> Dict:
    """The run's info with its total steps (and batch) as this training call sets them."""
    out = copy.deepcopy(dict(info))
    out["train"] = {**out["train"], "steps": steps, "batch": batch}
    return out
