/**
 * Shape inference and validation for every primitive. Adapters call these at their boundary so a
 * bad call fails with a message that names the op and the shapes, whatever the backend; the graph
 * tracer uses them to know the shape of each node without running anything.
 */
import type { Conv2DOptions, MatMulOptions, ResolvedConv2D, Shape } from './ops.js';

/** A primitive called with shapes (or axes, options, data lengths) it cannot take; the message starts with the op's name and shows the shapes. */
export class ShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
  }
}

/** A shape as messages print it: `[2, 3]`. */
export const fmt = (s: Shape): string => `[${s.join(', ')}]`;

/** Number of elements of a tensor of `shape` (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether two shapes are equal, axis by axis. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks that every dimension is a non-negative integer; `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(op, `invalid shape ${fmt(shape)}`);
  }
}

/** Numpy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = new Array(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Axes of `target` along which `source` was broadcast (to sum a gradient back to `source`). */
export function broadcastAxes(source: Shape, target: Shape): number[] {
  const axes: number[] = [];
  const offset = target.length - source.length;
  for (let i = 0; i < target.length; i++) {
    const ds = i < offset ? 1 : source[i - offset];
    if (ds === 1 && target[i] !== 1) axes.push(i);
  }
  return axes;
}

/** `axis` (negative counts from the end) as an index in [0, rank); `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(op, `axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Sorted unique non-negative axes; all axes when `axes` is undefined. */
export function normalizeAxes(op: string, axes: readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const out = [...new Set(axes.map((a) => normalizeAxis(op, a, rank)))].sort((x, y) => x - y);
  return out;
}

/** The output shape of a reduction over `axes` (all when undefined), size-1 axes kept with `keepDims`; `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function reduceShape(op: string, shape: Shape, axes: readonly number[] | undefined, keepDims = false): number[] {
  const ax = normalizeAxes(op, axes, shape.length);
  if (keepDims) return shape.map((d, i) => (ax.includes(i) ? 1 : d));
  return shape.filter((_, i) => !ax.includes(i));
}

/** The concrete target of a reshape (one -1 inferred), checking the sizes agree; `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function reshapeShape(op: string, from: Shape, to: Shape): number[] {
  const out = [...to];
  const unknown = out.indexOf(-1);
  if (out.lastIndexOf(-1) !== unknown) throw new ShapeError(op, `cannot reshape ${fmt(from)} to ${fmt(to)}: at most one -1`);
  if (unknown >= 0) {
    const known = out.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || sizeOf(from) % known !== 0) {
      throw new ShapeError(op, `cannot reshape ${fmt(from)} to ${fmt(to)}`);
    }
    out[unknown] = sizeOf(from) / known;
  }
  checkShape(op, out);
  if (sizeOf(out) !== sizeOf(from)) throw new ShapeError(op, `cannot reshape ${fmt(from)} to ${fmt(to)}`);
  return out;
}

/** The output shape of a transpose by `perm` (a permutation of the axes); `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function transposeShape(op: string, shape: Shape, perm: readonly number[]): number[] {
  const ok =
    perm.length === shape.length &&
    [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) throw new ShapeError(op, `perm [${perm.join(', ')}] is not a permutation of the axes of ${fmt(shape)}`);
  return perm.map((p) => shape[p]);
}

/** The permutation that undoes `perm`: transposing by perm then by its inverse is the identity. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The output shape of broadcasting `from` to `to` (numpy rules, one direction); `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function broadcastToShape(op: string, from: Shape, to: Shape): number[] {
  checkShape(op, to);
  if (to.length < from.length || !sameShape(broadcastShapes(op, from, to), to)) {
    throw new ShapeError(op, `cannot broadcast ${fmt(from)} to ${fmt(to)}`);
  }
  return [...to];
}

/** Resolves `size = -1` and checks bounds; returns the concrete size. */
export function sliceShape(op: string, shape: Shape, begin: readonly number[], size: readonly number[]): number[] {
  if (begin.length !== shape.length || size.length !== shape.length) {
    throw new ShapeError(op, `begin [${begin.join(', ')}] and size [${size.join(', ')}] must have rank ${shape.length} for ${fmt(shape)}`);
  }
  return shape.map((d, i) => {
    const b = begin[i];
    const s = size[i] === -1 ? d - b : size[i];
    if (!Number.isInteger(b) || !Number.isInteger(s) || b < 0 || s < 0 || b + s > d) {
      throw new ShapeError(op, `slice begin [${begin.join(', ')}] size [${size.join(', ')}] is out of bounds for ${fmt(shape)}`);
    }
    return s;
  });
}

/** The output shape of concatenating `shapes` along `axis` (all other axes equal); `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function concatShape(op: string, shapes: readonly Shape[], axis: number): number[] {
  if (shapes.length === 0) throw new ShapeError(op, 'needs at least one tensor');
  const rank = shapes[0].length;
  const ax = normalizeAxis(op, axis, rank);
  const out = [...shapes[0]];
  for (let k = 1; k < shapes.length; k++) {
    const s = shapes[k];
    if (s.length !== rank || s.some((d, i) => i !== ax && d !== shapes[0][i])) {
      throw new ShapeError(op, `shapes ${shapes.map(fmt).join(', ')} differ outside axis ${axis}`);
    }
    out[ax] += s[ax];
  }
  return out;
}

/** The output shape of constant padding, paddings[i] = [before, after] (non-negative); `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function padShape(op: string, shape: Shape, paddings: readonly (readonly [number, number])[]): number[] {
  if (paddings.length !== shape.length || paddings.some(([a, b]) => !Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0)) {
    throw new ShapeError(op, `paddings ${JSON.stringify(paddings)} do not fit ${fmt(shape)} (one non-negative [before, after] per axis)`);
  }
  return shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
}

/** The output shape of a batched matmul [...b, m, k] x [...b, k, n] -> [...b, m, n], batch axes broadcast; `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function matmulShape(op: string, a: Shape, b: Shape, options: MatMulOptions = {}): number[] {
  if (a.length < 2 || b.length < 2) throw new ShapeError(op, `operands must have rank >= 2, got ${fmt(a)} and ${fmt(b)}`);
  const m = options.transposeA ? a[a.length - 1] : a[a.length - 2];
  const ka = options.transposeA ? a[a.length - 2] : a[a.length - 1];
  const kb = options.transposeB ? b[b.length - 1] : b[b.length - 2];
  const n = options.transposeB ? b[b.length - 2] : b[b.length - 1];
  if (ka !== kb) {
    throw new ShapeError(op, `inner dimensions differ: ${fmt(a)}${options.transposeA ? 'ᵀ' : ''} x ${fmt(b)}${options.transposeB ? 'ᵀ' : ''}`);
  }
  const ba = a.slice(0, -2);
  const bb = b.slice(0, -2);
  if (ba.some((d, i) => d !== 1 && (bb[bb.length - ba.length + i] ?? 1) !== 1 && d !== bb[bb.length - ba.length + i])) {
    throw new ShapeError(op, `batch dimensions of ${fmt(a)} and ${fmt(b)} do not broadcast`);
  }
  return [...broadcastShapes(op, ba, bb), m, n];
}

function pair(v: number | readonly [number, number] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** Resolves conv options against the input and filter shapes; 'same' pads as TensorFlow does. */
export function resolveConv2D(op: string, xShape: Shape, wShape: Shape, options: Conv2DOptions = {}): ResolvedConv2D {
  if (xShape.length !== 4 || wShape.length !== 4) {
    throw new ShapeError(op, `expects x [n, h, w, cin] and w [kh, kw, cin/groups, cout], got ${fmt(xShape)} and ${fmt(wShape)}`);
  }
  checkShape(op, xShape);
  checkShape(op, wShape);
  if (wShape[0] < 1 || wShape[1] < 1) throw new ShapeError(op, `empty filter ${fmt(wShape)}`);
  const groups = options.groups ?? 1;
  const strides = pair(options.strides, 1);
  const [, h, w, cin] = xShape;
  const [kh, kw, cg, cout] = wShape;
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || cout % groups !== 0 || cg * groups !== cin) {
    throw new ShapeError(op, `channels do not fit groups=${groups}: x ${fmt(xShape)}, w ${fmt(wShape)}`);
  }
  if (strides.some((s) => !Number.isInteger(s) || s < 1)) throw new ShapeError(op, `invalid strides [${strides.join(', ')}]`);
  const padding = options.padding ?? 'valid';
  let pads: [[number, number], [number, number]];
  if (padding === 'valid') {
    pads = [[0, 0], [0, 0]];
  } else if (padding === 'same') {
    const total = (size: number, k: number, s: number) => Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
    const th = total(h, kh, strides[0]);
    const tw = total(w, kw, strides[1]);
    pads = [[Math.floor(th / 2), th - Math.floor(th / 2)], [Math.floor(tw / 2), tw - Math.floor(tw / 2)]];
  } else {
    pads = [[padding[0][0], padding[0][1]], [padding[1][0], padding[1][1]]];
    if (pads.flat().some((p) => !Number.isInteger(p) || p < 0)) throw new ShapeError(op, `invalid padding ${JSON.stringify(padding)}`);
  }
  if (h + pads[0][0] + pads[0][1] < kh || w + pads[1][0] + pads[1][1] < kw) {
    throw new ShapeError(op, `filter ${fmt(wShape)} is larger than the padded input ${fmt(xShape)}`);
  }
  return { strides, pads, groups };
}

/** The NHWC output shape [n, oh, ow, cout] of conv2d with resolved options (no checks: see {@link conv2dShape}). */
export function conv2dOutputShape(xShape: Shape, wShape: Shape, r: ResolvedConv2D): number[] {
  const oh = Math.floor((xShape[1] + r.pads[0][0] + r.pads[0][1] - wShape[0]) / r.strides[0]) + 1;
  const ow = Math.floor((xShape[2] + r.pads[1][0] + r.pads[1][1] - wShape[1]) / r.strides[1]) + 1;
  return [xShape[0], oh, ow, wShape[3]];
}

/** The NHWC output shape of conv2d(x [n, h, w, cin], w [kh, kw, cin / groups, cout]); `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function conv2dShape(op: string, xShape: Shape, wShape: Shape, options?: Conv2DOptions): number[] {
  return conv2dOutputShape(xShape, wShape, resolveConv2D(op, xShape, wShape, options));
}

/** Checks that dy is what conv2d(x, w) would produce; returns the resolved options. */
export function checkConvBackprop(op: string, xShape: Shape, wShape: Shape, dyShape: Shape, options?: Conv2DOptions): ResolvedConv2D {
  const r = resolveConv2D(op, xShape, wShape, options);
  const expected = conv2dOutputShape(xShape, wShape, r);
  if (!sameShape(expected, dyShape)) {
    throw new ShapeError(op, `dy ${fmt(dyShape)} is not the conv2d output ${fmt(expected)} of x ${fmt(xShape)} and w ${fmt(wShape)}`);
  }
  return r;
}

/** The output shape of NHWC nearest-neighbour upsampling by an integer factor; `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function upsampleShape(op: string, shape: Shape, factor: number): number[] {
  if (shape.length !== 4 || !Number.isInteger(factor) || factor < 1) {
    throw new ShapeError(op, `expects NHWC and an integer factor >= 1, got ${fmt(shape)} and ${factor}`);
  }
  return [shape[0], shape[1] * factor, shape[2] * factor, shape[3]];
}

/** The output shape of NHWC average pooling over factor x factor windows (h, w divisible by factor); `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function avgPoolShape(op: string, shape: Shape, factor: number): number[] {
  if (shape.length !== 4 || !Number.isInteger(factor) || factor < 1 || shape[1] % factor !== 0 || shape[2] % factor !== 0) {
    throw new ShapeError(op, `expects NHWC with h and w divisible by the integer factor, got ${fmt(shape)} and ${factor}`);
  }
  return [shape[0], shape[1] / factor, shape[2] / factor, shape[3]];
}

/** Checks that `length` values fill `shape` exactly; `op` names the primitive in the message; throws {@link ShapeError} on a mismatch. */
export function checkData(op: string, length: number, shape: Shape): void {
  checkShape(op, shape);
  if (length !== sizeOf(shape)) {
    throw new ShapeError(op, `data of length ${length} does not fill shape ${fmt(shape)} (size ${sizeOf(shape)})`);
  }
}
