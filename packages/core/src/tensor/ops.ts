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
/** A tensor's dimensions, outermost first (row-major); [] is a scalar. Every entry is a non-negative integer. */
export type Shape = readonly number[];

/** Host arrays accepted for tensor creation and returned by read-back. */
export type HostArray = Float32Array | Float64Array;

/** Explicit padding [[top, bottom], [left, right]] or the usual names. */
export type Conv2DPadding = 'valid' | 'same' | readonly [readonly [number, number], readonly [number, number]];

/** Options of {@link TensorOps.conv2d} and its two adjoints. */
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
  /** [sh, sw]. */
  readonly strides: readonly [number, number];
  /** [[top, bottom], [left, right]] in pixels. */
  readonly pads: readonly [readonly [number, number], readonly [number, number]];
  /** Channel groups (1: an ordinary convolution). */
  readonly groups: number;
}

/** Options of {@link TensorOps.matmul}: transpose the last two axes of an operand before the product. */
export interface MatMulOptions {
  /** Use a's last two axes swapped ([..., k, m] read as [..., m, k]). Default false. */
  readonly transposeA?: boolean;
  /** Use b's last two axes swapped ([..., n, k] read as [..., k, n]). Default false. */
  readonly transposeB?: boolean;
}

/**
 * The primitive operations every backend implements and every transformation (forward mode, the
 * reverse-mode tape, the graph tracer) wraps. Models, objectives and samplers are written once
 * against this interface. T is the backend's opaque tensor type.
 *
 * Implementations validate shapes and throw a `ShapeError` naming the op and the shapes; the
 * conformance suite in `@scm/core/testing` checks a new backend against float64 reference ops.
 *
 * @typeParam T - The backend's tensor type (a tfjs Tensor, a dual number, a graph node, ...).
 */
export interface TensorOps<T> {
  /** A short name for messages and benchmarks, e.g. 'tfjs-wasm' or 'reference-f64'. */
  readonly name: string;

  // ---- creation and inspection -------------------------------------------------------------
  /** A tensor of `shape` from row-major data (its length must equal the shape's size). */
  fromArray(data: HostArray | readonly number[], shape: Shape): T;
  /** A tensor of `shape` filled with `value`. */
  fill(shape: Shape, value: number): T;
  /** The dimensions of x (synchronous: every backend knows shapes without reading data). */
  shape(x: T): Shape;
  /** Asynchronous read-back of row-major values. */
  read(x: T): Promise<HostArray>;
  /** Synchronous read-back where the backend allows it (cpu, wasm, reference). */
  readSync(x: T): HostArray;

  // ---- element-wise unary ------------------------------------------------------------------
  /** -x, element-wise. */
  neg(x: T): T;
  /** e^x, element-wise. */
  exp(x: T): T;
  /** Natural logarithm, element-wise (NaN below 0, -Infinity at 0). */
  log(x: T): T;
  /** Square root, element-wise. */
  sqrt(x: T): T;
  /** 1 / sqrt(x), element-wise. */
  rsqrt(x: T): T;
  /** Sine of x in radians, element-wise. */
  sin(x: T): T;
  /** Cosine of x in radians, element-wise. */
  cos(x: T): T;
  /** Hyperbolic tangent, element-wise. */
  tanh(x: T): T;
  /** 1 / (1 + e^-x), element-wise. */
  sigmoid(x: T): T;
  /** x ** p for a constant exponent p. */
  powScalar(x: T, p: number): T;

  // ---- element-wise binary (broadcasting) --------------------------------------------------
  /** a + b, broadcasting. */
  add(a: T, b: T): T;
  /** a - b, broadcasting. */
  sub(a: T, b: T): T;
  /** a * b, broadcasting. */
  mul(a: T, b: T): T;
  /** a / b, broadcasting. */
  div(a: T, b: T): T;
  /** The larger of a and b, broadcasting; its derivative goes to a where a >= b. */
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
  /** Mean over `axes` (all axes when omitted); `keepDims` keeps them as size-1 axes. */
  mean(x: T, axes?: readonly number[], keepDims?: boolean): T;
  /** Maximum over `axes` (all axes when omitted); `keepDims` keeps them as size-1 axes. */
  max(x: T, axes?: readonly number[], keepDims?: boolean): T;

  // ---- shape -------------------------------------------------------------------------------
  /** The same row-major values in `shape`; one entry may be -1 (inferred). Sizes must match. */
  reshape(x: T, shape: Shape): T;
  /** Axes permuted: output axis i is input axis perm[i]. */
  transpose(x: T, perm: readonly number[]): T;
  /** x repeated numpy-style to `shape` (size-1 or missing leading axes only). */
  broadcastTo(x: T, shape: Shape): T;
  /** `size[i] = -1` means "to the end". */
  slice(x: T, begin: readonly number[], size: readonly number[]): T;
  /** The tensors joined along `axis`; every other axis must agree. */
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
  /** Frees x (or each tensor in the array) now; using it afterwards is an error on backends that track memory. */
  dispose(x: T | readonly T[]): void;
}
