/**
 * Teacher samplers free each network evaluation's activations before the next evaluation runs, so
 * a step of a two-evaluation sampler (Heun, DPM-Solver-2) peaks at one evaluation's memory, not two:
 * on tfjs wasm, Heun with CFG at batch 100 (200 rows) ran out of heap when both were alive.
 */
import { describe, expect, it } from 'vitest';
import { edmGrid, teacherSamplers, type Field } from '../src/index.js';
import type { RefTensor } from '../src/testing/index.js';
import { scopedOps } from './helpers/scoped-ops.js';

/** Activations a network evaluation leaves alive until its scope ends: many, so they dominate. */
const LAYERS = 40;

describe('teacher samplers scope each network evaluation', () => {
  it.each(['heun', 'dpm2'] as const)('%s peaks at one evaluation of live activations, not two', (sampler) => {
    const { ops, live, peak, resetPeak } = scopedOps();
    const field: Field<RefTensor> = (x) => {
      let h = x;
      for (let i = 0; i < LAYERS; i++) h = ops.add(ops.mul(h, ops.fill([], 0.9)), ops.fill([], 0.01));
      return h;
    };
    const x = ops.fromArray([0.3, -0.2, 0.5, 1.1], [2, 2]);
    resetPeak();
    ops.tidy(() => field(x, 1));
    const one = peak() - live.size;
    resetPeak();
    const before = live.size;
    const out = ops.tidy(() => teacherSamplers[sampler](ops, field, x, edmGrid(3, 0.5), 0.5));
    const during = peak() - before;
    expect(one).toBeGreaterThan(3 * LAYERS);
    // One evaluation plus the step's own tensors (x, slopes, Euler point, scalars); two would be 2 x one.
    expect(during).toBeLessThan(1.5 * one);
    expect(live.has(out)).toBe(true);
  });
});
