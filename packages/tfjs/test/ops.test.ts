import { describe, expect, it } from 'vitest';
import { createTfjsOps } from '../src/index.js';
import { BACKENDS, expectClose, failOnLeaks, run } from './helpers.js';
import { arr, at, atBroadcast, build, mapBroadcast, matmul, random, reduce, type Arr } from './loops.js';

const positive = (x: Arr): Arr => ({ shape: x.shape, data: x.data.map((v) => Math.fround(0.1 + 2 * Math.abs(v))) });
const small = (x: Arr): Arr => ({ shape: x.shape, data: x.data.map((v) => Math.round(2 * v)) });
const sum = (v: number[]) => v.reduce((p, q) => p + q, 0);

const unary = [
  ['neg', (v: number) => -v, false],
  ['exp', Math.exp, false],
  ['log', Math.log, true],
  ['sqrt', Math.sqrt, true],
  ['rsqrt', (v: number) => 1 / Math.sqrt(v), true],
  ['sin', Math.sin, false],
  ['cos', Math.cos, false],
  ['tanh', Math.tanh, false],
  ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v)), false],
] as const;

const binary = [
  ['add', (a: number, b: number) => a + b],
  ['sub', (a: number, b: number) => a - b],
  ['mul', (a: number, b: number) => a * b],
  ['div', (a: number, b: number) => a / b],
  ['maximum', Math.max],
] as const;

describe.each(BACKENDS)('primitives on %s', async (backend) => {
  const ops = await createTfjsOps({ backend });
  failOnLeaks(ops);

  it('creates float32 tensors from copies and reads back copies', async () => {
    const source = new Float32Array([1, 2, 3, 4, 5, 6]);
    const x = ops.fromArray(source, [2, 3]);
    source[0] = 100;
    ops.readSync(x)[1] = 200;
    (await ops.read(x))[2] = 300;
    expect(x.dtype).toBe('float32');
    expect(ops.shape(x)).toEqual([2, 3]);
    expect(Array.from(await ops.read(x))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(ops.readSync(x))).toEqual([1, 2, 3, 4, 5, 6]);
    ops.dispose(x);
    expectClose(run(ops, [], () => ops.fromArray(new Float64Array([0.1, -2.5]), [2, 1])), arr([2, 1], [Math.fround(0.1), -2.5]), 0);
    expectClose(run(ops, [], () => ops.fill([2, 2], 1.5)), arr([2, 2], [1.5, 1.5, 1.5, 1.5]), 0);
  });

  it.each(unary)('%s', (name, f, needsPositive) => {
    const x = needsPositive ? positive(random([2, 3, 4], 1)) : random([2, 3, 4], 1);
    expectClose(run(ops, [x], (a) => ops[name](a)), build(x.shape, (i) => f(at(x, i))));
  });

  it.each([2, 3, -1.5, 0.5])('powScalar with exponent %s', (p) => {
    const x = Number.isInteger(p) ? random([3, 4], 2) : positive(random([3, 4], 2));
    expectClose(run(ops, [x], (a) => ops.powScalar(a, p)), build(x.shape, (i) => at(x, i) ** p));
  });

  it.each(binary)('%s broadcasts', (name, f) => {
    const a = random([2, 1, 3], 3);
    const b = random([4, 1], 4);
    expectClose(run(ops, [a, b], (u, v) => ops[name](u, v)), mapBroadcast([a, b], f));
  });

  it('greater and equal give float 0/1 and broadcast', () => {
    const a = small(random([3, 4], 5));
    const b = small(random([4], 6));
    const eq = mapBroadcast([a, b], (u, v) => (u === v ? 1 : 0));
    expect(eq.data).toContain(1);
    expectClose(run(ops, [a, b], (u, v) => ops.greater(u, v)), mapBroadcast([a, b], (u, v) => (u > v ? 1 : 0)), 0);
    expectClose(run(ops, [a, b], (u, v) => ops.equal(u, v)), eq, 0);
  });

  it('select treats any non-zero condition as true and broadcasts all three operands', () => {
    const pick = (c: number, u: number, v: number) => (c !== 0 ? u : v);
    const cases = [
      [arr([3, 1], [0, -2, NaN]), random([1, 4], 7), random([4], 8)],
      [small(random([2, 3, 1], 9)), random([1], 10), random([3, 4], 11)],
    ];
    for (const xs of cases) expectClose(run(ops, xs, (c, a, b) => ops.select(c, a, b)), mapBroadcast(xs, pick), 0);
  });

  it('reduces over axes, negative ones included, with and without keepDims', () => {
    const x = random([2, 3, 4], 12);
    expectClose(run(ops, [x], (a) => ops.sum(a, [0, 2])), reduce(x, [0, 2], false, sum));
    expectClose(run(ops, [x], (a) => ops.sum(a, [])), x);
    expectClose(run(ops, [x], (a) => ops.mean(a, [-1], true)), reduce(x, [2], true, (v) => sum(v) / v.length));
    expectClose(run(ops, [x], (a) => ops.max(a)), reduce(x, [0, 1, 2], false, (v) => Math.max(...v)));
    expectClose(run(ops, [x], (a) => ops.max(a, [1], true)), reduce(x, [1], true, (v) => Math.max(...v)));
  });

  it('reshapes, transposes and broadcasts', () => {
    const x = random([2, 3, 4], 13);
    const col = random([3, 1], 14);
    expectClose(run(ops, [x], (a) => ops.reshape(a, [4, -1])), { shape: [4, 6], data: x.data }, 0);
    expectClose(run(ops, [x], (a) => ops.transpose(a, [2, 0, 1])), build([4, 2, 3], ([i, j, k]) => at(x, [j, k, i])), 0);
    expectClose(run(ops, [col], (a) => ops.broadcastTo(a, [2, 3, 4])), build([2, 3, 4], (i) => atBroadcast(col, i)), 0);
    expectClose(run(ops, [x], (a) => ops.broadcastTo(a, [2, 3, 4])), x, 0);
  });

  it('slices (size -1 runs to the end), concatenates and pads', () => {
    const x = random([2, 3, 4], 15);
    const parts = [random([2, 1, 4], 16), random([2, 3, 4], 17), random([2, 2, 4], 18)];
    const m = random([2, 3], 19);
    const fromPart = ([i, j, k]: number[]) => (j < 1 ? at(parts[0], [i, j, k]) : j < 4 ? at(parts[1], [i, j - 1, k]) : at(parts[2], [i, j - 4, k]));
    const padded = build([3, 6], ([i, j]) => (i >= 1 && j >= 2 && j < 5 ? at(m, [i - 1, j - 2]) : 7));
    expectClose(run(ops, [x], (a) => ops.slice(a, [1, 0, 1], [-1, 2, -1])), build([1, 2, 3], ([i, j, k]) => at(x, [1 + i, j, 1 + k])), 0);
    expectClose(run(ops, parts, (...xs) => ops.concat(xs, -2)), build([2, 6, 4], fromPart), 0);
    expectClose(run(ops, [x], (a) => ops.concat([a], 0)), x, 0);
    expectClose(run(ops, [m], (a) => ops.pad(a, [[1, 0], [2, 1]], 7)), padded, 0);
  });

  it.each([
    { a: [2, 1, 3, 4], b: [3, 4, 2], options: {} },
    { a: [3, 4], b: [2, 4, 5], options: {} },
    { a: [2, 3, 4], b: [4, 5], options: {} },
    { a: [2, 4, 3], b: [2, 5, 4], options: { transposeA: true, transposeB: true } },
    { a: [1, 2, 4, 3], b: [3, 1, 4, 2], options: { transposeA: true } },
    { a: [2, 1, 3, 4], b: [5, 4], options: { transposeB: true } },
    // Large enough for wasm's one-product-per-matrix path, with a broadcast batch and transposes.
    { a: [2, 1, 70, 64], b: [3, 70, 66], options: { transposeA: true } },
    { a: [3, 64, 70], b: [66, 70], options: { transposeB: true } },
  ])('matmul $a x $b $options', ({ a, b, options }) => {
    const xs = [random(a, 20), random(b, 21)];
    expectClose(run(ops, xs, (u, v) => ops.matmul(u, v, options)), matmul(xs[0], xs[1], options.transposeA, options.transposeB));
  });

  it('upsamples by repeating pixels and average-pools exact windows', () => {
    const x = random([2, 2, 3, 2], 22);
    const y = random([2, 4, 6, 3], 23);
    const repeated = build([2, 6, 9, 2], ([n, i, j, c]) => at(x, [n, Math.floor(i / 3), Math.floor(j / 3), c]));
    const window = ([n, i, j, c]: number[]) => sum([0, 1, 2, 3].map((d) => at(y, [n, 2 * i + (d >> 1), 2 * j + (d & 1), c]))) / 4;
    expectClose(run(ops, [x], (a) => ops.upsampleNearest(a, 3)), repeated, 0);
    expectClose(run(ops, [y], (a) => ops.avgPool(a, 2)), build([2, 2, 3, 3], window));
  });

  it('rejects bad arguments with the op and the shapes, before running anything', () => {
    const m23 = ops.fill([2, 3], 1);
    const v4 = ops.fill([4], 1);
    const img = ops.fill([1, 4, 4, 3], 1);
    const w = ops.fill([3, 3, 2, 4], 1);
    const live = ops.numTensors();
    expect(() => ops.add(m23, v4)).toThrow(/^add: shapes \[2, 3\] and \[4\] do not broadcast$/);
    expect(() => ops.select(v4, m23, m23)).toThrow(/^select: cond \[4\], a \[2, 3\] and b \[2, 3\] do not broadcast$/);
    expect(() => ops.matmul(m23, m23)).toThrow(/^matmul: inner dimensions differ: \[2, 3\] x \[2, 3\]$/);
    expect(() => ops.sum(m23, [2])).toThrow(/^sum: axis 2 is out of range for rank 2$/);
    expect(() => ops.reshape(m23, [4, 2])).toThrow(/^reshape: cannot reshape \[2, 3\] to \[4, 2\]$/);
    expect(() => ops.slice(m23, [1, 1], [2, -1])).toThrow(/^slice: .*out of bounds for \[2, 3\]$/);
    expect(() => ops.fromArray([1, 2, 3], [2, 2])).toThrow(/^fromArray: data of length 3 does not fill shape \[2, 2\]/);
    expect(() => ops.conv2d(img, w, { groups: 2 })).toThrow(/^conv2d: channels do not fit groups=2: x \[1, 4, 4, 3\], w \[3, 3, 2, 4\]$/);
    expect(() => ops.conv2dBackpropFilter(img, img, [3, 3, 3, 2])).toThrow(/^conv2dBackpropFilter: dy \[1, 4, 4, 3\] is not the conv2d output \[1, 2, 2, 2\]/);
    expect(() => ops.avgPool(m23, 2)).toThrow(/^avgPool: expects NHWC/);
    expect(ops.numTensors()).toBe(live);
    ops.dispose([m23, v4, img, w]);
  });
});
