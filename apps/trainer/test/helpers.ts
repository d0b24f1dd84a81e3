/** Running the real command line in-process (main) or as a process (the scm bin), and reading what it wrote. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint } from '@scm/core';
import { main } from '../src/cli.js';
import type { Io } from '../src/options/io.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** main(argv) with stdout and stderr captured (not a terminal). */
export async function scm(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(PACKAGE, 'dist', 'cli.js');
/** What `scm` runs: the committed bin, which loads dist/cli.js. */
export const BIN = join(PACKAGE, 'bin', 'scm.js');

/** node bin/scm.js argv (global-setup builds dist/cli.js first). */
export function spawnScm(...argv: string[]): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first (npx tsup)`);
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'scm-trainer-test-'));
}

/** A tiny model, so a step takes milliseconds. */
export const TINY_NET = ['--width', '16', '--blocks', '1', '--batch', '32', '--log-every', '2'];
/** TINY_NET at a constant rate: the default cosine schedule ends at a run's first --steps, and the tests resume runs past it. */
export const TINY = [...TINY_NET, '--lr-schedule', 'constant'];

export function readCheckpoint(dir: string) {
  return decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))));
}

/** The params, EMA and optimiser tensors of a run's checkpoint as raw bytes, by name. */
export function checkpointTensors(dir: string): Record<string, Uint8Array> {
  const { state } = readCheckpoint(dir);
  const out: Record<string, Uint8Array> = {};
  for (const group of ['params', 'ema', 'opt'] as const) {
    for (const [name, t] of Object.entries(state[group])) out[`${group}.${name}`] = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  return out;
}

/** The message is one line and carries no stack trace. */
export function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  if (lines.length !== 1 || /^\s+at /m.test(stderr)) throw new Error(`expected a one-line error, got:\n${stderr}`);
  return lines[0];
}

/** The names of the checkpoint tensors whose bytes differ between two runs (or that only one has). */
export function differingTensors(dirA: string, dirB: string): string[] {
  const a = checkpointTensors(dirA);
  const b = checkpointTensors(dirB);
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return names.filter((k) => !a[k] || !b[k] || !Buffer.from(a[k]).equals(Buffer.from(b[k])));
}
