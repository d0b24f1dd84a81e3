/**
 * Checkpoints as safetensors: params, EMA and optimiser state as F32 tensors under "params.",
 * "ema." and "opt.", and everything else (configs, step, RNG state) as JSON metadata. A checkpoint
 * restores a run exactly, so resuming continues bit for bit on the same backend.
 */
import type { TensorOps } from '../tensor/ops.js';
import { Rng, type RngState } from '../random/index.js';
import { toDevice, toHost, type HostParams } from '../nn/params.js';
import type { ModelConfig } from '../models/registry.js';
import { crc32 } from '../bytes/crc32.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors.js';
import type { TrainConfig } from './config.js';
import type { TrainState } from './state.js';

/** The `format` metadata entry every checkpoint carries; {@link decodeCheckpoint} refuses any other. */
export const CHECKPOINT_FORMAT = 'scm-ts/checkpoint@1';

/** The data a run trains on, as a checkpoint records it. */
export interface DataConfig {
  /** The data source's name (e.g. 'checkerboard', 'mnist'). */
  readonly name: string;
  /** Whether training used class labels. */
  readonly conditional: boolean;
}

/** What a run is, beyond its tensors. */
export interface RunInfo {
  /** The network's architecture, enough to rebuild it with `createModel`. */
  readonly model: ModelConfig;
  /** The training settings. */
  readonly train: TrainConfig;
  /** The data trained on. */
  readonly data: DataConfig;
  /** For consistency runs: the teacher run this one was initialised or distilled from. */
  readonly teacher?: string;
  /**
   * For consistency runs: a hash of the teacher's EMA weights when the run began, so a resumed sCD
   * run can tell that its teacher has been retrained or replaced since.
   */
  readonly teacherFingerprint?: string;
}

/** A checkpoint's JSON metadata: the run, its counters and its random stream. */
export interface CheckpointMeta extends RunInfo {
  /** Always {@link CHECKPOINT_FORMAT}. */
  readonly format: typeof CHECKPOINT_FORMAT;
  /** Steps taken, skipped ones included. */
  readonly step: number;
  /** Steps whose update was skipped for a non-finite gradient norm. */
  readonly skipped: number;
  /** The run's random stream, so a resumed run draws the batches it would have drawn. */
  readonly rng: RngState;
}

/** A run's tensors on the host, as a checkpoint stores them. */
export interface HostState {
  /** The trained weights (theta). */
  readonly params: HostParams;
  /** The EMA of the weights, which sampling uses. */
  readonly ema: HostParams;
  /** The optimiser's state (Adam moments), keyed by the optimiser. */
  readonly opt: HostParams;
}

const GROUPS = ['params', 'ema', 'opt'] as const;

/** A checkpoint that cannot be read or would restore a broken run (wrong format, bad metadata, non-finite weights); the message names the problem. */
export class CheckpointError extends Error {
  constructor(detail: string) {
    super(`checkpoint: ${detail}`);
    this.name = 'CheckpointError';
  }
}

/**
 * The metadata entry holding each tensor's CRC-32 (8 hex digits) by name: safetensors has no
 * checksum of its own, and a flipped bit in a weight decodes as a valid, wrong float.
 */
const CHECKSUMS_KEY = 'crc32';

const bytesOf = (data: ArrayBufferView) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
const checksumOf = (data: ArrayBufferView) => crc32(bytesOf(data)).toString(16).padStart(8, '0');

/**
 * A checkpoint as safetensors bytes: the state's tensors as F32 under "params.", "ema." and "opt.",
 * `meta` as JSON metadata, and every tensor's CRC-32. Writing the bytes atomically is the caller's job.
 */
export function encodeCheckpoint(meta: CheckpointMeta, state: HostState): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  const checksums: Record<string, string> = {};
  for (const group of GROUPS) {
    for (const [name, t] of Object.entries(state[group])) {
      tensors[`${group}.${name}`] = { dtype: 'F32', shape: t.shape, data: t.data };
      checksums[`${group}.${name}`] = checksumOf(t.data);
    }
  }
  return encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, run: JSON.stringify(meta), [CHECKSUMS_KEY]: JSON.stringify(checksums) });
}

/** Whether every tensor's bytes match the checksums stored with them; false where none are stored (older checkpoints). */
function verifyChecksums(metadata: Record<string, string>, tensors: Record<string, SafetensorsTensor>): boolean {
  if (metadata[CHECKSUMS_KEY] === undefined) return false;
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(metadata[CHECKSUMS_KEY]) as Record<string, unknown>;
  } catch {
    throw new CheckpointError('its checksums are not valid JSON');
  }
  for (const [name, t] of Object.entries(tensors)) {
    if (typeof stored[name] !== 'string') throw new CheckpointError(`tensor "${name}" has no checksum`);
    const actual = checksumOf(t.data);
    if (actual !== stored[name]) {
      throw new CheckpointError(`tensor "${name}" does not match its checksum (crc32 ${actual}, stored ${String(stored[name])}): the file is damaged`);
    }
  }
  const orphan = Object.keys(stored).find((name) => !(name in tensors));
  if (orphan !== undefined) throw new CheckpointError(`it lacks the tensor "${orphan}" that its checksums list`);
  return true;
}

/**
 * Reads what {@link encodeCheckpoint} writes.
 *
 * @throws {@link CheckpointError} for another format, metadata that is not JSON or lacks a field,
 *   tensors outside the three groups or not F32, non-finite weights, or no parameters at all; the
 *   safetensors decoder's errors for corrupt bytes.
 */
export function decodeCheckpoint(bytes: Uint8Array): {
  /** The run and its counters. */
  meta: CheckpointMeta;
  /** The tensors. */
  state: HostState;
  /** Whether the tensors were checked against stored checksums (false: a checkpoint written before they existed). */
  checksummed: boolean;
} {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`not an scm-ts checkpoint (format ${JSON.stringify(metadata.format ?? null)}, expected "${CHECKPOINT_FORMAT}")`);
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(metadata.run) as CheckpointMeta;
  } catch (e) {
    throw new CheckpointError(`its run metadata is not valid JSON (${(e as Error).message})`);
  }
  for (const key of ['model', 'train', 'data', 'step', 'rng'] as const) {
    if (meta[key] === undefined) throw new CheckpointError(`its run metadata lacks "${key}"`);
  }
  if (meta.model.guidanceInput && (meta.model as { guidanceGain?: number }).guidanceGain === undefined) {
    // Written before the guidance gain existed: those students were trained with a gain of 1.
    meta = { ...meta, model: { ...meta.model, guidanceGain: 1 } };
  }
  if (meta.model.kind === 'mlp' && (meta.model as { inputFeatures?: number }).inputFeatures === undefined) {
    // Written before the MLP's input features existed: it had none.
    meta = { ...meta, model: { ...meta.model, inputFeatures: 0, inputFeatureScale: 1 } };
  }
  for (const key of ['step', 'skipped'] as const) {
    if (!Number.isSafeInteger(meta[key]) || meta[key] < 0) throw new CheckpointError(`its ${key} ${JSON.stringify(meta[key])} is not a non-negative integer`);
  }
  const checksummed = verifyChecksums(metadata, tensors);
  const state = { params: {}, ema: {}, opt: {} } as Record<(typeof GROUPS)[number], HostParams>;
  for (const [key, t] of Object.entries(tensors)) {
    const dot = key.indexOf('.');
    const group = key.slice(0, dot) as (typeof GROUPS)[number];
    if (!GROUPS.includes(group)) throw new CheckpointError(`unexpected tensor "${key}"`);
    if (t.dtype !== 'F32') throw new CheckpointError(`tensor "${key}" is ${t.dtype}, expected F32`);
    const bad = (t.data as Float32Array).findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      // A NaN or Inf weight only ever samples NaN, and Adam and the EMA would carry it on: refuse it here.
      throw new CheckpointError(`tensor "${key}" holds ${String((t.data as Float32Array)[bad])} at element ${bad}: its weights are not finite`);
    }
    state[group][key.slice(dot + 1)] = { shape: [...t.shape], data: t.data };
  }
  if (Object.keys(state.params).length === 0) throw new CheckpointError('it holds no parameters');
  return { meta, state, checksummed };
}

/** The tensors of a training state copied to the host (read back from the backend), for a checkpoint. */
export async function snapshot<T>(o: TensorOps<T>, s: TrainState<T>): Promise<HostState> {
  const [params, ema, opt] = await Promise.all([toHost(o, s.params), toHost(o, s.ema), toHost(o, s.opt)]);
  return { params, ema, opt };
}

/** The metadata of a checkpoint of `s`: `info` plus the step, skip count and random stream. */
export function checkpointMeta(info: RunInfo, s: TrainState<unknown>): CheckpointMeta {
  return { format: CHECKPOINT_FORMAT, ...info, step: s.step, skipped: s.skipped, rng: s.rng.state() };
}

/** A training state on backend `o` from a decoded checkpoint: resuming from it continues bit for bit on the same backend. */
export function restoreState<T>(o: TensorOps<T>, meta: CheckpointMeta, host: HostState): TrainState<T> {
  return {
    step: meta.step,
    skipped: meta.skipped,
    rng: Rng.fromState(meta.rng),
    params: toDevice(o, host.params),
    ema: toDevice(o, host.ema),
    opt: toDevice(o, host.opt),
  };
}
