/**
 * The float64 reference implementation of TensorOps: the ground truth every backend, every JVP and
 * VJP rule and every traced graph is checked against. Clarity beats speed here, so each op is a
 * plain loop over Float64Arrays; the few index walks are shared helpers so that a bug has one home.
 */
import type { Conv2DOptions, HostArray, MatMulOptions, ResolvedConv2D, Shape, TensorOps } from '../tensor/ops.js';
import {
  avgPoolShape,
  broadcastShapes,
  broadcastToShape,
  checkConvBackprop,
  checkData,
  checkShape,
  concatShape,
  conv2dOutputShape,
  fmt,
  matmulShape,
  normalizeAxes,
  normalizeAxis,
  padShape,
  reduceShape,
  reshapeShape,
  resolveConv2D,
  ShapeError,
  sizeOf,
  sliceShape,
  transposeShape,
  upsampleShape,
} from '../tensor/shape.js';

/** A row-major float64 tensor. Treated as immutable: every op returns a tensor with its own buffer. */
export class RefTensor {
  constructor(
    /** Dimensions. */
    readonly shape: readonly number[],
    /** The values, row-major. */
    readonly data: Float64Array,
  ) {}
}

// ---- index helpers ---------------------------------------------------------------------------

function rowMajorStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Strides that read a tensor of shape `from` as if it had the (broadcast) shape `to`: missing
 * leading axes and size-1 axes get stride 0. `base` lets matmul pass the strides of a larger tensor
 * whose leading axes `from` describes.
 */
function broadcastStrides(from: Shape, to: Shape, base: readonly number[] = rowMajorStrides(from)): number[] {
  const lead = to.length - from.length;
  return to.map((_, i) => (i < lead || from[i - lead] === 1 ? 0 : base[i - lead]));
}

/**
 * Visits every index of `shape` in row-major order. For each of the k stride vectors it keeps the
 * running flat offset (starting at `start`), so one odometer serves gathers, scatters, broadcasting
 * and reductions alike. `visit` receives the live offsets array: read it, do not keep it.
 */
function walk(
  shape: Shape,
  strides: readonly (readonly number[])[],
  visit: (offsets: readonly number[]) => void,
  start?: readonly number[],
): void {
  if (sizeOf(shape) === 0) return;
  const rank = shape.length;
  const k = strides.length;
  const index = new Array<number>(rank).fill(0);
  const off = start ? [...start] : new Array<number>(k).fill(0);
  for (;;) {
    visit(off);
    let ax = rank - 1;
    for (; ax >= 0; ax--) {
      for (let j = 0; j < k; j++) off[j] += strides[j][ax];
      if (++index[ax] < shape[ax]) break;
      for (let j = 0; j < k; j++) off[j] -= strides[j][ax] * shape[ax];
      index[ax] = 0;
    }
    if (ax < 0) return;
  }
}

/** Materialises the strided view (shape, strides, start) of `src` as a new row-major tensor. */
function gather(src: Float64Array, shape: Shape, strides: readonly number[], start = 0): RefTensor {
  const out = new Float64Array(sizeOf(shape));
  let i = 0;
  walk(shape, [strides], (o) => (out[i++] = src[o[0]]), [start]);
  return new RefTensor([...shape], out);
}

/** Writes x into the strided region (x.shape, strides, start) of `dst`. */
function scatter(x: RefTensor, dst: Float64Array, strides: readonly number[], start: number): void {
  let i = 0;
  walk(x.shape, [strides], (o) => (dst[o[0]] = x.data[i++]), [start]);
}

function stableSigmoid(v: number): number {
  // exp(-v) overflows to Infinity for v < -709; the mirrored form keeps the tiny positive result.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * Enumerates every multiply-add of a conv2d as (x offset, w offset, y offset). conv2d and both
 * backprops are the same sum read three ways, so sharing the enumeration makes them adjoint by
 * construction and leaves exactly one place where the padding/stride/group geometry lives.
 */
function forEachConvTap(
  xShape: Shape,
  wShape: Shape,
  yShape: Shape,
  r: ResolvedConv2D,
  visit: (xi: number, wi: number, yi: number) => void,
): void {
  const [n, h, w, cin] = xShape;
  const [kh, kw, cg, cout] = wShape;
  const [, oh, ow] = yShape;
  const [sh, sw] = r.strides;
  const top = r.pads[0][0];
  const left = r.pads[1][0];
  const coutPerGroup = cout / r.groups;
  let yi = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let co = 0; co < cout; co++, yi++) {
          const cinStart = Math.floor(co / coutPerGroup) * cg;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - top + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - left + kx;
              if (ix < 0 || ix >= w) continue;
              const xBase = ((b * h + iy) * w + ix) * cin + cinStart;
              const wBase = (ky * kw + kx) * cg * cout + co;
              for (let ci = 0; ci < cg; ci++) visit(xBase + ci, wBase + ci * cout, yi);
            }
          }
        }
      }
    }
  }
}

// ---- the ops ---------------------------------------------------------------------------------

export class ReferenceOps implements TensorOps<RefTensor> {
  readonly name = 'reference-f64';

  // ---- creation and inspection

  fromArray(data: HostArray | readonly number[], shape: Shape): RefTensor {
    checkData('fromArray', data.length, shape);
    return new RefTensor([...shape], Float64Array.from(data));
  }

  fill(shape: Shape, value: number): RefTensor {
    checkShape('fill', shape);
    return new RefTensor([...shape], new Float64Array(sizeOf(shape)).fill(value));
  }

  shape(x: RefTensor): Shape {
    return x.shape;
  }

  read(x: RefTensor): Promise<Float64Array> {
    return Promise.resolve(x.data.slice());
  }

  readSync(x: RefTensor): Float64Array {
    return x.data.slice();
  }

  // ---- element-wise unary

  private unary(x: RefTensor, f: (v: number) => number): RefTensor {
    return new RefTensor(x.shape, x.data.map((v) => f(v)));
  }

  neg(x: RefTensor): RefTensor {
    return this.unary(x, (v) => -v);
  }
  exp(x: RefTensor): RefTensor {
    return this.unary(x, Math.exp);
  }
  log(x: RefTensor): RefTensor {
    return this.unary(x, Math.log);
  }
  sqrt(x: RefTensor): RefTensor {
    return this.unary(x, Math.sqrt);
  }
  rsqrt(x: RefTensor): RefTensor {
    return this.unary(x, (v) => 1 / Math.sqrt(v));
  }
  sin(x: RefTensor): RefTensor {
    return this.unary(x, Math.sin);
  }
  cos(x: RefTensor): RefTensor {
    return this.unary(x, Math.cos);
  }
  tanh(x: RefTensor): RefTensor {
    return this.unary(x, Math.tanh);
  }
  sigmoid(x: RefTensor): RefTensor {
    return this.unary(x, stableSigmoid);
  }
  powScalar(x: RefTensor, p: number): RefTensor {
    return this.unary(x, (v) => Math.pow(v, p));
  }

  // ---- element-wise binary (broadcasting)

  /** Broadcasts all inputs together and fills each output element from the inputs' offsets. */
  private broadcastMap(op: string, xs: readonly RefTensor[], f: (offsets: readonly number[]) => number): RefTensor {
    let shape: number[] = [...xs[0].shape];
    try {
      for (let i = 1; i < xs.length; i++) shape = broadcastShapes(op, shape, xs[i].shape);
    } catch (e) {
      // Past two operands the helper's message would name an intermediate shape, not the inputs.
      if (xs.length > 2 && e instanceof ShapeError) {
        throw new ShapeError(op, `shapes ${xs.map((x) => fmt(x.shape)).join(', ')} do not broadcast`);
      }
      throw e;
    }
    const out = new Float64Array(sizeOf(shape));
    let i = 0;
    walk(shape, xs.map((x) => broadcastStrides(x.shape, shape)), (o) => (out[i++] = f(o)));
    return new RefTensor(shape, out);
  }

  private binary(op: string, a: RefTensor, b: RefTensor, f: (x: number, y: number) => number): RefTensor {
    const da = a.data;
    const db = b.data;
    return this.broadcastMap(op, [a, b], (o) => f(da[o[0]], db[o[1]]));
  }

  add(a: RefTensor, b: RefTensor): RefTensor {
    return this.binary('add', a, b, (x, y) => x + y);
  }
  sub(a: RefTensor, b: RefTensor): RefTensor {
    return this.binary('sub', a, b, (x, y) => x - y);
  }
  mul(a: RefTensor, b: RefTensor): RefTensor {
    return this.binary('mul', a, b, (x, y) => x * y);
  }
  div(a: RefTensor, b: RefTensor): RefTensor {
    return this.binary('div', a, b, (x, y) => x / y);
  }
  maximum(a: RefTensor, b: RefTensor): RefTensor {
    return this.binary('maximum', a, b, Math.max);
  }
  greater(a: RefTensor, b: RefTensor): RefTensor {
    return this.binary('greater', a, b, (x, y) => (x > y ? 1 : 0));
  }
  equal(a: RefTensor, b: RefTensor): RefTensor {
    return this.binary('equal', a, b, (x, y) => (x === y ? 1 : 0));
  }
  select(cond: RefTensor, a: RefTensor, b: RefTensor): RefTensor {
    const dc = cond.data;
    const da = a.data;
    const db = b.data;
    return this.broadcastMap('select', [cond, a, b], (o) => (dc[o[0]] !== 0 ? da[o[1]] : db[o[2]]));
  }

  // ---- reductions

  /**
   * Folds x into the reduced shape: walking x in order, each element lands on the output offset
   * obtained by giving the reduced axes stride 0.
   */
  private reduce(
    op: string,
    x: RefTensor,
    axes: readonly number[] | undefined,
    keepDims: boolean,
    init: number,
    combine: (acc: number, v: number) => number,
  ): { out: RefTensor; count: number } {
    const shape = reduceShape(op, x.shape, axes, keepDims);
    const ax = normalizeAxes(op, axes, x.shape.length);
    const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
    const outStrides = rowMajorStrides(kept).map((s, i) => (ax.includes(i) ? 0 : s));
    const out = new Float64Array(sizeOf(shape)).fill(init);
    let i = 0;
    const src = x.data;
    walk(x.shape, [outStrides], (o) => (out[o[0]] = combine(out[o[0]], src[i++])));
    const count = ax.reduce((p, a) => p * x.shape[a], 1);
    return { out: new RefTensor(shape, out), count };
  }

  sum(x: RefTensor, axes?: readonly number[], keepDims = false): RefTensor {
    return this.reduce('sum', x, axes, keepDims, 0, (a, v) => a + v).out;
  }
  mean(x: RefTensor, axes?: readonly number[], keepDims = false): RefTensor {
    return this.meanOf('mean', x, axes, keepDims);
  }
  max(x: RefTensor, axes?: readonly number[], keepDims = false): RefTensor {
    // Math.max propagates NaN, which is what a ground truth should do (tfjs's cpu kernel drops it).
    return this.reduce('max', x, axes, keepDims, -Infinity, Math.max).out;
  }

  private meanOf(op: string, x: RefTensor, axes: readonly number[] | undefined, keepDims: boolean): RefTensor {
    const { out, count } = this.reduce(op, x, axes, keepDims, 0, (a, v) => a + v);
    for (let i = 0; i < out.data.length; i++) out.data[i] /= count;
    return out;
  }

  // ---- shape

  reshape(x: RefTensor, shape: Shape): RefTensor {
    return new RefTensor(reshapeShape('reshape', x.shape, shape), x.data.slice());
  }

  transpose(x: RefTensor, perm: readonly number[]): RefTensor {
    const shape = transposeShape('transpose', x.shape, perm);
    const xs = rowMajorStrides(x.shape);
    return gather(x.data, shape, perm.map((p) => xs[p]));
  }

  broadcastTo(x: RefTensor, shape: Shape): RefTensor {
    const to = broadcastToShape('broadcastTo', x.shape, shape);
    return gather(x.data, to, broadcastStrides(x.shape, to));
  }

  slice(x: RefTensor, begin: readonly number[], size: readonly number[]): RefTensor {
    const shape = sliceShape('slice', x.shape, begin, size);
    const xs = rowMajorStrides(x.shape);
    return gather(x.data, shape, xs, begin.reduce((p, b, i) => p + b * xs[i], 0));
  }

  concat(xs: readonly RefTensor[], axis: number): RefTensor {
    const shape = concatShape('concat', xs.map((x) => x.shape), axis);
    const ax = normalizeAxis('concat', axis, shape.length);
    const strides = rowMajorStrides(shape);
    const out = new Float64Array(sizeOf(shape));
    let at = 0;
    for (const x of xs) {
      scatter(x, out, strides, at * strides[ax]);
      at += x.shape[ax];
    }
    return new RefTensor(shape, out);
  }

  pad(x: RefTensor, paddings: readonly (readonly [number, number])[], value = 0): RefTensor {
    const shape = padShape('pad', x.shape, paddings);
    const strides = rowMajorStrides(shape);
    const out = new Float64Array(sizeOf(shape)).fill(value);
    scatter(x, out, strides, paddings.reduce((p, [before], i) => p + before * strides[i], 0));
    return new RefTensor(shape, out);
  }

  // ---- linear algebra

  matmul(a: RefTensor, b: RefTensor, options: MatMulOptions = {}): RefTensor {
    const shape = matmulShape('matmul', a.shape, b.shape, options);
    const batch = shape.slice(0, -2);
    const [m, n] = shape.slice(-2);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const k = options.transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    // Strides of A(i, p) and B(p, j) inside one matrix, whichever way each is stored.
    const [ai, ap] = options.transposeA ? [1, m] : [k, 1];
    const [bp, bj] = options.transposeB ? [1, k] : [n, 1];
    const aBatch = broadcastStrides(a.shape.slice(0, -2), batch, rowMajorStrides(a.shape).slice(0, -2));
    const bBatch = broadcastStrides(b.shape.slice(0, -2), batch, rowMajorStrides(b.shape).slice(0, -2));
    const da = a.data;
    const db = b.data;
    const out = new Float64Array(sizeOf(shape));
    let o = 0;
    walk(batch, [aBatch, bBatch], ([aOff, bOff]) => {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++, o++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc += da[aOff + i * ai + p * ap] * db[bOff + p * bp + j * bj];
          out[o] = acc;
        }
      }
    });
    return new RefTensor(shape, out);
  }

  conv2d(x: RefTensor, w: RefTensor, options?: Conv2DOptions): RefTensor {
    const r = resolveConv2D('conv2d', x.shape, w.shape, options);
    const shape = conv2dOutputShape(x.shape, w.shape, r);
    const y = new Float64Array(sizeOf(shape));
    const dx = x.data;
    const dw = w.data;
    forEachConvTap(x.shape, w.shape, shape, r, (xi, wi, yi) => (y[yi] += dx[xi] * dw[wi]));
    return new RefTensor(shape, y);
  }

  conv2dBackpropInput(dy: RefTensor, w: RefTensor, xShape: Shape, options?: Conv2DOptions): RefTensor {
    checkShape('conv2dBackpropInput', xShape);
    const r = checkConvBackprop('conv2dBackpropInput', xShape, w.shape, dy.shape, options);
    const dx = new Float64Array(sizeOf(xShape));
    const g = dy.data;
    const dw = w.data;
    forEachConvTap(xShape, w.shape, dy.shape, r, (xi, wi, yi) => (dx[xi] += g[yi] * dw[wi]));
    return new RefTensor([...xShape], dx);
  }

  conv2dBackpropFilter(x: RefTensor, dy: RefTensor, wShape: Shape, options?: Conv2DOptions): RefTensor {
    checkShape('conv2dBackpropFilter', wShape);
    const r = checkConvBackprop('conv2dBackpropFilter', x.shape, wShape, dy.shape, options);
    const dw = new Float64Array(sizeOf(wShape));
    const g = dy.data;
    const dx = x.data;
    forEachConvTap(x.shape, wShape, dy.shape, r, (xi, wi, yi) => (dw[wi] += dx[xi] * g[yi]));
    return new RefTensor([...wShape], dw);
  }

  upsampleNearest(x: RefTensor, factor: number): RefTensor {
    const shape = upsampleShape('upsampleNearest', x.shape, factor);
    const [n, h, w, c] = x.shape;
    const [sn, sh, sw] = rowMajorStrides(x.shape);
    // Read as [n, h, f, w, f, c] with stride 0 on both f axes: in row-major order that is exactly
    // [n, h*f, w*f, c] with each input pixel repeated in an f x f block.
    const view = gather(x.data, [n, h, factor, w, factor, c], [sn, sh, 0, sw, 0, 1]);
    return new RefTensor(shape, view.data);
  }

  avgPool(x: RefTensor, factor: number): RefTensor {
    const [n, oh, ow, c] = avgPoolShape('avgPool', x.shape, factor);
    // Row-major [n, h, w, c] is row-major [n, oh, f, ow, f, c]: the windows are axes 2 and 4.
    const windows = new RefTensor([n, oh, factor, ow, factor, c], x.data);
    return this.meanOf('avgPool', windows, [2, 4], false);
  }

  // ---- memory: the garbage collector owns float64 buffers, so there is nothing to track.

  tidy<R>(fn: () => R): R {
    return fn();
  }

  keep<X extends RefTensor>(x: X): X {
    return x;
  }

  dispose(_x: RefTensor | readonly RefTensor[]): void {}
}
