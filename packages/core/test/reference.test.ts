/**
 * The reference ops are the ground truth, so they are checked only against things that do not come
 * from them: numbers worked out by hand, plain-loop re-derivations written here, and algebraic
 * identities (adjointness, round trips) that must hold whatever the implementation.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2DOptions, Shape } from '../src/tensor/ops.js';
import { ShapeError } from '../src/tensor/shape.js';
import { RefTensor, ReferenceOps } from '../src/testing/reference.js';
import { uniformStream as rng } from './helpers/random.js';

const ops = new ReferenceOps();

const t = (data: readonly number[], shape: Shape): RefTensor => ops.fromArray(data, shape);
const vals = (x: RefTensor): number[] => Array.from(ops.readSync(x));

function random(shape: Shape, seed: number): RefTensor {
  const next = rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return t(Array.from({ length: n }, () => next() * 2 - 1), shape);
}

function dot(a: RefTensor, b: RefTensor): number {
  expect(a.shape).toEqual(b.shape);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

function expectClose(actual: RefTensor, expected: readonly number[], shape: Shape, digits = 12): void {
  expect(actual.shape).toEqual(shape);
  const a = vals(actual);
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i], digits));
}

/** Relative closeness for sums of many terms whose size is not known in advance. */
function expectRelClose(a: number, b: number, tol = 1e-12): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(a), Math.abs(b)));
}

/** Row-major flat offset of `index` in `shape`, written out independently of the implementation. */
function offset(shape: Shape, index: readonly number[]): number {
  return index.reduce((p, v, i) => p * shape[i] + v, 0);
}

describe('creation and inspection', () => {
  it('copies its input from number[], Float32Array and Float64Array', () => {
    const src = new Float64Array([1, 2, 3]);
    const x = ops.fromArray(src, [3]);
    src[0] = 99;
    expect(vals(x)).toEqual([1, 2, 3]);
    expect(vals(ops.fromArray(new Float32Array([0.5, -2]), [2, 1]))).toEqual([0.5, -2]);
    const arr = [4, 5];
    const y = ops.fromArray(arr, [1, 2]);
    arr[1] = 0;
    expect(vals(y)).toEqual([4, 5]);
    expect(ops.shape(y)).toEqual([1, 2]);
  });

  it('keeps float64 precision', () => {
    const v = 1 + 2 ** -40;
    expect(vals(t([v], [1]))[0]).toBe(v);
  });

  it('reads back copies, synchronously and asynchronously', async () => {
    const x = t([1, 2, 3, 4], [2, 2]);
    const r = ops.readSync(x);
    expect(r).toBeInstanceOf(Float64Array);
    r[0] = -1;
    const p = await ops.read(x);
    expect(p).toBeInstanceOf(Float64Array);
    expect(Array.from(p)).toEqual([1, 2, 3, 4]);
    p[1] = -1;
    expect(vals(x)).toEqual([1, 2, 3, 4]);
  });

  it('fills, including scalars and empty shapes', () => {
    expectClose(ops.fill([2, 2], 7), [7, 7, 7, 7], [2, 2]);
    expectClose(ops.fill([], 3), [3], []);
    expectClose(ops.fill([0, 4], 3), [], [0, 4]);
  });

  it('rejects data that does not fill the shape, naming the op', () => {
    expect(() => t([1, 2, 3, 4, 5], [2, 3])).toThrow(ShapeError);
    expect(() => t([1, 2, 3, 4, 5], [2, 3])).toThrow(/fromArray: data of length 5 .*\[2, 3\]/);
    expect(() => ops.fill([2, -1], 0)).toThrow(/fill: invalid shape \[2, -1\]/);
  });

  it('has trivial memory management', () => {
    const x = t([1], [1]);
    expect(ops.tidy(() => x)).toBe(x);
    expect(ops.tidy(() => ({ a: [x] })).a[0]).toBe(x);
    expect(ops.keep(x)).toBe(x);
    expect(() => ops.dispose([x, x])).not.toThrow();
    expect(() => ops.dispose(x)).not.toThrow();
    expect(vals(x)).toEqual([1]);
    expect(ops.name).toBe('reference-f64');
  });
});

describe('element-wise unary', () => {
  it('computes known values', () => {
    const x = t([0, 1, -2.5], [3]);
    expectClose(ops.neg(x), [-0, -1, 2.5], [3]);
    expectClose(ops.exp(t([0, 1, Math.log(5)], [3])), [1, Math.E, 5], [3]);
    expectClose(ops.log(t([1, Math.E, 0.125], [3])), [0, 1, -3 * Math.LN2], [3]);
    expectClose(ops.sqrt(t([4, 2.25, 0], [3])), [2, 1.5, 0], [3]);
    expectClose(ops.rsqrt(t([4, 0.25, 16], [3])), [0.5, 2, 0.25], [3]);
    expectClose(ops.sin(t([0, Math.PI / 2, Math.PI / 6], [3])), [0, 1, 0.5], [3]);
    expectClose(ops.cos(t([0, Math.PI, Math.PI / 3], [3])), [1, -1, 0.5], [3]);
    // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6
    expectClose(ops.tanh(t([0, Math.LN2, -Math.LN2], [3])), [0, 0.6, -0.6], [3]);
  });

  it('computes sigmoid, stably for large |x|', () => {
    // sigmoid(ln 3) = 1 / (1 + 1/3) = 3/4
    expectClose(ops.sigmoid(t([0, Math.log(3), -Math.log(3)], [3])), [0.5, 0.75, 0.25], [3]);
    const [big, small, tiny] = vals(ops.sigmoid(t([1000, -1000, -740], [3])));
    expect(big).toBe(1);
    expect(small).toBe(0);
    // The naive 1 / (1 + exp(740)) is 1 / Infinity = 0; the true value exp(-740) is representable.
    expect(tiny).toBeGreaterThan(0);
    // sigmoid(-740) = e / (1 + e) with e = exp(-740) denormal, so it rounds to e itself.
    expect(tiny).toBe(Math.exp(-740));
  });

  it('raises to a constant power like Math.pow', () => {
    expectClose(ops.powScalar(t([2, 3, 4], [3]), 2), [4, 9, 16], [3]);
    expectClose(ops.powScalar(t([9, 4, 0.25], [3]), 0.5), [3, 2, 0.5], [3]);
    expectClose(ops.powScalar(t([4, -2], [2]), -1), [0.25, -0.5], [2]);
    expect(vals(ops.powScalar(t([-8], [1]), 1 / 3))[0]).toBeNaN();
    expectClose(ops.powScalar(t([5, 0], [2]), 0), [1, 1], [2]);
  });

  it('keeps the shape, scalars included', () => {
    expect(ops.exp(random([2, 3, 4], 1)).shape).toEqual([2, 3, 4]);
    expectClose(ops.neg(t([3], [])), [-3], []);
  });
});

describe('element-wise binary and broadcasting', () => {
  const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
  const row = t([10, 20, 30], [3]);

  it('adds, subtracts, multiplies and divides with a row broadcast', () => {
    expectClose(ops.add(a, row), [11, 22, 33, 14, 25, 36], [2, 3]);
    expectClose(ops.sub(a, row), [-9, -18, -27, -6, -15, -24], [2, 3]);
    expectClose(ops.mul(a, row), [10, 40, 90, 40, 100, 180], [2, 3]);
    expectClose(ops.div(row, a), [10, 10, 10, 2.5, 4, 5], [2, 3]);
  });

  it('takes maxima and compares to 0/1', () => {
    const b = t([3, 2, 1, 7, 5, 0], [2, 3]);
    expectClose(ops.maximum(a, b), [3, 2, 3, 7, 5, 6], [2, 3]);
    expectClose(ops.greater(a, b), [0, 0, 1, 0, 0, 1], [2, 3]);
    expectClose(ops.equal(a, b), [0, 1, 0, 0, 1, 0], [2, 3]);
    expectClose(ops.greater(a, t([3], [])), [0, 0, 0, 1, 1, 1], [2, 3]);
  });

  it('broadcasts scalars on either side', () => {
    expectClose(ops.sub(t([10], []), a), [9, 8, 7, 6, 5, 4], [2, 3]);
    expectClose(ops.mul(a, t([2], [])), [2, 4, 6, 8, 10, 12], [2, 3]);
    expectClose(ops.add(t([1], []), t([2], [])), [3], []);
    expectClose(ops.add(t([1], [1]), t([2], [])), [3], [1]);
  });

  it('broadcasts size-1 axes against each other (outer sum)', () => {
    const col = t([100, 200], [2, 1]);
    const r = t([1, 2, 3], [1, 3]);
    expectClose(ops.add(col, r), [101, 102, 103, 201, 202, 203], [2, 2 + 1]);
  });

  it('broadcasts across a rank mismatch, checked against plain index arithmetic', () => {
    const x = random([2, 1, 3], 2);
    const y = random([4, 1], 3);
    const z = ops.mul(x, y);
    expect(z.shape).toEqual([2, 4, 3]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) {
        for (let k = 0; k < 3; k++) {
          const want = x.data[offset([2, 1, 3], [i, 0, k])] * y.data[offset([4, 1], [j, 0])];
          expect(z.data[offset([2, 4, 3], [i, j, k])]).toBe(want);
        }
      }
    }
  });

  it('broadcasts empty axes to empty results', () => {
    expectClose(ops.add(t([], [0, 3]), row), [], [0, 3]);
    expectClose(ops.add(t([], [0, 1]), t([1, 2, 3], [1, 3])), [], [0, 3]);
  });

  it('selects with any non-zero condition, broadcasting all three', () => {
    const cond = t([1, 0, -2], [3]);
    const b = t([7, 8], [2, 1]);
    expectClose(ops.select(cond, t([5], []), b), [5, 7, 5, 5, 8, 5], [2, 3]);
    expectClose(ops.select(t([0.5, 0], [2]), t([1, 2], [2]), t([3, 4], [2])), [1, 4], [2]);
  });

  it('names the op and the shapes on a broadcast failure', () => {
    expect(() => ops.add(a, t([1, 2], [2]))).toThrow(/add: .*\[2, 3\].*\[2\]/);
    expect(() => ops.sub(a, t([1, 2], [2]))).toThrow(/^sub: /);
    expect(() => ops.mul(a, t([1, 2], [2]))).toThrow(/^mul: /);
    expect(() => ops.div(a, t([1, 2], [2]))).toThrow(/^div: /);
    expect(() => ops.maximum(a, t([1, 2], [2]))).toThrow(/^maximum: /);
    expect(() => ops.greater(a, t([1, 2], [2]))).toThrow(/^greater: /);
    expect(() => ops.equal(a, t([1, 2], [2]))).toThrow(/^equal: /);
    expect(() => ops.select(t([1, 0], [2, 1]), a, t([1, 2], [2]))).toThrow(
      /select: shapes \[2, 1\], \[2, 3\], \[2\] do not broadcast/,
    );
  });
});

describe('reductions', () => {
  // x[i, j, k] = 6i + 2j + k + 1 for shape [2, 3, 2], i.e. 1..12
  const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);

  it('sums over all axes by default', () => {
    expectClose(ops.sum(x), [78], []);
    expectClose(ops.sum(x, undefined, true), [78], [1, 1, 1]);
    expectClose(ops.mean(x), [6.5], []);
    expectClose(ops.max(x), [12], []);
  });

  it('reduces single axes, negative ones included', () => {
    expectClose(ops.sum(x, [0]), [8, 10, 12, 14, 16, 18], [3, 2]);
    expectClose(ops.sum(x, [1]), [9, 12, 27, 30], [2, 2]);
    expectClose(ops.sum(x, [-1]), [3, 7, 11, 15, 19, 23], [2, 3]);
    expectClose(ops.mean(x, [-2]), [3, 4, 9, 10], [2, 2]);
    expectClose(ops.max(x, [-3]), [7, 8, 9, 10, 11, 12], [3, 2]);
  });

  it('reduces several axes and keeps dims', () => {
    expectClose(ops.sum(x, [0, -1]), [8 + 10, 12 + 14, 16 + 18], [3]);
    expectClose(ops.sum(x, [-1, 0], true), [18, 26, 34], [1, 3, 1]);
    expectClose(ops.mean(x, [1, 2], true), [3.5, 9.5], [2, 1, 1]);
    expectClose(ops.max(x, [1], true), [5, 6, 11, 12], [2, 1, 2]);
  });

  it('leaves x alone for an empty axis list and handles scalars', () => {
    expectClose(ops.sum(x, []), vals(x), [2, 3, 2]);
    expectClose(ops.sum(t([4], [])), [4], []);
    expectClose(ops.max(t([-4], [])), [-4], []);
  });

  it('takes the max of negative numbers and propagates NaN', () => {
    expectClose(ops.max(t([-5, -2, -9, -3], [2, 2]), [1]), [-2, -3], [2]);
    expect(vals(ops.max(t([1, NaN, 3], [3])))[0]).toBeNaN();
  });

  it('reduces empty axes to the identity', () => {
    expectClose(ops.sum(t([], [2, 0]), [1]), [0, 0], [2]);
    expectClose(ops.max(t([], [2, 0]), [1]), [-Infinity, -Infinity], [2]);
  });

  it('names the op on a bad axis', () => {
    expect(() => ops.sum(x, [3])).toThrow(/sum: axis 3 is out of range for rank 3/);
    expect(() => ops.mean(x, [-4])).toThrow(/^mean: /);
    expect(() => ops.max(x, [1.5])).toThrow(/^max: /);
  });
});

describe('shape ops', () => {
  const x = t([1, 2, 3, 4, 5, 6], [2, 3]);

  it('reshapes, inferring one -1, and copies the buffer', () => {
    expectClose(ops.reshape(x, [3, 2]), [1, 2, 3, 4, 5, 6], [3, 2]);
    expect(ops.reshape(x, [-1]).shape).toEqual([6]);
    expect(ops.reshape(x, [1, -1, 2]).shape).toEqual([1, 3, 2]);
    expect(ops.reshape(t([5], [1, 1]), []).shape).toEqual([]);
    expect(ops.reshape(x, [6]).data).not.toBe(x.data);
    expect(() => ops.reshape(x, [4, -1])).toThrow(/reshape: cannot reshape \[2, 3\] to \[4, -1\]/);
    expect(() => ops.reshape(x, [7])).toThrow(/reshape: .*\[2, 3\]/);
  });

  it('transposes', () => {
    expectClose(ops.transpose(x, [1, 0]), [1, 4, 2, 5, 3, 6], [3, 2]);
    const y = random([2, 3, 4], 4);
    const z = ops.transpose(y, [2, 0, 1]);
    expect(z.shape).toEqual([4, 2, 3]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        for (let k = 0; k < 4; k++) {
          expect(z.data[offset([4, 2, 3], [k, i, j])]).toBe(y.data[offset([2, 3, 4], [i, j, k])]);
        }
      }
    }
    expectClose(ops.transpose(t([3], []), []), [3], []);
    expect(() => ops.transpose(x, [0, 0])).toThrow(/transpose: perm \[0, 0\] .*\[2, 3\]/);
  });

  it('broadcasts to a target shape', () => {
    expectClose(ops.broadcastTo(t([1, 2, 3], [3]), [2, 3]), [1, 2, 3, 1, 2, 3], [2, 3]);
    expectClose(ops.broadcastTo(t([1, 2], [2, 1]), [2, 3]), [1, 1, 1, 2, 2, 2], [2, 3]);
    expectClose(ops.broadcastTo(t([7], []), [2, 1, 2]), [7, 7, 7, 7], [2, 1, 2]);
    expect(() => ops.broadcastTo(t([1, 2], [2]), [3])).toThrow(/broadcastTo: .*\[2\].*\[3\]/);
    expect(() => ops.broadcastTo(x, [3])).toThrow(/broadcastTo: cannot broadcast \[2, 3\] to \[3\]/);
  });

  it('slices, with -1 meaning to the end', () => {
    expectClose(ops.slice(x, [0, 1], [2, 2]), [2, 3, 5, 6], [2, 2]);
    expectClose(ops.slice(x, [1, 0], [-1, -1]), [4, 5, 6], [1, 3]);
    expectClose(ops.slice(x, [1, 2], [1, 0]), [], [1, 0]);
    expect(() => ops.slice(x, [1, 2], [2, 1])).toThrow(/slice: .* out of bounds for \[2, 3\]/);
    expect(() => ops.slice(x, [0], [1])).toThrow(/^slice: /);
  });

  it('concatenates along any axis', () => {
    const y = t([7, 8], [2, 1]);
    expectClose(ops.concat([x, y], 1), [1, 2, 3, 7, 4, 5, 6, 8], [2, 4]);
    expectClose(ops.concat([y, x], -1), [7, 1, 2, 3, 8, 4, 5, 6], [2, 4]);
    expectClose(ops.concat([x, t([9, 9, 9], [1, 3])], 0), [1, 2, 3, 4, 5, 6, 9, 9, 9], [3, 3]);
    expectClose(ops.concat([x], 0), [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => ops.concat([x, y], 0)).toThrow(/concat: shapes \[2, 3\], \[2, 1\] differ outside axis 0/);
    expect(() => ops.concat([], 0)).toThrow(/^concat: /);
  });

  it('pads with a constant', () => {
    expectClose(ops.pad(t([1, 2, 3, 4], [2, 2]), [[1, 0], [0, 1]]), [0, 0, 0, 1, 2, 0, 3, 4, 0], [3, 3]);
    expectClose(ops.pad(t([1, 2], [2]), [[2, 1]], -1), [-1, -1, 1, 2, -1], [5]);
    expectClose(ops.pad(t([5], []), []), [5], []);
    expect(() => ops.pad(x, [[1, 1]])).toThrow(/pad: .*\[2, 3\]/);
    expect(() => ops.pad(x, [[0, 0], [-1, 0]])).toThrow(/^pad: /);
  });

  it('round-trips slice pieces through concat on every axis', () => {
    const y = random([3, 4, 5], 5);
    for (const axis of [0, 1, 2]) {
      const d = y.shape[axis];
      const cut = 2;
      const begin1 = [0, 0, 0];
      begin1[axis] = cut;
      const size0 = [-1, -1, -1];
      size0[axis] = cut;
      const parts = [ops.slice(y, [0, 0, 0], size0), ops.slice(y, begin1, [-1, -1, -1])];
      expect(parts[1].shape[axis]).toBe(d - cut);
      const back = ops.concat(parts, axis - 3);
      expect(back.shape).toEqual(y.shape);
      expect(vals(back)).toEqual(vals(y));
    }
  });

  it('round-trips pad through slice', () => {
    const y = random([2, 3, 4], 6);
    const p = ops.pad(y, [[1, 2], [0, 3], [2, 0]], 9);
    expect(p.shape).toEqual([5, 6, 6]);
    expect(vals(ops.slice(p, [1, 0, 2], [2, 3, 4]))).toEqual(vals(y));
    // Everything outside the original block is the pad value: the total tells us so.
    expectRelClose(vals(ops.sum(p))[0], vals(ops.sum(y))[0] + 9 * (5 * 6 * 6 - 2 * 3 * 4));
  });
});

/** [..., m, k] x [..., k, n] by plain loops over one batch, row-major, no transposes. */
function plainMatmul(a: readonly number[], b: readonly number[], m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out.push(s);
    }
  }
  return out;
}

describe('matmul', () => {
  it('multiplies a 2x3 by a 3x2 by hand', () => {
    const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = t([7, 8, 9, 10, 11, 12], [3, 2]);
    // [1*7 + 2*9 + 3*11, 1*8 + 2*10 + 3*12; 4*7 + 5*9 + 6*11, 4*8 + 5*10 + 6*12]
    expectClose(ops.matmul(a, b), [58, 64, 139, 154], [2, 2]);
    // Transposing both operands: (B^T A^T) = (AB)^T.
    expectClose(ops.matmul(b, a, { transposeA: true, transposeB: true }), [58, 139, 64, 154], [2, 2]);
  });

  it('handles degenerate sizes', () => {
    expectClose(ops.matmul(t([1, 2, 3], [1, 3]), t([4, 5, 6], [3, 1])), [32], [1, 1]);
    expectClose(ops.matmul(t([], [2, 0]), t([], [0, 3])), [0, 0, 0, 0, 0, 0], [2, 3]);
  });

  it('agrees with plain loops over broadcast batches', () => {
    const a = random([2, 1, 4, 3], 7);
    const b = random([3, 3, 5], 8);
    const c = ops.matmul(a, b);
    expect(c.shape).toEqual([2, 3, 4, 5]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const am = Array.from(a.data.subarray(i * 12, i * 12 + 12));
        const bm = Array.from(b.data.subarray(j * 15, j * 15 + 15));
        const want = plainMatmul(am, bm, 4, 3, 5);
        const got = Array.from(c.data.subarray((i * 3 + j) * 20, (i * 3 + j) * 20 + 20));
        got.forEach((v, q) => expect(v).toBeCloseTo(want[q], 12));
      }
    }
  });

  it('shares a rank-2 operand across every batch', () => {
    const a = random([3, 2, 4], 9);
    const b = random([4, 2], 10);
    const c = ops.matmul(a, b);
    expect(c.shape).toEqual([3, 2, 2]);
    for (let i = 0; i < 3; i++) {
      const want = plainMatmul(Array.from(a.data.subarray(i * 8, i * 8 + 8)), vals(b), 2, 4, 2);
      Array.from(c.data.subarray(i * 4, i * 4 + 4)).forEach((v, q) => expect(v).toBeCloseTo(want[q], 12));
    }
  });

  it('with transposes equals matmul of explicitly transposed operands', () => {
    const a = random([2, 3, 4], 11); // A^T is [2, 4, 3]
    const b = random([2, 5, 3], 12); // B^T is [2, 3, 5]
    const aT = ops.transpose(a, [0, 2, 1]);
    const bT = ops.transpose(b, [0, 2, 1]);
    const cases: [RefTensor, RefTensor, boolean, boolean, RefTensor, RefTensor][] = [
      [a, bT, true, false, aT, bT],
      [aT, b, false, true, aT, bT],
      [a, b, true, true, aT, bT],
    ];
    for (const [x, y, transposeA, transposeB, xe, ye] of cases) {
      const got = ops.matmul(x, y, { transposeA, transposeB });
      const want = ops.matmul(xe, ye);
      expect(got.shape).toEqual([2, 4, 5]);
      vals(got).forEach((v, i) => expect(v).toBeCloseTo(want.data[i], 12));
    }
  });

  it('names the op and the shapes on bad operands', () => {
    const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => ops.matmul(a, t([1, 2, 3, 4], [2, 2]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] x \[2, 2\]/);
    expect(() => ops.matmul(a, t([1, 2, 3], [3]))).toThrow(/matmul: operands must have rank >= 2, got \[2, 3\] and \[3\]/);
    expect(() => ops.matmul(random([2, 2, 3], 1), random([3, 3, 2], 2))).toThrow(/matmul: batch dimensions of \[2, 2, 3\] and \[3, 3, 2\] do not broadcast/);
  });
});

describe('conv2d by hand', () => {
  // x[i, j] = 3i + j + 1 on a 3x3 single-channel image
  const x33 = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);

  it('valid 2x2 diagonal filter', () => {
    const w = t([1, 0, 0, 1], [2, 2, 1, 1]);
    // y[i, j] = x[i, j] + x[i+1, j+1]
    expectClose(ops.conv2d(x33, w), [1 + 5, 2 + 6, 4 + 8, 5 + 9], [1, 2, 2, 1]);
  });

  it("'same' 3x3 box filter sums each neighbourhood", () => {
    const w = ops.fill([3, 3, 1, 1], 1);
    expectClose(ops.conv2d(x33, w, { padding: 'same' }), [12, 21, 16, 27, 45, 33, 24, 39, 28], [1, 3, 3, 1]);
  });

  it("'same' with stride 2 pads the bottom/right only, as TensorFlow does", () => {
    // 4x4 image x[i, j] = 4i + j; out = ceil(4/2) = 2; total pad = (2-1)*2 + 3 - 4 = 1 -> [0, 1]
    const x = t(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
    const w = ops.fill([3, 3, 1, 1], 1);
    // windows: rows 0-2 x cols 0-2, rows 0-2 x cols 2-3, rows 2-3 x cols 0-2, rows 2-3 x cols 2-3
    expectClose(ops.conv2d(x, w, { strides: 2, padding: 'same' }), [45, 39, 66, 50], [1, 2, 2, 1]);
  });

  it('explicit asymmetric padding', () => {
    const x = t([1, 2, 3, 4], [1, 2, 2, 1]);
    const w = t([1], [1, 1, 1, 1]);
    const y = ops.conv2d(x, w, { padding: [[1, 0], [0, 2]] });
    expectClose(y, [0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0], [1, 3, 4, 1]);
  });

  it('per-axis strides', () => {
    // valid 1x1 with strides [2, 1] on 3x3 keeps rows 0 and 2
    const y = ops.conv2d(x33, t([2], [1, 1, 1, 1]), { strides: [2, 1] });
    expectClose(y, [2, 4, 6, 14, 16, 18], [1, 2, 3, 1]);
  });

  it('mixes channels: y[co] = sum_ci x[ci] w[ci, co]', () => {
    const x = t([1, 2], [1, 1, 1, 2]);
    const w = t([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
    expectClose(ops.conv2d(x, w), [1 * 1 + 2 * 4, 1 * 2 + 2 * 5, 1 * 3 + 2 * 6], [1, 1, 1, 3]);
  });

  it('groups: each output channel block sees only its input channel block', () => {
    const x = t([1, 2, 3, 4], [1, 1, 1, 4]);
    // w[ci, co] for ci in the group (2), co over all 4 outputs
    const w = t([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 4]);
    // group 0: x0, x1 -> co 0, 1; group 1: x2, x3 -> co 2, 3
    expectClose(ops.conv2d(x, w, { groups: 2 }), [1 * 1 + 2 * 5, 1 * 2 + 2 * 6, 3 * 3 + 4 * 7, 3 * 4 + 4 * 8], [1, 1, 1, 4]);
  });

  it('backprop input: spreads dy back through the filter', () => {
    const dy = ops.fill([1, 2, 2, 1], 1);
    const w = t([1, 2, 3, 4], [2, 2, 1, 1]);
    // dx[i, j] = sum of w[i - oy, j - ox] over the 2x2 output positions
    expectClose(ops.conv2dBackpropInput(dy, w, [1, 3, 3, 1]), [1, 3, 2, 4, 10, 6, 3, 7, 4], [1, 3, 3, 1]);
  });

  it('backprop filter: correlates x with dy', () => {
    const dy = ops.fill([1, 2, 2, 1], 1);
    // dw[ky, kx] = sum of x[oy + ky, ox + kx]
    expectClose(ops.conv2dBackpropFilter(x33, dy, [2, 2, 1, 1]), [12, 16, 24, 28], [2, 2, 1, 1]);
  });

  it('names the op and the shapes on bad arguments', () => {
    expect(() => ops.conv2d(random([1, 4, 4, 3], 1), random([3, 3, 2, 4], 2))).toThrow(
      /conv2d: channels do not fit groups=1: x \[1, 4, 4, 3\], w \[3, 3, 2, 4\]/,
    );
    expect(() => ops.conv2d(random([4, 4, 3], 1), random([3, 3, 3, 4], 2))).toThrow(/conv2d: expects x .*\[4, 4, 3\]/);
    expect(() => ops.conv2d(random([1, 2, 2, 1], 1), random([3, 3, 1, 1], 2))).toThrow(/conv2d: filter \[3, 3, 1, 1\] is larger/);
    expect(() => ops.conv2d(random([1, 4, 4, 1], 1), random([1, 1, 1, 1], 2), { strides: 0 })).toThrow(/conv2d: invalid strides/);
    expect(() => ops.conv2dBackpropInput(random([1, 3, 3, 2], 1), random([2, 2, 1, 2], 2), [1, 3, 3, 1])).toThrow(
      /conv2dBackpropInput: dy \[1, 3, 3, 2\] is not the conv2d output \[1, 2, 2, 2\]/,
    );
    expect(() => ops.conv2dBackpropFilter(random([1, 3, 3, 1], 1), random([1, 2, 2, 2], 2), [2, 2, 2, 2])).toThrow(
      /^conv2dBackpropFilter: channels do not fit/,
    );
    expect(() => ops.conv2dBackpropInput(random([1, 2, 2, 1], 1), random([2, 2, 1, 1], 2), [1, 3, 3.5, 1])).toThrow(
      /^conv2dBackpropInput: invalid shape/,
    );
  });
});

interface ConvCase {
  readonly x: Shape;
  readonly w: Shape;
  readonly options: Conv2DOptions;
}

const convCases: readonly ConvCase[] = [
  { x: [2, 5, 6, 3], w: [3, 3, 3, 4], options: {} },
  { x: [2, 7, 5, 2], w: [3, 2, 2, 3], options: { strides: 2 } }, // stride leaves the last row/col unread
  { x: [1, 8, 8, 4], w: [3, 3, 4, 2], options: { strides: 2, padding: 'same' } },
  { x: [2, 5, 7, 2], w: [4, 3, 2, 2], options: { strides: [2, 3], padding: 'same' } },
  { x: [1, 6, 5, 2], w: [3, 3, 2, 3], options: { strides: [1, 2], padding: [[2, 1], [0, 3]] } },
  { x: [2, 6, 6, 4], w: [3, 3, 2, 6], options: { padding: 'same', groups: 2 } },
  { x: [1, 7, 7, 4], w: [3, 3, 1, 8], options: { strides: 3, padding: 'same', groups: 4 } }, // depthwise x2
  { x: [2, 8, 8, 4], w: [3, 3, 4, 8], options: { padding: 'same' } },
];

const label = (c: ConvCase): string => `x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.options)}`;

describe('conv2d identities', () => {
  it.each(convCases.map((c, i) => [label(c), c, i] as const))('adjointness: %s', (_, c, i) => {
    const x = random(c.x, 100 + i);
    const w = random(c.w, 200 + i);
    const y = ops.conv2d(x, w, c.options);
    const dy = random(y.shape, 300 + i);
    const dx = ops.conv2dBackpropInput(dy, w, c.x, c.options);
    const dw = ops.conv2dBackpropFilter(x, dy, c.w, c.options);
    expect(dx.shape).toEqual(c.x);
    expect(dw.shape).toEqual(c.w);
    const lhs = dot(y, dy);
    expectRelClose(dot(x, dx), lhs);
    expectRelClose(dot(w, dw), lhs);
  });

  it('is linear in x and in w', () => {
    const c = convCases[4];
    const [x1, x2] = [random(c.x, 1), random(c.x, 2)];
    const w = random(c.w, 3);
    const sum = ops.conv2d(ops.add(x1, ops.mul(x2, t([3], []))), w, c.options);
    const parts = ops.add(ops.conv2d(x1, w, c.options), ops.mul(ops.conv2d(x2, w, c.options), t([3], [])));
    vals(sum).forEach((v, i) => expect(v).toBeCloseTo(parts.data[i], 12));
  });

  it.each([convCases[5], convCases[6]].map((c) => [label(c), c] as const))(
    'grouped conv equals concatenated per-group convs: %s',
    (_, c) => {
      const groups = c.options.groups ?? 1;
      const x = random(c.x, 21);
      const w = random(c.w, 22);
      const cin = c.x[3] / groups;
      const cout = c.w[3] / groups;
      const perGroup = { ...c.options, groups: 1 };
      const outs = Array.from({ length: groups }, (_, g) =>
        ops.conv2d(ops.slice(x, [0, 0, 0, g * cin], [-1, -1, -1, cin]), ops.slice(w, [0, 0, 0, g * cout], [-1, -1, -1, cout]), perGroup),
      );
      const want = ops.concat(outs, 3);
      const got = ops.conv2d(x, w, c.options);
      expect(got.shape).toEqual(want.shape);
      vals(got).forEach((v, i) => expect(v).toBeCloseTo(want.data[i], 12));
    },
  );

  it('equals im2col + matmul written out with plain loops', () => {
    // stride 2, 'same' on 7x6 with a 3x2 filter: oh = 4, ow = 3; rows pad (4-1)*2+3-7 = 2 -> [1, 1],
    // cols pad (3-1)*2+2-6 = 0
    const [n, h, w, cin, kh, kw, cout, s] = [2, 7, 6, 3, 3, 2, 4, 2];
    const x = random([n, h, w, cin], 31);
    const f = random([kh, kw, cin, cout], 32);
    const oh = Math.ceil(h / s);
    const ow = Math.ceil(w / s);
    const padTop = Math.floor(Math.max((oh - 1) * s + kh - h, 0) / 2);
    const padLeft = Math.floor(Math.max((ow - 1) * s + kw - w, 0) / 2);
    expect([padTop, padLeft]).toEqual([1, 0]);
    // patches: one row per output pixel, columns ordered (ky, kx, ci) like the filter's flattening
    const rows = n * oh * ow;
    const cols = kh * kw * cin;
    const patches: number[] = [];
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              for (let ci = 0; ci < cin; ci++) {
                const iy = oy * s - padTop + ky;
                const ix = ox * s - padLeft + kx;
                const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                patches.push(inside ? x.data[offset([n, h, w, cin], [b, iy, ix, ci])] : 0);
              }
            }
          }
        }
      }
    }
    const want = plainMatmul(patches, vals(f), rows, cols, cout);
    const got = ops.conv2d(x, f, { strides: s, padding: 'same' });
    expect(got.shape).toEqual([n, oh, ow, cout]);
    vals(got).forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });

  it("'same' equals 'valid' for a 1x1 filter, and explicit padding equals pad-then-valid", () => {
    const x = random([1, 4, 5, 2], 41);
    const w = random([1, 1, 2, 3], 42);
    expect(vals(ops.conv2d(x, w, { padding: 'same' }))).toEqual(vals(ops.conv2d(x, w)));
    const pads: [[number, number], [number, number]] = [[1, 2], [3, 0]];
    const w3 = random([3, 3, 2, 3], 43);
    const a = ops.conv2d(x, w3, { padding: pads, strides: 2 });
    const b = ops.conv2d(ops.pad(x, [[0, 0], pads[0], pads[1], [0, 0]]), w3, { strides: 2 });
    expect(a.shape).toEqual(b.shape);
    vals(a).forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 12));
  });
});

describe('upsampleNearest and avgPool', () => {
  it('upsamples by hand', () => {
    const x = t([1, 2, 3, 4], [1, 2, 2, 1]);
    expectClose(ops.upsampleNearest(x, 2), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], [1, 4, 4, 1]);
    // two channels stay interleaved: pixels (1, 2) and (3, 4)
    const y = t([1, 2, 3, 4], [1, 1, 2, 2]);
    expectClose(ops.upsampleNearest(y, 2), [1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4], [1, 2, 4, 2]);
    expectClose(ops.upsampleNearest(x, 1), [1, 2, 3, 4], [1, 2, 2, 1]);
  });

  it('average-pools by hand', () => {
    const x = t(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
    expectClose(ops.avgPool(x, 2), [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4], [1, 2, 2, 1]);
    // per channel, per batch item
    const y = t([1, 10, 3, 30, 5, 50, 7, 70, 2, 20, 4, 40, 6, 60, 8, 80], [2, 2, 2, 2]);
    expectClose(ops.avgPool(y, 2), [4, 40, 5, 50], [2, 1, 1, 2]);
  });

  it.each([1, 2, 3])('avgPool(upsampleNearest(x, %i)) is x', (f) => {
    const x = random([2, 3, 2, 3], 50 + f);
    const back = ops.avgPool(ops.upsampleNearest(x, f), f);
    expect(back.shape).toEqual(x.shape);
    vals(back).forEach((v, i) => expect(v).toBeCloseTo(x.data[i], 14));
  });

  it.each([2, 3])('<up(x), y> = f^2 <x, avgPool(y)> for f = %i', (f) => {
    const x = random([2, 2, 3, 2], 60 + f);
    const y = random([2, 2 * f, 3 * f, 2], 70 + f);
    expectRelClose(dot(ops.upsampleNearest(x, f), y), f * f * dot(x, ops.avgPool(y, f)));
  });

  it('names the op and the shape on bad input', () => {
    expect(() => ops.avgPool(random([1, 5, 4, 1], 1), 2)).toThrow(/avgPool: .*\[1, 5, 4, 1\] and 2/);
    expect(() => ops.upsampleNearest(random([5, 4, 1], 1), 2)).toThrow(/upsampleNearest: .*\[5, 4, 1\]/);
    expect(() => ops.upsampleNearest(random([1, 2, 2, 1], 1), 1.5)).toThrow(/^upsampleNearest: /);
  });
});

describe('errors are ShapeErrors', () => {
  it('for every validating op', () => {
    const x = t([1, 2, 3, 4, 5, 6], [2, 3]);
    const calls: (() => unknown)[] = [
      () => ops.add(x, t([1, 2], [2])),
      () => ops.sum(x, [5]),
      () => ops.reshape(x, [5]),
      () => ops.transpose(x, [1]),
      () => ops.broadcastTo(x, [3, 3]),
      () => ops.slice(x, [0, 0], [3, 1]),
      () => ops.concat([x, t([1], [1])], 0),
      () => ops.pad(x, [[0, 0]]),
      () => ops.matmul(x, x),
      () => ops.conv2d(x, x),
      () => ops.avgPool(x, 2),
      () => ops.upsampleNearest(x, 2),
    ];
    for (const call of calls) expect(call).toThrow(ShapeError);
  });
});
