/**
 * Exact resume with the default model sizes on the default backend (wasm): the tiny models of the
 * other tests hide order-dependent float32 sums, which only show once clipping is active on a
 * model with many tensors. Steps are few, so this stays a few seconds per mode.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TOY2D_RECIPE } from '@scm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { differingTensors, readCheckpoint, scm, tempDir } from './helpers.js';
import { splitRecord } from '../src/run/config-check.js';

const root = tempDir();
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `args` for `total` steps straight, and for `half` then --resume to `total`; returns the two folders. */
// Exact resume is per backend, and a cosine schedule (the default) ends at the total a split run changes.
const WASM = ['--backend', 'wasm'];
const CONSTANT = ['--lr-schedule', 'constant'];

async function straightAndResumed(name: string, args: readonly string[], half: number, total: number): Promise<[string, string]> {
  const straight = join(root, `${name}-straight`);
  const split = join(root, `${name}-split`);
  const command = args[0];
  for (const [dir, steps] of [[straight, total], [split, half]] as const) {
    const r = await scm(...args, ...WASM, ...CONSTANT, '--steps', String(steps), '--out', dir);
    expect(r.code, r.stderr).toBe(0);
  }
  const r = await scm(command, ...WASM, '--resume', '--steps', String(total), '--out', split);
  expect(r.code, r.stderr).toBe(0);
  return [straight, split];
}

/**
 * `args` started with --steps 0, checked to hold a run's start (initial weights as EMA too, zero Adam
 * moments, no log), then resumed to `total`: it must end as `straight`, the same run trained at once.
 */
async function startedAndResumed(name: string, args: readonly string[], total: number, straight: string): Promise<void> {
  const dir = join(root, `${name}-start`);
  const started = await scm(...args, ...WASM, ...CONSTANT, '--steps', '0', '--out', dir);
  expect(started.code, started.stderr).toBe(0);
  const { meta, state } = readCheckpoint(dir);
  expect(meta).toMatchObject({ step: 0, skipped: 0, train: { steps: 0 } });
  expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).train.steps).toBe(0);
  expect(state.ema).toEqual(state.params);
  expect(Object.keys(state.opt).length).toBeGreaterThan(0);
  expect(Object.values(state.opt).every((t) => t.data.every((v) => v === 0))).toBe(true);
  expect(existsSync(join(dir, 'log.jsonl'))).toBe(false);
  const resumed = await scm(args[0], ...WASM, '--resume', '--steps', String(total), '--out', dir);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(differingTensors(straight, dir)).toEqual([]);
  expect(readCheckpoint(dir).meta).toEqual(readCheckpoint(straight).meta);
  // The same run, apart from the command lines that started each (a resume keeps the first).
  const config = (d: string) => splitRecord(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')));
  expect(config(dir).info).toEqual(config(straight).info);
  expect(config(dir).record.command).toEqual(['scm', ...args, ...WASM, ...CONSTANT, '--steps', '0', '--out', dir]);
}

describe('exact resume with the default models on wasm', () => {
  const teacher = join(root, 'teacher-straight');

  it('train-teacher', async () => {
    const [a, b] = await straightAndResumed('teacher', ['train-teacher'], 10, 20);
    expect(readCheckpoint(a).meta.model).toMatchObject({ kind: 'mlp', width: TOY2D_RECIPE.width, blocks: TOY2D_RECIPE.blocks, inputFeatures: TOY2D_RECIPE.inputFeatures });
    expect(differingTensors(a, b)).toEqual([]);
  });

  it('distill', async () => {
    const [a, b] = await straightAndResumed('scd', ['distill', '--teacher', teacher], 3, 6);
    expect(differingTensors(a, b)).toEqual([]);
  });

  it('train-ct', async () => {
    const [a, b] = await straightAndResumed('sct', ['train-ct', '--init', teacher], 3, 6);
    expect(differingTensors(a, b)).toEqual([]);
  });

  it('train-teacher and distill from --steps 0 end as the straight runs', async () => {
    await startedAndResumed('teacher', ['train-teacher'], 20, teacher);
    await startedAndResumed('scd', ['distill', '--teacher', teacher], 6, join(root, 'scd-straight'));
  });
});
