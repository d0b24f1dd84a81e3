/**
 * The MLP's F and logvar head against a host float64 forward pass written here from PAPER.md §4:
 * conditioning embedding (time, class, guidance), residual blocks with adaptive normalisation and
 * dropout, and u(t). Every parameter is drawn at random (none left at its zero init), so every
 * term of the network shows in the output.
 */
import { describe, expect, it } from 'vitest';
import { cNoise, createMlp, createModel, jvp, Rng, toDevice, type HostParams, type MlpConfig } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const B = 2;

type Host = Record<string, { shape: readonly number[]; data: number[] }>;
type Matrix = number[][];

function randomize(p: HostParams, seed: number): Host {
  const rng = new Rng(seed);
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { shape: v.shape, data: Array.from(rng.normal64(v.data.length), (z) => 0.5 * z) }]));
}

const linear = (x: Matrix, p: Host, name: string, bias = true): Matrix => {
  const w = p[`${name}.weight`];
  const fout = w.shape[1];
  return x.map((row) =>
    Array.from({ length: fout }, (_, j) => row.reduce((a, v, k) => a + v * w.data[k * fout + j], bias ? p[`${name}.bias`].data[j] : 0)),
  );
};
const silu = (x: Matrix) => x.map((r) => r.map((v) => v / (1 + Math.exp(-v))));
const posEmb = (x: number[], ch: number) =>
  x.map((xi) => {
    const f = Array.from({ length: ch / 2 }, (_, j) => (1 / 10000) ** (j / (ch / 2)));
    return [...f.map((fj) => Math.cos(xi * fj)), ...f.map((fj) => Math.sin(xi * fj))];
  });
const groupNorm = (x: Matrix, groups: number) =>
  x.map((row) => {
    const size = row.length / groups;
    return row.map((_, i) => {
      const g = row.slice(Math.floor(i / size) * size, Math.floor(i / size) * size + size);
      const mu = g.reduce((a, v) => a + v, 0) / size;
      const variance = g.reduce((a, v) => a + (v - mu) ** 2, 0) / size;
      return (row[i] - mu) / Math.sqrt(variance + 1e-5);
    });
  });
const pixelNorm = (row: number[]) => row.map((v) => v / Math.sqrt(row.reduce((a, u) => a + u * u, 0) / row.length + 1e-8));

interface Cond {
  labels?: number[];
  guidance?: number[];
  /** Dropout masks per block, drawn like the model does. */
  dropoutSeed?: number;
}

function hostF(c: MlpConfig, p: Host, x: Matrix, t: number[], cond: Cond): Matrix {
  const tn = c.cNoise === 'identity' ? t : t.map((v) => Math.log(Math.tan(v) * c.sigmaD));
  let emb = linear(silu(linear(posEmb(tn, c.embChannels), p, 'map.0')), p, 'map.1');
  if (c.numClasses > 0) {
    const oneHot = cond.labels!.map((l) => Array.from({ length: c.numClasses + 1 }, (_, k) => (k === (l < 0 ? c.numClasses : l) ? 1 : 0)));
    const cl = linear(oneHot, p, 'class', false);
    emb = emb.map((r, i) => r.map((v, j) => v + cl[i][j]));
  }
  if (c.guidanceInput) {
    const gu = linear(posEmb(cond.guidance!, c.embChannels), p, 'guidance');
    emb = emb.map((r, i) => r.map((v, j) => v + c.guidanceGain * gu[i][j]));
  }
  emb = silu(emb);
  const rng = cond.dropoutSeed === undefined ? undefined : new Rng(cond.dropoutSeed);
  let h = linear(c.inputFeatures > 0 ? withFeatures(x, c) : x, p, 'in');
  for (let i = 0; i < c.blocks; i++) {
    const b = `blocks.${i}`;
    let a = linear(silu(groupNorm(h, c.normGroups)), p, `${b}.fc0`);
    const ss = linear(emb, p, `${b}.affine`);
    const n = groupNorm(a, c.normGroups);
    a = silu(
      n.map((row, e) => {
        const scale = ss[e].slice(0, c.width);
        const shift = ss[e].slice(c.width);
        const [s, sh] = c.norm === 'double' ? [pixelNorm(scale), pixelNorm(shift)] : [scale.map((v) => 1 + v), shift];
        return row.map((v, j) => v * s[j] + sh[j]);
      }),
    );
    if (rng && c.dropout > 0) {
      const u = rng.uniform(B * c.width);
      a = a.map((row, e) => row.map((v, j) => (u[e * c.width + j] >= c.dropout ? v / (1 - c.dropout) : 0)));
    }
    a = linear(a, p, `${b}.fc1`);
    h = h.map((row, e) => row.map((v, j) => (v + a[e][j]) * Math.SQRT1_2));
  }
  return linear(silu(groupNorm(h, c.normGroups)), p, 'out');
}

/**
 * [x, cos(2 pi x B), sin(2 pi x B)] with B [dim, K] drawn row-major from the documented seed, std
 * inputFeatureScale (rounded to float32 as the model stores it).
 */
function withFeatures(x: Matrix, c: MlpConfig): Matrix {
  const z = new Rng(0xf0f0).normal(c.dim * c.inputFeatures);
  const b = (d: number, k: number) => Math.fround(2 * Math.PI * c.inputFeatureScale * z[d * c.inputFeatures + k]);
  return x.map((row) => {
    const angles = Array.from({ length: c.inputFeatures }, (_, k) => row.reduce((a, v, d) => a + v * b(d, k), 0));
    return [...row, ...angles.map(Math.cos), ...angles.map(Math.sin)];
  });
}

const base = { dim: 3, width: 4, blocks: 2, embChannels: 4, normGroups: 2, logvarChannels: 6 } as const;
const x = [
  [0.3, -1.2, 0.8],
  [1.5, 0.2, -0.4],
];
const t = [0.4, 1.3];

describe('MLP forward pass against a host reference', () => {
  it.each<[string, Partial<MlpConfig>, Cond]>([
    ['defaults (double norm, c_noise = t)', {}, {}],
    ['AdaGN and c_noise = log(sigma_d tan t)', { norm: 'adagn', cNoise: 'log-tan', sigmaD: 0.7 }, {}],
    ['class labels (one null) and a guidance input', { numClasses: 3, guidanceInput: true, guidanceGain: 3 }, { labels: [2, -1], guidance: [1.5, 3] }],
    ['dropout 0.3 with a mask stream', { dropout: 0.3 }, { dropoutSeed: 11 }],
    ['random Fourier features of the input', { inputFeatures: 5, inputFeatureScale: 0.7 }, {}],
  ])('%s', (_label, overrides, cond) => {
    const model = createMlp({ ...base, ...overrides });
    const host = randomize(model.init(new Rng(1)), 2);
    const params = toDevice(o, Object.fromEntries(Object.entries(host).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])));
    // The device copy is float32: compare against the host pass on the same rounded values.
    const rounded: Host = Object.fromEntries(Object.entries(host).map(([k, v]) => [k, { shape: v.shape, data: Array.from(Float32Array.from(v.data)) }]));
    const numClasses = overrides.numClasses ?? 0;
    const deviceCond = {
      ...(cond.labels
        ? { labels: o.fromArray(cond.labels.flatMap((l) => Array.from({ length: numClasses + 1 }, (_, k) => (k === (l < 0 ? numClasses : l) ? 1 : 0))), [B, numClasses + 1]) }
        : {}),
      ...(cond.guidance ? { guidance: o.fromArray(cond.guidance, [B]) } : {}),
      ...(cond.dropoutSeed !== undefined ? { dropoutRng: new Rng(cond.dropoutSeed) } : {}),
    };
    const got = Array.from(o.readSync(model.F(o, params, o.fromArray(x.flat(), [B, 3]), o.fromArray(t, [B]), deviceCond)));
    const expected = hostF(model.config, rounded, x, t, cond).flat();
    got.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i], 9));
  });

  it('with input features, the JVP in (x, t) matches float64 central differences', () => {
    const model = createMlp({ ...base, inputFeatures: 4, inputFeatureScale: 1.3 });
    const params = toDevice(o, Object.fromEntries(Object.entries(randomize(model.init(new Rng(1)), 2)).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])));
    const dx = [0.7, -0.2, 0.5, -1.1, 0.4, 0.9];
    const dt = [0.3, -0.8];
    const F = (xs: number[], ts: number[]) => Array.from(o.readSync(model.F(o, params, o.fromArray(xs, [B, 3]), o.fromArray(ts, [B]))));
    const { tangent } = jvp(
      o,
      (d, xx, tt) => model.F(d, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, d.lift(v)])), xx, tt),
      [o.fromArray(x.flat(), [B, 3]), o.fromArray(t, [B])],
      [o.fromArray(dx, [B, 3]), o.fromArray(dt, [B])],
    );
    const h = 1e-5;
    const plus = F(x.flat().map((v, i) => v + h * dx[i]), t.map((v, i) => v + h * dt[i]));
    const minus = F(x.flat().map((v, i) => v - h * dx[i]), t.map((v, i) => v - h * dt[i]));
    Array.from(o.readSync(tangent)).forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo((plus[i] - minus[i]) / (2 * h), 6));
  });

  it('a config stored before input features existed builds the same network, without them', () => {
    const { inputFeatures: _k, inputFeatureScale: _s, ...stored } = createMlp(base).config;
    const model = createModel(stored as MlpConfig);
    expect((model.config as MlpConfig).inputFeatures).toBe(0);
    expect(model.init(new Rng(1))['in.weight'].shape).toEqual([3, 4]);
    expect(createMlp({ ...base, inputFeatures: 2 }).init(new Rng(1))['in.weight'].shape).toEqual([3 + 4, 4]);
  });

  it('the logvar head u(t) = linear(positional embedding of t), zero at init', () => {
    const model = createMlp(base);
    const init = model.init(new Rng(1));
    expect(Array.from(init['logvar.weight'].data).every((v) => v === 0)).toBe(true);
    const host = randomize(model.initLogvar(new Rng(4)), 5);
    const params = toDevice(o, Object.fromEntries(Object.entries(host).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])));
    const rounded: Host = Object.fromEntries(Object.entries(host).map(([k, v]) => [k, { shape: v.shape, data: Array.from(Float32Array.from(v.data)) }]));
    const u = model.logvar(o, params, o.fromArray(t, [B]));
    expect(o.shape(u)).toEqual([B]);
    const expected = linear(posEmb(t, 6), rounded, 'logvar').map((r) => r[0]);
    Array.from(o.readSync(u)).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 9));
  });

  it('c_noise is t or log(sigma_d tan t)', () => {
    const time = { embedding: 'positional', channels: 4, fourierScale: 16, sigmaD: 0.5 } as const;
    expect(Array.from(o.readSync(cNoise(o, o.fromArray(t, [B]), { ...time, cNoise: 'identity' })))).toEqual(t);
    Array.from(o.readSync(cNoise(o, o.fromArray(t, [B]), { ...time, cNoise: 'log-tan' }))).forEach((v, i) =>
      expect(v).toBeCloseTo(Math.log(0.5 * Math.tan(t[i])), 12),
    );
  });

  it('rejects bad configs and missing conditioning by name', () => {
    expect(() => createMlp({ width: 6, normGroups: 4 })).toThrow('mlp: width 6 is not divisible by normGroups 4');
    expect(() => createMlp({ blocks: 0 })).toThrow('mlp: blocks must be a positive integer, got 0');
    expect(() => createMlp({ dropout: 1 })).toThrow('mlp: dropout must be in [0, 1), got 1');
    expect(() => createMlp({ dropout: -0.1 })).toThrow('mlp: dropout must be in [0, 1), got -0.1');
    expect(() => createMlp({ inputFeatures: -1 })).toThrow('mlp: inputFeatures must be a non-negative integer, got -1');
    expect(() => createMlp({ inputFeatures: 1.5 })).toThrow('mlp: inputFeatures must be a non-negative integer, got 1.5');
    for (const scale of [0, -1, NaN]) expect(() => createMlp({ inputFeatures: 4, inputFeatureScale: scale })).toThrow(`mlp: inputFeatureScale must be positive, got ${scale}`);
    expect(() => createMlp({ embChannels: 3 })).toThrow('mlp: embChannels must be even (a cosine and a sine per frequency), got 3');
    expect(() => createMlp({ logvarChannels: 7 })).toThrow('mlp: logvarChannels must be even (a cosine and a sine per frequency), got 7');
    for (const gain of [0, -1, Infinity, NaN]) expect(() => createMlp({ guidanceGain: gain })).toThrow(`mlp: guidanceGain must be a positive number, got ${gain}`);
    expect(() => createModel({ kind: 'transformer' } as never)).toThrow('unknown model kind "transformer" (known: mlp, unet)');
    const conditional = createMlp({ ...base, numClasses: 2 });
    const p = toDevice(o, conditional.init(new Rng(1)));
    expect(() => conditional.F(o, p, o.fromArray(x.flat(), [B, 3]), o.fromArray(t, [B]))).toThrow('mlp: this model is class-conditional');
    const guided = createMlp({ ...base, guidanceInput: true });
    const q = toDevice(o, guided.init(new Rng(1)));
    expect(() => guided.F(o, q, o.fromArray(x.flat(), [B, 3]), o.fromArray(t, [B]))).toThrow('mlp: this model takes a guidance scale per example');
  });
});
