/**
 * Core's composite layers against host float64 formulas, at inputs where every term matters (a
 * non-negligible eps, uneven groups, unequal logits, both batch entries different).
 */
import { describe, expect, it } from 'vitest';
import {
  attention,
  fourierEmbedding,
  groupNorm,
  hostTensor,
  linear,
  linearParams,
  modulate,
  normalInit,
  normalize,
  pixelNorm,
  positionalEmbedding,
  Rng,
  silu,
  softmax,
  toDevice,
  toHost,
  withPrefix,
  zeros,
} from '../src/index.js';
import { conv, convParams } from '../src/nn/conv.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const T = (v: number[], shape: number[]) => o.fromArray(v, shape);
const read = (x: unknown) => Array.from(o.readSync(x as never));

function expectAll(got: number[], expected: number[], digits = 12) {
  expect(got).toHaveLength(expected.length);
  got.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i], digits));
}

/** Host mean/variance normalisation of a list. */
function hostNormalize(xs: number[], eps: number): number[] {
  const mu = xs.reduce((a, v) => a + v, 0) / xs.length;
  const variance = xs.reduce((a, v) => a + (v - mu) ** 2, 0) / xs.length;
  return xs.map((v) => (v - mu) / Math.sqrt(variance + eps));
}

const hostSoftmax = (xs: number[]) => {
  const e = xs.map(Math.exp);
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
};

describe('element-wise and dense layers', () => {
  it('silu(x) = x sigmoid(x)', () => {
    const x = [-3, -0.5, 0.25, 2];
    expectAll(read(silu(o, T(x, [4]))), x.map((v) => v / (1 + Math.exp(-v))));
  });

  it('softmax over the last axis by default and over a given axis, stable for large logits', () => {
    const x = [1, 2, 4, -1, 0.5, 3];
    expectAll(read(softmax(o, T(x, [2, 3]))), [...hostSoftmax([1, 2, 4]), ...hostSoftmax([-1, 0.5, 3])]);
    const cols = [0, 1, 2].map((j) => hostSoftmax([x[j], x[3 + j]]));
    expectAll(read(softmax(o, T(x, [2, 3]), 0)), [cols[0][0], cols[1][0], cols[2][0], cols[0][1], cols[1][1], cols[2][1]]);
    expectAll(read(softmax(o, T([1000, 1001], [1, 2]))), hostSoftmax([0, 1]));
    // Rank 3: the default is the last axis, not axis 1.
    expectAll(read(softmax(o, T(x, [1, 2, 3]))), [...hostSoftmax([1, 2, 4]), ...hostSoftmax([-1, 0.5, 3])]);
  });

  it('linear on [n, in] and [b, n, in] inputs, with and without bias', () => {
    const w = [1, -2, 0.5, 3, 0.25, -1];
    const b = [0.1, -0.2];
    const x = [1, 2, 3, -1, 0, 2];
    const host = (row: number[], bias: boolean) => [0, 1].map((j) => row.reduce((a, v, k) => a + v * w[k * 2 + j], bias ? b[j] : 0));
    const rows = [x.slice(0, 3), x.slice(3)];
    expectAll(read(linear(o, T(x, [2, 3]), T(w, [3, 2]), T(b, [2]))), rows.flatMap((r) => host(r, true)));
    const y3 = linear(o, T(x, [1, 2, 3]), T(w, [3, 2]));
    expect(o.shape(y3)).toEqual([1, 2, 2]);
    expectAll(read(y3), rows.flatMap((r) => host(r, false)));
  });
});

describe('normalisations', () => {
  it('normalize uses the population variance and adds eps inside the square root', () => {
    const x = [1, 2, 4, 7, -1, 0, 0.5, 3];
    expectAll(read(normalize(o, T(x, [2, 4]), [1], 0.5)), [...hostNormalize(x.slice(0, 4), 0.5), ...hostNormalize(x.slice(4), 0.5)]);
  });

  it('groupNorm over NHWC normalises each example and channel group over space and the group channels', () => {
    // [2, 1, 2, 4]: 2 examples, 1 x 2 pixels, 4 channels in 2 groups of 2.
    const x = [1, 2, 3, 5, -1, 0, 4, 8, 0.5, -2, 1, 1, 3, 2, -1, 6];
    const out = read(groupNorm(o, T(x, [2, 1, 2, 4]), 2, 0.1));
    const expected = new Array<number>(16);
    for (let b = 0; b < 2; b++) {
      for (let g = 0; g < 2; g++) {
        const idx = [0, 1].flatMap((p) => [0, 1].map((c) => b * 8 + p * 4 + g * 2 + c));
        hostNormalize(idx.map((i) => x[i]), 0.1).forEach((v, k) => (expected[idx[k]] = v));
      }
    }
    expectAll(out, expected);
  });

  it('groupNorm on [n, c] features normalises within each group, eps 1e-5 by default', () => {
    const x = [1, 3, -2, 6, 0.5, 0.25];
    expectAll(read(groupNorm(o, T(x, [1, 6]), 3)), [0, 1, 2].flatMap((g) => hostNormalize(x.slice(2 * g, 2 * g + 2), 1e-5)), 9);
    expect(() => groupNorm(o, T(x, [1, 6]), 4)).toThrow('groupNorm: 6 channels are not divisible into 4 groups');
  });

  it('pixelNorm divides by the root mean square over channels (eps inside the root)', () => {
    const a = [3, 4, 0.1, -0.2];
    const host = (v: number[], eps: number) => v.map((e) => e / Math.sqrt(v.reduce((s, u) => s + u * u, 0) / v.length + eps));
    expectAll(read(pixelNorm(o, T(a, [2, 2]), 0.01)), [...host([3, 4], 0.01), ...host([0.1, -0.2], 0.01)]);
    expectAll(read(pixelNorm(o, T(a, [2, 2]))), [...host([3, 4], 1e-8), ...host([0.1, -0.2], 1e-8)]);
    // Rank 3: the channels are the last axis.
    expectAll(read(pixelNorm(o, T(a, [1, 2, 2]), 0.01)), [...host([3, 4], 0.01), ...host([0.1, -0.2], 0.01)]);
  });

  it("modulate: 'double' is GroupNorm(x) pnorm(s) + pnorm(b), 'adagn' is GroupNorm(x) (1 + s) + b, per example", () => {
    // [2, 2, 1, 2]: 2 examples, 2 x 1 pixels, 2 channels, 1 group.
    const x = [1, 2, -1, 4, 0.5, 0, 3, -2];
    const scale = [0.5, -1, 2, 0.25];
    const shift = [0.1, 0.3, -0.4, 1];
    const rms = (v: number[]) => Math.sqrt(v.reduce((s, u) => s + u * u, 0) / v.length + 1e-8);
    const norm = [...hostNormalize(x.slice(0, 4), 1e-5), ...hostNormalize(x.slice(4), 1e-5)];
    const at = (v: number[], i: number) => v[(i >> 2) * 2 + (i % 2)];
    const pair = (v: number[], i: number) => v.slice((i >> 2) * 2, (i >> 2) * 2 + 2);
    const args = [T(x, [2, 2, 1, 2]), T(scale, [2, 2]), T(shift, [2, 2]), 1] as const;
    expectAll(
      read(modulate(o, ...args, 'double')),
      norm.map((v, i) => (v * at(scale, i)) / rms(pair(scale, i)) + at(shift, i) / rms(pair(shift, i))),
      9,
    );
    expectAll(read(modulate(o, ...args, 'adagn')), norm.map((v, i) => v * (1 + at(scale, i)) + at(shift, i)), 9);
  });
});

describe('attention and embeddings', () => {
  it('attention = softmax(q k^T / sqrt(d)) v', () => {
    const q = [1, 0.5, -1, 2];
    const k = [0.5, 1, -1, 0, 2, 0.25];
    const v = [1, -2, 3];
    const out = read(attention(o, T(q, [1, 2, 2]), T(k, [1, 3, 2]), T(v, [1, 3, 1])));
    const expected = [0, 1].map((i) => {
      const logits = [0, 1, 2].map((j) => (q[2 * i] * k[2 * j] + q[2 * i + 1] * k[2 * j + 1]) / Math.SQRT2);
      return hostSoftmax(logits).reduce((a, p, j) => a + p * v[j], 0);
    });
    expectAll(out, expected);
  });

  it('positional embedding [cos(x f_j), sin(x f_j)] with f_j = maxPositions^(-j / half)', () => {
    const x = [0.3, 1.7];
    const freqs = (max: number) => [0, 1, 2].map((j) => max ** (-j / 3));
    const host = (max: number) => x.flatMap((xi) => [...freqs(max).map((f) => Math.cos(xi * f)), ...freqs(max).map((f) => Math.sin(xi * f))]);
    expectAll(read(positionalEmbedding(o, T(x, [2]), 6)), host(10000), 6);
    expectAll(read(positionalEmbedding(o, T(x, [2]), 6, 50)), host(50), 6);
    expect(() => positionalEmbedding(o, T(x, [2]), 5)).toThrow('positionalEmbedding: channels must be even, got 5');
  });

  it('Fourier embedding [cos(2 pi x f_j), sin(2 pi x f_j)]', () => {
    const x = [0.3, -0.8];
    const f = [0.5, 2];
    const host = x.flatMap((xi) => [...f.map((fj) => Math.cos(2 * Math.PI * xi * fj)), ...f.map((fj) => Math.sin(2 * Math.PI * xi * fj))]);
    expectAll(read(fourierEmbedding(o, T(x, [2]), Float32Array.from(f))), host, 6);
  });
});

describe('parameters', () => {
  it('normalInit draws N(0, gain^2 / fanIn): the same normals as the stream, scaled', () => {
    const w = normalInit(new Rng(3), [4, 5], 16, 2);
    const z = new Rng(3).normal(20);
    expect(w.shape).toEqual([4, 5]);
    Array.from(w.data).forEach((v, i) => expect(v).toBeCloseTo((z[i] * 2) / 4, 6));
  });

  it('linearParams and convParams name weight and zero bias under the prefix; gain 0 gives zero weights', () => {
    const lin = linearParams(new Rng(1), 'fc', 3, 2);
    expect(Object.keys(lin)).toEqual(['fc.weight', 'fc.bias']);
    expect(lin['fc.weight'].shape).toEqual([3, 2]);
    Array.from(lin['fc.weight'].data).forEach((v, i) => expect(v).toBeCloseTo(new Rng(1).normal(6)[i] / Math.sqrt(3), 6));
    expect(Array.from(lin['fc.bias'].data)).toEqual([0, 0]);
    expect(Object.keys(linearParams(new Rng(1), 'fc', 3, 2, 1, false))).toEqual(['fc.weight']);
    expect(Array.from(linearParams(new Rng(1), 'fc', 3, 2, 0)['fc.weight'].data)).toEqual([0, 0, 0, 0, 0, 0]);
    const cv = convParams(new Rng(2), 'c', 3, 2, 4, 0.5);
    expect(cv['c.weight'].shape).toEqual([3, 3, 2, 4]);
    Array.from(cv['c.weight'].data).forEach((v, i) => expect(v).toBeCloseTo((new Rng(2).normal(72)[i] * 0.5) / Math.sqrt(18), 6));
    expect(cv['c.bias'].shape).toEqual([4]);
    // Zero weights draw nothing: the stream goes on where it was for the next layer.
    const rng = new Rng(2);
    expect(Array.from(convParams(rng, 'c', 1, 1, 1, 0)['c.weight'].data)).toEqual([0]);
    expect(Array.from(linearParams(rng, 'fc', 1, 1, 0)['fc.weight'].data)).toEqual([0]);
    expect(rng.normal(2)).toEqual(new Rng(2).normal(2));
  });

  it("conv is a 'same' convolution plus bias", () => {
    // 1 x 3 x 1 x 1 image, 3 x 3 kernel with only the middle row set: y_i = x_{i-1} + 2 x_i + 3 x_{i+1} + bias.
    const w = [0, 0, 0, 1, 2, 3, 0, 0, 0];
    const out = read(conv(o, T([1, 2, 3], [1, 1, 3, 1]), T(w, [3, 3, 1, 1]), T([0.5], [1])));
    expectAll(out, [2 + 6 + 0.5, 1 + 4 + 9 + 0.5, 2 + 6 + 0.5]);
  });

  it('withPrefix keeps exactly the names under "prefix."; host and device copies round-trip', async () => {
    expect(withPrefix({ 'logvar.a': 1, 'logvarx.b': 2, 'net.logvar.c': 3, 'logvar.d': 4 }, 'logvar')).toEqual({ 'logvar.a': 1, 'logvar.d': 4 });
    const host = { a: hostTensor([2, 1], Float32Array.from([1.5, -2])), b: zeros([3]) };
    expect(await toHost(o, toDevice(o, host))).toEqual({ a: { shape: [2, 1], data: Float32Array.from([1.5, -2]) }, b: { shape: [3], data: new Float32Array(3) } });
    expect(() => hostTensor([2, 2], new Float32Array(3))).toThrow(/hostTensor/);
  });
});
