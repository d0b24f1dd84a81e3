/**
 * The one abstraction of the toolkit: a small set of primitive tensor operations on an opaque
 * tensor type T. Backends (adapters) implement it; transformations (jvp, the reverse-mode tape,
 * the graph tracer) wrap it. Everything else (softmax, norms, attention, SiLU, layers) is composed
 * from these primitives in core, so each primitive needs exactly one rule per transformation.
 *
 * Conventions
 * - Every tensor is float (float32 on real backends, float64 in the reference implementation).
 *   Comparisons return 0/1 tensors; `select` treats any non-zero condition as true.
 * - Binary element-wise ops broadcast numpy-style.
 * - Images are NHWC; conv filters are [kh, kw, cin / groups, cout] (tfjs layout).
 * - Axes may be negative (counted from the end).
 */
export type Shape = readonly number[];

/** Host arrays accepted for tensor creation and returned by read-back. */
export type HostArray = Float32Array | Float64Array;

/** Explicit padding [[top, bottom], [left, right]] or the usual names. */
export type Conv2DPadding = 'valid' | 'same' | readonly [readonly [number, number], readonly [number, number]];

export interface Conv2DOptions {
  /** [sh, sw] or one number for both. Default 1. */
  readonly strides?: number | readonly [number, number];
  /** Default 'valid'. 'same' follows TensorFlow: output = ceil(input / stride). */
  readonly padding?: Conv2DPadding;
  /** Channel groups: cin and cout must both be divisible by it. Default 1. */
  readonly groups?: number;
}

/** Options after defaults and 'same'/'valid' are resolved against concrete shapes. */
export interface ResolvedConv2D {
  readonly strides: readonly [number, number];
  readonly pads: readonly [readonly [number, number], readonly [number, number]];
  readonly groups: number;
}

export interface MatMulOptions {
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
}

export interface TensorOps<T> {
  /** A short name for messages and benchmarks, e.g. 'tfjs-wasm' or 'reference-f64'. */
  readonly name: string;

  // ---- creation and inspection -------------------------------------------------------------
  /** A tensor of `shape` from row-major data (its length must equal the shape's size). */
  fromArray(data: HostArray | readonly number[], shape: Shape): T;
  /** A tensor of `shape` filled with `value`. */
  fill(shape: Shape, value: number): T;
  shape(x: T): Shape;
  /** Asynchronous read-back of row-major values. */
  read(x: T): Promise<HostArray>;
  /** Synchronous read-back where the backend allows it (cpu, wasm, reference). */
  readSync(x: T): HostArray;

  // ---- element-wise unary ------------------------------------------------------------------
  neg(x: T): T;
  exp(x: T): T;
  log(x: T): T;
  sqrt(x: T): T;
  rsqrt(x: T): T;
  sin(x: T): T;
  cos(x: T): T;
  tanh(x: T): T;
  sigmoid(x: T): T;
  /** x ** p for a constant exponent p. */
  powScalar(x: T, p: number): T;

  // ---- element-wise binary (broadcasting) --------------------------------------------------
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  maximum(a: T, b: T): T;
  /** 1 where a > b, else 0 (not differentiable: its derivative is zero). */
  greater(a: T, b: T): T;
  /** 1 where a == b, else 0 (not differentiable). */
  equal(a: T, b: T): T;
  /** cond != 0 ? a : b, all three broadcast together. */
  select(cond: T, a: T, b: T): T;

  // ---- reductions --------------------------------------------------------------------------
  /** Sum over `axes` (all axes when omitted). */
  sum(x: T, axes?: readonly number[], keepDims?: boolean): T;
  mean(x: T, axes?: readonly number[], keepDims?: boolean): T;
  max(x: T, axes?: readonly number[], keepDims?: boolean): T;

  // ---- shape -------------------------------------------------------------------------------
  reshape(x: T, shape: Shape): T;
  transpose(x: T, perm: readonly number[]): T;
  broadcastTo(x: T, shape: Shape): T;
  /** `size[i] = -1` means "to the end". */
  slice(x: T, begin: readonly number[], size: readonly number[]): T;
  concat(xs: readonly T[], axis: number): T;
  /** Constant padding: paddings[i] = [before, after] for every axis. */
  pad(x: T, paddings: readonly (readonly [number, number])[], value?: number): T;

  // ---- linear algebra ----------------------------------------------------------------------
  /**
   * Batched matrix product over the last two axes: [...b, m, k] x [...b, k, n] -> [...b, m, n].
   * Leading (batch) axes broadcast; a rank-2 operand is shared by every batch.
   */
  matmul(a: T, b: T, options?: MatMulOptions): T;
  /** NHWC conv: x [n, h, w, cin], w [kh, kw, cin / groups, cout] -> [n, oh, ow, cout]. */
  conv2d(x: T, w: T, options?: Conv2DOptions): T;
  /** The adjoint of conv2d in x: dy [n, oh, ow, cout], w -> dx of shape `xShape`. */
  conv2dBackpropInput(dy: T, w: T, xShape: Shape, options?: Conv2DOptions): T;
  /** The adjoint of conv2d in w: x, dy -> dw of shape `wShape`. */
  conv2dBackpropFilter(x: T, dy: T, wShape: Shape, options?: Conv2DOptions): T;
  /** Nearest-neighbour upsampling of NHWC by an integer factor in h and w. */
  upsampleNearest(x: T, factor: number): T;
  /** Average pooling of NHWC over non-overlapping factor x factor windows (h, w divisible by factor). */
  avgPool(x: T, factor: number): T;

  // ---- memory ------------------------------------------------------------------------------
  /**
   * Runs fn and frees every tensor it created except those reachable from its result
   * (through arrays and plain objects) and those passed to `keep`.
   */
  tidy<R>(fn: () => R): R;
  /** Exempts x from the enclosing tidy. */
  keep<X extends T>(x: X): X;
  dispose(x: T | readonly T[]): void;
}
