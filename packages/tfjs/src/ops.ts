/**
 * TensorOps on TensorFlow.js. Every primitive checks its arguments with @scm/core's shape helpers
 * first (so errors name the op and the shapes, whatever the backend), then runs tfjs ops on this
 * instance's backend. Differentiation is core's: no tfjs gradient is ever used.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  avgPoolShape,
  broadcastShapes,
  broadcastToShape,
  checkConvBackprop,
  checkData,
  checkShape,
  concatShape,
  fmt,
  matmulShape,
  normalizeAxes,
  normalizeAxis,
  padShape,
  reshapeShape,
  resolveConv2D,
  ShapeError,
  sizeOf,
  sliceShape,
  transposeShape,
  upsampleShape,
} from '@scm/core';
import type { Conv2DOptions, HostArray, MatMulOptions, Shape, TensorOps } from '@scm/core';
import { activate } from './backend.js';
import * as conv from './conv.js';
import { tidy } from './tidy.js';

type T = tf.Tensor;
type Reduce = (x: T, axes: number[], keepDims: boolean) => T;

/**
 * {@link @scm/core!TensorOps} on one TensorFlow.js backend, made by {@link createTfjsOps}. Float32;
 * shapes are checked with core's shape rules before tfjs runs, so errors name the op and shapes.
 */
export class TfjsOps implements TensorOps<tf.Tensor> {
  readonly name: string;

  /** @param backendName - The tfjs backend every op of this instance runs on ('wasm', 'cpu', 'webgl', ...). */
  constructor(readonly backendName: string) {
    this.name = `tfjs-${backendName}`;
  }

  /** Live tensors of the tfjs engine (all backends together), for leak tests. */
  numTensors(): number {
    return tf.memory().numTensors;
  }

  // ---- creation and inspection -------------------------------------------------------------
  fromArray(data: HostArray | readonly number[], shape: Shape): T {
    checkData('fromArray', data.length, shape);
    // Always a copy: the cpu backend would otherwise keep the caller's array as the tensor's storage.
    return this.exec(() => tf.tensor(Float32Array.from(data), [...shape], 'float32'));
  }
  fill(shape: Shape, value: number): T {
    checkShape('fill', shape);
    return this.exec(() => tf.fill([...shape], value, 'float32'));
  }
  shape(x: T): Shape {
    return x.shape;
  }
  // Copies again: the cpu backend hands out the tensor's own storage.
  async read(x: T): Promise<HostArray> {
    return new Float32Array(await x.data());
  }
  readSync(x: T): HostArray {
    return new Float32Array(x.dataSync());
  }

  // ---- element-wise unary ------------------------------------------------------------------
  neg(x: T): T {
    return this.exec(() => tf.neg(x));
  }
  exp(x: T): T {
    return this.exec(() => tf.exp(x));
  }
  log(x: T): T {
    return this.exec(() => tf.log(x));
  }
  sqrt(x: T): T {
    return this.exec(() => tf.sqrt(x));
  }
  rsqrt(x: T): T {
    return this.exec(() => tf.rsqrt(x));
  }
  sin(x: T): T {
    return this.exec(() => tf.sin(x));
  }
  cos(x: T): T {
    return this.exec(() => tf.cos(x));
  }
  tanh(x: T): T {
    return this.exec(() => tf.tanh(x));
  }
  sigmoid(x: T): T {
    return this.exec(() => tf.sigmoid(x));
  }
  powScalar(x: T, p: number): T {
    return this.exec(() => tf.pow(x, p));
  }

  // ---- element-wise binary (broadcasting) --------------------------------------------------
  add(a: T, b: T): T {
    return this.binary('add', a, b, tf.add);
  }
  sub(a: T, b: T): T {
    return this.binary('sub', a, b, tf.sub);
  }
  mul(a: T, b: T): T {
    return this.binary('mul', a, b, tf.mul);
  }
  div(a: T, b: T): T {
    return this.binary('div', a, b, tf.div);
  }
  maximum(a: T, b: T): T {
    return this.binary('maximum', a, b, tf.maximum);
  }
  greater(a: T, b: T): T {
    return this.binary('greater', a, b, (a, b) => tf.cast(tf.greater(a, b), 'float32'));
  }
  equal(a: T, b: T): T {
    return this.binary('equal', a, b, (a, b) => tf.cast(tf.equal(a, b), 'float32'));
  }
  select(cond: T, a: T, b: T): T {
    let out: number[];
    try {
      out = broadcastShapes('select', broadcastShapes('select', cond.shape, a.shape), b.shape);
    } catch {
      throw new ShapeError('select', `cond ${fmt(cond.shape)}, a ${fmt(a.shape)} and b ${fmt(b.shape)} do not broadcast`);
    }
    // tf.where wants a bool condition. It broadcasts through Tile, slow on wasm, so operands are
    // widened first (a scalar flag selecting whole parameter tensors is common).
    return this.exec(() => tf.where(tf.notEqual(widen(cond, out), 0), widen(a, out), widen(b, out)));
  }

  // ---- reductions --------------------------------------------------------------------------
  sum(x: T, axes?: readonly number[], keepDims = false): T {
    return this.reduce('sum', x, axes, keepDims, tf.sum);
  }
  mean(x: T, axes?: readonly number[], keepDims = false): T {
    return this.reduce('mean', x, axes, keepDims, tf.mean);
  }
  max(x: T, axes?: readonly number[], keepDims = false): T {
    return this.reduce('max', x, axes, keepDims, tf.max);
  }

  // ---- shape -------------------------------------------------------------------------------
  reshape(x: T, shape: Shape): T {
    const to = reshapeShape('reshape', x.shape, shape);
    return this.exec(() => tf.reshape(x, to));
  }
  transpose(x: T, perm: readonly number[]): T {
    transposeShape('transpose', x.shape, perm);
    return this.exec(() => tf.transpose(x, [...perm]));
  }
  broadcastTo(x: T, shape: Shape): T {
    const to = broadcastToShape('broadcastTo', x.shape, shape);
    return this.exec(() => addZeros(x, to));
  }
  slice(x: T, begin: readonly number[], size: readonly number[]): T {
    const resolved = sliceShape('slice', x.shape, begin, size);
    return this.exec(() => tf.slice(x, [...begin], resolved));
  }
  concat(xs: readonly T[], axis: number): T {
    concatShape('concat', xs.map((x) => x.shape), axis);
    const ax = normalizeAxis('concat', axis, xs[0].rank);
    return this.exec(() => tf.concat([...xs], ax));
  }
  pad(x: T, paddings: readonly (readonly [number, number])[], value = 0): T {
    padShape('pad', x.shape, paddings);
    return this.exec(() => tf.pad(x, paddings.map(([before, after]): [number, number] => [before, after]), value));
  }

  // ---- linear algebra ----------------------------------------------------------------------
  matmul(a: T, b: T, options: MatMulOptions = {}): T {
    const out = matmulShape('matmul', a.shape, b.shape, options);
    const batch = out.slice(0, -2);
    const ta = options.transposeA ?? false;
    const tb = options.transposeB ?? false;
    if (this.backendName !== 'wasm') return this.exec(() => tf.matMul(expandBatch(a, batch), expandBatch(b, batch), ta, tb));
    // wasm's fast (XNNPACK) path is the plain 2-D product: with a transpose flag it is ~5x slower than
    // an explicit transpose first, and its batched kernel ~3x slower than one product per large matrix.
    return this.exec(() => {
      const A = ta ? transposeLast2(a) : a;
      const B = tb ? transposeLast2(b) : b;
      const [m, k] = A.shape.slice(-2);
      const n = B.shape[B.rank - 1];
      const count = sizeOf(batch);
      if (count <= 1 || m * k * n < LARGE_MATRIX) return tf.matMul(expandBatch(A, batch), expandBatch(B, batch));
      // A matrix shared by the whole batch: one tall 2-D product.
      if (sizeOf(B.shape.slice(0, -2)) === 1) return tf.reshape(tf.matMul(tf.reshape(A, [count * m, k]), tf.reshape(B, [k, n])), out);
      const as = tf.unstack(tf.reshape(expandBatch(A, batch), [count, m, k]));
      const bs = tf.unstack(tf.reshape(expandBatch(B, batch), [count, k, n]));
      return tf.reshape(tf.stack(as.map((ai, i) => tf.matMul(ai, bs[i]))), out);
    });
  }
  conv2d(x: T, w: T, options?: Conv2DOptions): T {
    const r = resolveConv2D('conv2d', x.shape, w.shape, options);
    return this.exec(() => conv.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, r));
  }
  conv2dBackpropInput(dy: T, w: T, xShape: Shape, options?: Conv2DOptions): T {
    checkShape('conv2dBackpropInput', xShape);
    const r = checkConvBackprop('conv2dBackpropInput', xShape, w.shape, dy.shape, options);
    return this.exec(() => conv.conv2dBackpropInput(dy as tf.Tensor4D, w as tf.Tensor4D, xShape, r));
  }
  conv2dBackpropFilter(x: T, dy: T, wShape: Shape, options?: Conv2DOptions): T {
    checkShape('conv2dBackpropFilter', wShape);
    const r = checkConvBackprop('conv2dBackpropFilter', x.shape, wShape, dy.shape, options);
    return this.exec(() => conv.conv2dBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, wShape, r));
  }
  upsampleNearest(x: T, factor: number): T {
    const out = upsampleShape('upsampleNearest', x.shape, factor);
    const [n, h, w, c] = x.shape;
    // Repeating each pixel is exact; resizeNearestNeighbor maps coordinates through float scales.
    // Adding zeros broadcasts through the element-wise kernels (tf.broadcastTo's Tile is ~50x slower on wasm).
    return this.exec(() => tf.reshape(tf.add(tf.reshape(x, [n, h, 1, w, 1, c]), tf.zeros([1, 1, factor, 1, factor, 1])), out));
  }
  avgPool(x: T, factor: number): T {
    avgPoolShape('avgPool', x.shape, factor);
    const [n, h, w, c] = x.shape;
    return this.exec(() => tf.mean(tf.reshape(x, [n, h / factor, factor, w / factor, factor, c]), [2, 4]));
  }

  // ---- memory ------------------------------------------------------------------------------
  tidy<R>(fn: () => R): R {
    return tidy(fn);
  }
  keep<X extends T>(x: X): X {
    return tf.keep(x);
  }
  dispose(x: T | readonly T[]): void {
    tf.dispose(x as T | T[]);
  }

  /** Runs one primitive on this instance's backend; tf.tidy frees the intermediates of composite ones. */
  private exec(run: () => T): T {
    activate(this.backendName);
    return tf.tidy(run);
  }

  private binary(op: string, a: T, b: T, f: (a: T, b: T) => T): T {
    broadcastShapes(op, a.shape, b.shape);
    return this.exec(() => f(a, b));
  }

  private reduce(op: string, x: T, axes: readonly number[] | undefined, keepDims: boolean, f: Reduce): T {
    const ax = normalizeAxes(op, axes, x.rank);
    return this.exec(() => f(x, ax, keepDims));
  }
}

/**
 * x broadcast to `shape` by adding zeros: through the element-wise kernels, 10-30x faster than
 * tf.broadcastTo's Tile on wasm. Always a new tensor, as broadcastTo's result must be.
 */
function addZeros(x: T, shape: readonly number[]): T {
  return tf.add(x, tf.zeros([...shape]));
}

/** x itself when it already has `shape`, else broadcast by addZeros. */
function widen(x: T, shape: readonly number[]): T {
  return x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i]) ? x : addZeros(x, shape);
}

/** Per-matrix multiply-adds above which one wasm product per matrix beats the batched kernel. */
const LARGE_MATRIX = 64 * 64 * 64;

function transposeLast2(x: T): T {
  const perm = x.shape.map((_, i) => i);
  perm.push(...perm.splice(-2).reverse());
  return tf.transpose(x, perm);
}

/**
 * tf.matMul runs max(batch of a, batch of b) products, pairing flat batch indices modulo each
 * operand's batch: right when an operand is one matrix or has the whole batch, silently wrong for
 * mutual broadcasts like [2, 1] x [3] (it returns 3 products for a batch of 6). Such operands are
 * expanded to the whole batch first.
 */
function expandBatch(x: T, batch: readonly number[]): T {
  const own = sizeOf(x.shape.slice(0, -2));
  return own === 1 || own === sizeOf(batch) ? x : tf.broadcastTo(x, [...batch, ...x.shape.slice(-2)]);
}
