/**
 * A run folder on disk:
 *   config.json             what the run is (RunInfo: model, training and data configs, teacher)
 *   checkpoint.safetensors  the latest checkpoint (params, EMA, optimiser state, step, RNG state)
 *   log.jsonl               one JSON line per log interval
 *   samples.png             optional: samples drawn at the latest checkpoint
 *   eval.json               written by `scm eval`
 * Every file but the log is written to "<name>.tmp" in the same folder and renamed over the old
 * one, so a write that fails half-way leaves the previous file as it was.
 */
import { appendFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointMeta,
  createModel,
  decodeCheckpoint,
  encodeCheckpoint,
  Rng,
  validateTrainConfig,
  type CheckpointMeta,
  type HostParams,
  type HostState,
  type LogEntry,
  type RunInfo,
  type TrainMode,
  type TrainState,
} from '@scm/core';
import { RunError } from './errors.js';

export const CONFIG_FILE = 'config.json';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const LOG_FILE = 'log.jsonl';
export const SAMPLES_FILE = 'samples.png';
export const EVAL_FILE = 'eval.json';

export const checkpointPath = (dir: string) => join(dir, CHECKPOINT_FILE);
export const tempPath = (path: string) => `${path}.tmp`;

const reason = (e: unknown) => (e as Error).message ?? String(e);

/** Writes `path` through a temporary file in the same folder and a rename: all or nothing. */
export async function writeAtomic(path: string, contents: Uint8Array | string): Promise<void> {
  const tmp = tempPath(path);
  try {
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(contents);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new RunError(`could not write ${path} (${reason(e)}); the previous ${path} is untouched`);
  }
}

export const writeJson = (path: string, value: unknown) => writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);

export async function ensureFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new RunError(`could not create the run folder ${dir} (${reason(e)})`);
  }
}

async function kindOf(path: string): Promise<'file' | 'folder' | 'other' | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other';
  } catch {
    return undefined;
  }
}

export async function hasCheckpoint(dir: string): Promise<boolean> {
  return (await kindOf(checkpointPath(dir))) === 'file';
}

export interface LoadedRun {
  readonly dir: string;
  readonly meta: CheckpointMeta;
  readonly state: HostState;
}

/**
 * Reads and checks a run folder's checkpoint. `role` names the folder in messages ("run",
 * "teacher run"). Every failure is a RunError naming the folder or file and what is wrong.
 */
export async function loadRun(dir: string, role = 'run'): Promise<LoadedRun> {
  const kind = await kindOf(dir);
  if (kind === undefined) throw new RunError(`${role} folder ${dir} does not exist`);
  if (kind !== 'folder') throw new RunError(`${role} folder ${dir} is not a folder`);
  const path = checkpointPath(dir);
  if ((await kindOf(path)) !== 'file') throw new RunError(`${dir} is not a run folder: it has no ${CHECKPOINT_FILE}`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new RunError(`could not read ${path} (${reason(e)})`);
  }
  let decoded: { meta: CheckpointMeta; state: HostState };
  try {
    decoded = decodeCheckpoint(bytes);
    checkCheckpoint(decoded.meta, decoded.state);
  } catch (e) {
    throw new RunError(`${path} is corrupt or not an scm checkpoint: ${reason(e)}`);
  }
  return { dir, ...decoded };
}

/** The configs are valid and params and EMA hold exactly the model's tensors, with the right shapes. */
function checkCheckpoint(meta: CheckpointMeta, state: HostState): void {
  if (!Number.isInteger(meta.step) || meta.step < 0) throw new Error(`its step ${String(meta.step)} is not a non-negative integer`);
  validateTrainConfig(meta.train);
  const model = createModel(meta.model);
  const expected = model.init(new Rng(0));
  for (const group of ['params', 'ema'] as const) checkTensors(group, state[group], expected);
}

function checkTensors(group: string, got: HostParams, expected: HostParams): void {
  for (const [name, t] of Object.entries(expected)) {
    const have = got[name];
    if (!have) throw new Error(`${group} lack the tensor "${name}"`);
    if (have.shape.join(',') !== t.shape.join(',')) {
      throw new Error(`${group} tensor "${name}" has shape [${have.shape.join(', ')}], the model needs [${t.shape.join(', ')}]`);
    }
  }
  const extra = Object.keys(got).filter((k) => !(k in expected));
  if (extra.length > 0) throw new Error(`${group} hold tensors the model does not have: ${extra.slice(0, 3).join(', ')}`);
}

export async function writeCheckpoint(dir: string, info: RunInfo, state: TrainState<unknown>, host: HostState): Promise<void> {
  await writeAtomic(checkpointPath(dir), encodeCheckpoint(checkpointMeta(info, state), host));
}

export const writeRunInfo = (dir: string, info: RunInfo) => writeJson(join(dir, CONFIG_FILE), info);

export function appendLog(dir: string, entry: LogEntry): void {
  try {
    appendFileSync(join(dir, LOG_FILE), `${JSON.stringify(entry)}\n`);
  } catch (e) {
    throw new RunError(`could not append to ${join(dir, LOG_FILE)} (${reason(e)})`);
  }
}

/** On resume: drops log lines past the checkpoint's step (written after it, before the run stopped). */
export async function trimLog(dir: string, step: number): Promise<void> {
  const path = join(dir, LOG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const kept = lines.filter((line) => {
    try {
      return (JSON.parse(line) as { step?: number }).step! <= step;
    } catch {
      return false;
    }
  });
  if (kept.length !== lines.length) await writeAtomic(path, kept.map((l) => `${l}\n`).join(''));
}

export const isConsistencyMode = (mode: TrainMode) => mode !== 'teacher';

export function describeMode(mode: TrainMode): string {
  return mode === 'teacher' ? 'diffusion teacher' : mode === 'scd' ? 'sCD (consistency distillation)' : 'sCT (consistency training)';
}
