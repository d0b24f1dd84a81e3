import type { Conv2DOptions } from '@scm/core';
import { describe, expect, it } from 'vitest';
import { createTfjsOps } from '../src/index.js';
import { BACKENDS, expectClose, failOnLeaks, run } from './helpers.js';
import { conv2d, conv2dFilterGrad, conv2dInputGrad, convOutShape, dot, random, type ConvParams } from './loops.js';

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly options: Conv2DOptions;
  /** The same convolution spelled out for the loops ('same' padding worked out by hand). */
  readonly params: ConvParams;
}

const cases: Case[] = [
  {
    // h: ceil(7 / 2) = 4 rows need 3 * 2 + 3 - 7 = 2 padding rows; w: 3 columns need 1, at the right.
    name: "stride 2, 'same'",
    x: [2, 7, 6, 4],
    w: [3, 3, 4, 6],
    options: { strides: 2, padding: 'same' },
    params: { strides: [2, 2], pads: [[1, 1], [0, 1]], groups: 1 },
  },
  {
    name: 'explicit asymmetric padding, some wider than the kernel, strides [1, 2]',
    x: [1, 6, 7, 4],
    w: [3, 2, 4, 4],
    options: { strides: [1, 2], padding: [[3, 0], [1, 3]] },
    params: { strides: [1, 2], pads: [[3, 0], [1, 3]], groups: 1 },
  },
  {
    name: 'groups = 2, stride 2, explicit padding',
    x: [2, 8, 8, 4],
    w: [3, 3, 2, 6],
    options: { strides: 2, padding: [[1, 0], [0, 1]], groups: 2 },
    params: { strides: [2, 2], pads: [[1, 0], [0, 1]], groups: 2 },
  },
  {
    // groups = cin (depthwise on tfjs) with two outputs per group; h: 3 rows need 2 padding rows, w: 6 columns need 2.
    name: "groups = cin, multiplier 2, strides [2, 1], 'same'",
    x: [1, 5, 6, 3],
    w: [3, 3, 1, 6],
    options: { strides: [2, 1], padding: 'same', groups: 3 },
    params: { strides: [2, 1], pads: [[1, 1], [1, 1]], groups: 3 },
  },
  {
    // The last input row lies under no output: its input gradient is zero.
    name: "stride 2, 'valid', an uncovered row",
    x: [2, 8, 7, 2],
    w: [3, 3, 2, 3],
    options: { strides: 2 },
    params: { strides: [2, 2], pads: [[0, 0], [0, 0]], groups: 1 },
  },
];

const norm = (v: ArrayLike<number>) => Math.sqrt(dot(v, v));

describe.each(BACKENDS)('conv2d and its adjoints on %s', async (backend) => {
  const ops = await createTfjsOps({ backend });
  failOnLeaks(ops);

  describe.each(cases)('$name', ({ x: xShape, w: wShape, options, params }) => {
    const x = random(xShape, 1);
    const w = random(wShape, 2);
    const dy = random(convOutShape(xShape, wShape, params), 3);

    it('forward matches the loops', () => {
      expectClose(run(ops, [x, w], (a, b) => ops.conv2d(a, b, options)), conv2d(x, w, params), 1e-5);
    });

    it('input gradient matches the loops', () => {
      expectClose(run(ops, [dy, w], (a, b) => ops.conv2dBackpropInput(a, b, xShape, options)), conv2dInputGrad(dy, w, xShape, params), 1e-5);
    });

    it('filter gradient matches the loops', () => {
      expectClose(run(ops, [x, dy], (a, b) => ops.conv2dBackpropFilter(a, b, wShape, options)), conv2dFilterGrad(x, dy, wShape, params), 1e-5);
    });

    it('<conv2d(x, w), dy> = <x, backpropInput(dy, w)> = <w, backpropFilter(x, dy)>', () => {
      const y = run(ops, [x, w], (a, b) => ops.conv2d(a, b, options));
      const dx = run(ops, [dy, w], (a, b) => ops.conv2dBackpropInput(a, b, xShape, options));
      const dw = run(ops, [x, dy], (a, b) => ops.conv2dBackpropFilter(a, b, wShape, options));
      const scale = norm(y.data) * norm(dy.data);
      const forward = dot(y.data, dy.data);
      expect(Math.abs(dot(x.data, dx.data) - forward)).toBeLessThan(1e-5 * scale);
      expect(Math.abs(dot(w.data, dw.data) - forward)).toBeLessThan(1e-5 * scale);
    });
  });
});
