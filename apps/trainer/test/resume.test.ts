/**
 * Exact resume with the default model sizes on the default backend (wasm): the tiny models of the
 * other tests hide order-dependent float32 sums, which only show once clipping is active on a
 * model with many tensors. Steps are few, so this stays a few seconds per mode.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { differingTensors, readCheckpoint, scm, tempDir } from './helpers.js';

const root = tempDir();
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `args` for `total` steps straight, and for `half` then --resume to `total`; returns the two folders. */
async function straightAndResumed(name: string, args: readonly string[], half: number, total: number): Promise<[string, string]> {
  const straight = join(root, `${name}-straight`);
  const split = join(root, `${name}-split`);
  const command = args[0];
  for (const [dir, steps] of [[straight, total], [split, half]] as const) {
    const r = await scm(...args, '--steps', String(steps), '--out', dir);
    expect(r.code, r.stderr).toBe(0);
  }
  const r = await scm(command, '--resume', '--steps', String(total), '--out', split);
  expect(r.code, r.stderr).toBe(0);
  return [straight, split];
}

describe('exact resume with the default models on wasm', () => {
  const teacher = join(root, 'teacher-straight');

  it('train-teacher', async () => {
    const [a, b] = await straightAndResumed('teacher', ['train-teacher'], 10, 20);
    expect(readCheckpoint(a).meta.model).toMatchObject({ kind: 'mlp', width: 128, blocks: 4 });
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
});
