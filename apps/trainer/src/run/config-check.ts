/**
 * A run folder says what the run is twice: config.json (for people and other tools) and the
 * checkpoint's metadata (what the weights were trained with). Sampling and evaluation go by the
 * checkpoint; where config.json is unreadable or says something else, they say so instead of
 * letting an edited or damaged config.json pass unnoticed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointMeta } from '@scm/core';

/**
 * What config.json records beside the run's configs, for people: the command line that started the
 * run (scm's argv, from "scm") and the backend that last trained it. The checkpoint carries neither
 * (a run resumed on another backend is the same run), so the comparison below leaves them out.
 */
export interface RunRecord {
  readonly command?: readonly string[];
  readonly backend?: string;
}

/** A parsed config.json split into the run's configs and its record. */
export function splitRecord(config: Record<string, unknown>): { info: Record<string, unknown>; record: RunRecord } {
  const { command, backend, ...info } = config;
  const isArgv = Array.isArray(command) && command.every((a) => typeof a === 'string');
  return { info, record: { ...(isArgv ? { command: command as string[] } : {}), ...(typeof backend === 'string' ? { backend } : {}) } };
}

/** The first path at which two JSON values differ ("model.width"), with both values; undefined if equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): { path: string; a: unknown; b: unknown } | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObject(a) || !isObject(b) || Array.isArray(a) !== Array.isArray(b)) {
    return Object.is(a, b) ? undefined : { path: path || '(the whole file)', a, b };
  }
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
    const d = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
    if (d) return d;
  }
  return undefined;
}

const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));

/**
 * A note on `dir`'s config.json where it cannot be read as JSON or disagrees with the checkpoint's
 * `meta`; undefined where it agrees or is missing (a checkpoint copied on its own is a whole run).
 */
export async function configNote(dir: string, meta: CheckpointMeta, configFile: string): Promise<string | undefined> {
  const path = join(dir, configFile);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : `note: cannot read ${path}: using the checkpoint's config`;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return `note: ${path} is not valid JSON: using the checkpoint's config`;
  }
  const { format: _format, step: _step, skipped: _skipped, rng: _rng, ...info } = meta;
  const d = firstDifference(typeof config === 'object' && config !== null ? splitRecord(config as Record<string, unknown>).info : config, info);
  return d && `note: ${path} differs from the checkpoint at ${d.path} (${show(d.a)} there, ${show(d.b)} in the checkpoint): using the checkpoint's`;
}
