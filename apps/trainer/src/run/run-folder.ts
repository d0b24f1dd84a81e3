/**
 * A run folder on disk:
 *   config.json             what the run is (RunInfo: model, training and data configs, teacher),
 *                           the command that started it and the backend that last trained it
 *   README.md               the run's card (card.ts)
 *   curves.png              loss, grad norm, lr and skipped steps against the step (curves.ts)
 *   checkpoint.safetensors  the latest checkpoint (params, EMA, optimiser state, step, RNG state)
 *   log.jsonl               one JSON line per log interval
 *   samples.png             optional: samples drawn at the latest checkpoint
 *   eval.json               written by `scm eval` (eval.params.json: of the raw weights)
 * Every file but the log is written through atomic-file.ts (a temporary beside it, renamed over
 * it), so a write that fails half-way leaves the previous file as it was.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointMeta,
  countParams,
  createModel,
  decodeCheckpoint,
  encodeCheckpoint,
  validateTrainConfig,
  type CheckpointMeta,
  type HostParams,
  type HostState,
  type LogEntry,
  type ParamSpecs,
  type RunInfo,
  type TrainMode,
  type TrainState,
} from '@scm/core';
import { isTemporary, writeAtomic, writeJson } from './atomic-file.js';
import { describeError, RunError } from '../options/errors.js';
import { storedCount } from './limits.js';
import { LOCK_FILE } from './run-lock.js';
import { configNote, splitRecord, type RunRecord } from './config-check.js';
import type { Io } from '../options/io.js';

export const CONFIG_FILE = 'config.json';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const LOG_FILE = 'log.jsonl';
export const SAMPLES_FILE = 'samples.png';
export const EVAL_FILE = 'eval.json';

/** Which of a checkpoint's weights to sample: the EMA (every command's default) or the raw params. */
export type Weights = 'ema' | 'params';
export const WEIGHTS: readonly Weights[] = ['ema', 'params'];
/** Where `scm eval` writes its report of the given weights, so the two can sit side by side. */
export const evalFile = (weights: Weights) => (weights === 'ema' ? EVAL_FILE : 'eval.params.json');

export const checkpointPath = (dir: string) => join(dir, CHECKPOINT_FILE);

export async function ensureFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new RunError(`could not create the run folder ${dir} (${describeError(e)})`);
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

/** What a run stopped before its first checkpoint leaves (kill -9, power loss, a failed start). */
const UNSTARTED_FILES = new Set([CONFIG_FILE, LOG_FILE, LOCK_FILE]);

function isRunInfo(v: unknown): v is RunInfo {
  const i = v as Partial<RunInfo> | null;
  return (
    typeof i === 'object' && i !== null &&
    typeof i.model === 'object' && i.model !== null && ['mlp', 'unet'].includes(i.model.kind) &&
    typeof i.train === 'object' && i.train !== null && ['teacher', 'scd', 'sct'].includes(i.train.mode) &&
    typeof i.data === 'object' && i.data !== null
  );
}

/**
 * The config of a run that stopped before its first checkpoint: `dir` holds no checkpoint and
 * nothing but such a run's own files, and its config.json is a run's. Undefined for anything else,
 * so a folder of the user's own files is never mistaken for one.
 */
export async function unstartedRun(dir: string): Promise<RunInfo | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  if (!names.includes(CONFIG_FILE) || !names.every((n) => UNSTARTED_FILES.has(n) || isTemporary(n))) return undefined;
  try {
    const config: unknown = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8'));
    if (typeof config !== 'object' || config === null) return undefined;
    const { info } = splitRecord(config as Record<string, unknown>);
    return isRunInfo(info) ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Readies --out for a new run: refuses anything but a missing or empty folder, or one a run left
 * before its first checkpoint (which has nothing to lose), so a folder of the user's own files (a
 * config.json, a samples.png) is never overwritten or trimmed; then creates it.
 */
export async function prepareNewRunFolder(dir: string): Promise<{ created: boolean }> {
  const kind = await kindOf(dir);
  if (kind !== undefined && kind !== 'folder') throw new RunError(`--out ${dir} exists and is not a folder`);
  if (kind === 'folder' && (await unstartedRun(dir)) === undefined) {
    const names = await readdir(dir);
    if (names.length > 0) {
      throw new RunError(
        `--out ${dir} holds files (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}) but no ${CHECKPOINT_FILE}, so it is not a run: ` +
          'choose a new or empty folder',
      );
    }
  }
  await ensureFolder(dir);
  return { created: kind === undefined };
}

/** Removes the folder `dir` if it holds nothing: what a start that failed before writing leaves. */
export async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
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
 * "teacher run"). Every failure is a RunError naming the folder or file and what is wrong. With
 * `io`, notes what could not be checked (a checkpoint older than checksums) and a config.json
 * that disagrees with the checkpoint, which is what the run is taken to be.
 */
export async function loadRun(dir: string, role = 'run', io?: Io): Promise<LoadedRun> {
  const kind = await kindOf(dir);
  if (kind === undefined) throw new RunError(`${role} folder ${dir} does not exist`);
  if (kind !== 'folder') throw new RunError(`${role} folder ${dir} is not a folder`);
  const path = checkpointPath(dir);
  if ((await kindOf(path)) !== 'file') throw new RunError(`${dir} is not a run folder: it has no ${CHECKPOINT_FILE}`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new RunError(`could not read ${path} (${describeError(e)})`);
  }
  let decoded: ReturnType<typeof decodeCheckpoint>;
  try {
    decoded = decodeCheckpoint(bytes);
    checkCheckpoint(decoded.meta, decoded.state);
  } catch (e) {
    throw new RunError(`${path} is corrupt or not an scm checkpoint: ${describeError(e)}`);
  }
  const { meta, state, checksummed } = decoded;
  if (io) {
    if (!checksummed) io.err(`note: ${path} was written before checkpoints carried checksums: its tensors could not be checked for damage\n`);
    const note = await configNote(dir, meta, CONFIG_FILE);
    if (note) io.err(`${note}\n`);
  }
  return { dir, meta, state };
}

/** The configs are valid and params and EMA hold exactly the model's tensors, with the right shapes. */
function checkCheckpoint(meta: CheckpointMeta, state: HostState): void {
  validateTrainConfig(meta.train);
  // The model's specs, not its init: drawing the weights of a crafted config claiming width 3000
  // cost 20 s and 800 MB before the shape check could refuse it.
  const expected = createModel(meta.model).paramSpecs();
  const claimed = countParams(expected);
  const stored = storedCount(state.params);
  if (claimed !== stored) throw new Error(`its model config describes ${claimed} parameters, but it stores ${stored}`);
  for (const group of ['params', 'ema'] as const) checkTensors(group, state[group], expected);
}

function checkTensors(group: string, got: HostParams, expected: ParamSpecs): void {
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

export const writeRunInfo = (dir: string, info: RunInfo, record: RunRecord) => writeJson(join(dir, CONFIG_FILE), { ...info, ...record });

/** The record in `dir`'s config.json; empty where it has none or cannot be read. */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  try {
    const config: unknown = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8'));
    return typeof config === 'object' && config !== null ? splitRecord(config as Record<string, unknown>).record : {};
  } catch {
    return {};
  }
}

const APPEND_NO_LINK = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

export function appendLog(dir: string, entry: LogEntry): void {
  try {
    // Never through a link: a planted log.jsonl link must not make the run append to a file elsewhere.
    const fd = openSync(join(dir, LOG_FILE), APPEND_NO_LINK, 0o644);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new RunError(`could not append to ${join(dir, LOG_FILE)} (${describeError(e)})`);
  }
}

/**
 * The log's entries in file order, skipping lines that are not entries (a line cut short by a
 * crash); none where there is no log yet.
 */
export async function readLog(dir: string): Promise<LogEntry[]> {
  const path = join(dir, LOG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RunError(`could not read ${path} (${describeError(e)})`);
  }
  return text.split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as LogEntry;
      return typeof entry === 'object' && entry !== null && typeof entry.step === 'number' ? [entry] : [];
    } catch {
      return [];
    }
  });
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
