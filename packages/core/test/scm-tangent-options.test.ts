/**
 * The sCM tangent's two options beyond the paper's Algorithm 1, on an MLP with random weights in
 * float64: one normalisation for the whole batch (against the unnormalised tangent rescaled on the
 * host) and the finite-difference JVP (against the exact forward-mode JVP, with the O(h^2) error a
 * central difference must show). Then both as TrainConfig options: refused when malformed, and a
 * training step that takes them.
 */
import { describe, expect, it } from 'vitest';
import { createMlp, defaultTrainConfig, initState, makeOptimizer, Rng, scmTarget, toDevice, toy2dSource, trainStep, type HostParams, type TangentSettings } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const sigmaD = 0.5;
const B = 24;
const model = createMlp({ width: 16, blocks: 1, embChannels: 8, normGroups: 4, logvarChannels: 8, inputFeatures: 4 });
// A fresh MLP's output layer is zero, which would make F and J zero too: every weight is drawn instead.
const rng = new Rng(7);
/** Float64 host params: ReferenceOps keeps them float64 (HostParams says float32, as checkpoints are). */
const host64 = (tree: Record<string, { shape: readonly number[]; data: Float64Array }>) => tree as unknown as HostParams;
const params = toDevice(
  o,
  host64(Object.fromEntries(Object.entries(model.paramSpecs()).map(([k, s]) => [k, { shape: s.shape, data: rng.normal64(s.shape.reduce((a, b) => a * b, 1)).map((x) => 0.4 * x) }]))),
);
const draws = new Rng(3);
const xt = o.fromArray(draws.normal64(B * 2).map((v) => v * sigmaD), [B, 2]);
const t = o.fromArray(draws.uniform64(B).map((u) => 0.05 + u * (Math.PI / 2 - 0.1)), [B]);
const dxdt = o.fromArray(draws.normal64(B * 2).map((v) => v * sigmaD), [B, 2]);
const read = (x: unknown) => Array.from(o.readSync(x as never));
const target = (s: Partial<TangentSettings<never>>) => scmTarget(o, model, params, xt, t, dxdt, { sigmaD, r: 0.8, normalize: true, c: 0.1, ...s });

describe("the tangent normalised over the batch ('batch')", () => {
  it('divides the raw tangent by one number: the root mean square of the per-example norms plus c', () => {
    const raw = read(target({ normalize: false }).g);
    let squares = 0;
    for (const v of raw) squares += v * v;
    const scale = 1 / (Math.sqrt(squares / B) + 0.1);
    read(target({ over: 'batch' }).g).forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(raw[i] * scale, 12));
  });

  it("keeps the examples' relative sizes, which the per-example norm evens out", () => {
    const norms = (g: number[]) => Array.from({ length: B }, (_, b) => Math.hypot(g[2 * b], g[2 * b + 1]));
    const spread = (v: number[]) => Math.max(...v) / Math.min(...v);
    const raw = norms(read(target({ normalize: false }).g));
    expect(spread(norms(read(target({ over: 'batch' }).g)))).toBeCloseTo(spread(raw), 9);
    expect(spread(norms(read(target({ over: 'example' }).g)))).toBeLessThan(spread(raw) / 2);
  });
});

describe('the finite-difference JVP (jvpStep)', () => {
  const exact = target({ normalize: false });
  const maxError = (h: number) => {
    const fd = read(target({ normalize: false, jvpStep: h }).J);
    return Math.max(...read(exact.J).map((v, i) => Math.abs(v - fd[i])));
  };

  it("gives the exact JVP's F- and, to O(h^2), its J", () => {
    const fd = target({ normalize: false, jvpStep: 1e-5 });
    expect(read(fd.Fminus)).toEqual(read(exact.Fminus));
    const scale = Math.max(...read(exact.J).map(Math.abs));
    expect(scale).toBeGreaterThan(1);
    expect(maxError(1e-5)).toBeLessThan(1e-7 * scale);
  });

  it('is a central difference: halving h quarters the error', () => {
    // Random input-feature weights make F wiggle: h must be well below their period to be asymptotic.
    const ratio = maxError(2e-3) / maxError(1e-3);
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4.5);
  });

  it('refuses a step that is not a positive number', () => {
    for (const h of [0, -1e-3, Number.NaN]) expect(() => target({ jvpStep: h })).toThrow(/jvpStep must be a positive number/);
  });
});

describe('as training options', () => {
  it('are refused by name when malformed', () => {
    expect(() => defaultTrainConfig('scd', { tangentNormOver: 'pixel' as never })).toThrow(/tangentNormOver must be 'example' or 'batch', got pixel/);
    expect(() => defaultTrainConfig('scd', { jvpStep: 0 })).toThrow(/jvpStep must be a positive number, got 0/);
    expect(() => defaultTrainConfig('scd', { jvpStep: Number.POSITIVE_INFINITY })).toThrow(/jvpStep must be a positive number/);
  });

  it('reach the step: each gives its own update, and a small finite-difference step nearly the exact one', () => {
    const data = toy2dSource('checkerboard', { sigmaD });
    const teacher = { model, params };
    const update = (overrides: Parameters<typeof defaultTrainConfig>[1]) => {
      const config = defaultTrainConfig('scd', { batch: 16, steps: 1, tangentWarmup: 0, ...overrides });
      const ctx = { model, config, data, optimizer: makeOptimizer(config), teacher };
      const host = host64(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { shape: o.shape(v), data: o.readSync(v) }])));
      const { state } = trainStep(o, ctx, initState(o, model, config, host));
      return read(state.params['out.weight']);
    };
    const paper = update({});
    const batch = update({ tangentNormOver: 'batch' });
    const fd = update({ jvpStep: 1e-5 });
    const diff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(diff(paper, batch)).toBeGreaterThan(1e-6);
    expect(diff(paper, fd)).toBeLessThan(1e-8);
    expect(diff(paper, update({ jvpStep: 0.3 }))).toBeGreaterThan(1e-8);
  });
});
