/**
 * The memory check's estimate against what bench/memory measured (bench/results/memory.json): at or
 * above every measured peak, within 2x of it at each case's largest batch, and every measured batch
 * still allowed. Nothing here allocates more than a few small models.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, Rng, type ModelConfig, type TrainMode } from '@scm/core';
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../src/options/args.js';
import { checkBatchFits, paramCount, stepMemory, storedCount } from '../src/run/limits.js';

interface Row {
  readonly case: string;
  readonly backend: BackendName;
  readonly mode: TrainMode;
  readonly batch: number;
  readonly model: ModelConfig | null;
  readonly measured: number | null;
}

const results = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/results/memory.json');
const rows = (JSON.parse(readFileSync(results, 'utf8')) as { rows: Row[] }).rows;
const measured = rows.filter((r): r is Row & { model: ModelConfig; measured: number } => r.model !== null && r.measured !== null);
const estimate = (r: (typeof measured)[number]) => stepMemory({ model: r.model, train: { mode: r.mode, batch: r.batch } as never }, r.backend).bytes;

describe('the memory estimate against bench/results/memory.json', () => {
  it('covers every backend, model kind and mode the bench measured', () => {
    expect(new Set(measured.map((r) => r.backend))).toEqual(new Set(['wasm', 'cpu', 'onnx']));
    expect(new Set(measured.map((r) => r.model.kind))).toEqual(new Set(['mlp', 'unet']));
    expect(new Set(measured.map((r) => r.mode))).toEqual(new Set(['teacher', 'sct', 'scd']));
  });

  it.each(measured.map((r) => [`${r.case} batch ${r.batch}`, r] as const))('is at or above the measured peak: %s', (_, r) => {
    expect(estimate(r)).toBeGreaterThanOrEqual(r.measured);
  });

  it('is within 2x of the measured peak at each case largest batch', () => {
    const largest = new Map<string, (typeof measured)[number]>();
    for (const r of measured) if ((largest.get(r.case)?.batch ?? 0) < r.batch) largest.set(r.case, r);
    for (const r of largest.values()) expect(estimate(r) / r.measured, r.case).toBeLessThanOrEqual(2);
  });

  it('allows every batch the bench ran', () => {
    for (const r of measured) expect(() => checkBatchFits({ model: r.model, train: { mode: r.mode, batch: r.batch } as never }, r.backend), r.case).not.toThrow();
  });
});

describe('paramCount', () => {
  it.each([
    { kind: 'mlp', width: 16, blocks: 1, inputFeatures: 32 },
    { kind: 'mlp', width: 128, blocks: 2, inputFeatures: 32, numClasses: 8, guidanceInput: true },
    { kind: 'unet', imageSize: 28, channels: 1, baseChannels: 8, channelMult: [1, 2], attentionResolutions: [14] },
    { kind: 'unet', imageSize: 28, channels: 1, baseChannels: 24, channelMult: [1, 2, 2], blocksPerLevel: 1, attentionResolutions: [7], numClasses: 10, guidanceInput: true },
    { kind: 'unet', imageSize: 32, channels: 3, baseChannels: 16, channelMult: [1, 2, 3], blocksPerLevel: 2, attentionResolutions: [16, 8], attentionHeads: 2 },
  ])('is what the model draws, without drawing it: %j', (overrides) => {
    const model = createModel(overrides as unknown as ModelConfig);
    expect(paramCount(model.config as ModelConfig)).toBe(storedCount(model.init(new Rng(0))));
  });
});
