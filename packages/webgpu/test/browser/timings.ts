/**
 * Wall-clock timings of a few primitives on the page's ops, for the README (not asserted: on
 * SwiftShader they are CPU-emulated and only indicative). Each includes reading the output back,
 * which is what makes WebGPU's asynchronous queue finish the work.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DOptions } from '@scm/core';
import type { TfjsOps } from '../../src/index.js';

export interface Timing {
  readonly op: string;
  /** The first call: compiles the shader pipelines. */
  readonly firstMs: number;
  /** Median of the calls after it. */
  readonly medianMs: number;
}

const REPEATS = 5;

export async function measurePrimitives(ops: TfjsOps): Promise<Timing[]> {
  const conv: Conv2DOptions = { padding: 'same' };
  const xShape = [8, 16, 16, 32];
  const wShape = [3, 3, 32, 32];
  const [m, x, w, small] = [[256, 256], xShape, wShape, [64]].map((s) => ops.fill(s, 0.5));
  const work: [string, () => tf.Tensor][] = [
    ['matmul 256x256x256', () => ops.matmul(m, m)],
    ["conv2d x[8,16,16,32] w[3,3,32,32] 'same'", () => ops.conv2d(x, w, conv)],
    ['conv2dBackpropInput (same shapes)', () => ops.conv2dBackpropInput(x, w, xShape, conv)],
    ['conv2dBackpropFilter (same shapes)', () => ops.conv2dBackpropFilter(x, x, wShape, conv)],
    // @scm/tfjs computes the filter gradient as a forward conv on every backend (wasm has no such
    // kernel); tfjs-webgpu does have one, timed here to show what switching to it would gain.
    [
      "conv2dBackpropFilter by tfjs-webgpu's own kernel (not used)",
      () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: x }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: wShape }) as tf.Tensor,
    ],
    ['mul [8,16,16,32] (65536 elements)', () => ops.mul(x, x)],
    ['mul [64] (per-kernel overhead)', () => ops.mul(small, small)],
  ];
  const timings: Timing[] = [];
  for (const [op, run] of work) {
    const ms: number[] = [];
    for (let i = 0; i <= REPEATS; i++) {
      const start = performance.now();
      const y = run();
      await ops.read(y);
      ms.push(performance.now() - start);
      ops.dispose(y);
    }
    const rest = ms.slice(1).sort((a, b) => a - b);
    timings.push({ op, firstMs: ms[0], medianMs: rest[rest.length >> 1] });
  }
  ops.dispose([m, x, w, small]);
  return timings;
}
