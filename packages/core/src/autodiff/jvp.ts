/**
 * Forward mode: TensorOps over dual numbers (primal, tangent). Running any function written against
 * TensorOps on DualOps computes its value and its exact directional derivative in one pass.
 * A null tangent is a structural zero: ops whose inputs all have null tangents cost one primal op,
 * so network parameters (which carry no tangent in sCM's JVP) add no work.
 */
import type { Conv2DOptions, HostArray, MatMulOptions, Shape, TensorOps } from '../tensor/ops.js';
import { sameShape } from '../tensor/shape.js';
import { collectTensors } from '../tensor/collect.js';
import { argmaxMask, powDerivative, unaryDerivative, type UnaryOp } from './derivatives.js';

/** A dual number of forward mode: a value and its tangent (directional derivative). */
export class Dual<T> {
  constructor(
    /** The value. */
    readonly primal: T,
    /** Same shape as primal, or null for an exact zero. */
    readonly tangent: T | null,
  ) {}
}

type Tan<T> = T | null;

/**
 * Forward mode as a TensorOps over dual numbers: running a function on it computes the value and the
 * exact directional derivative in one pass (each primitive has its JVP rule). Use it through {@link jvp}.
 */
export class DualOps<T> implements TensorOps<Dual<T>> {
  readonly name: string;

  /** @param base - The backend that evaluates primals and tangents. */
  constructor(readonly base: TensorOps<T>) {
    this.name = `jvp(${base.name})`;
  }

  /** A dual with a zero tangent: how constants (parameters, data) enter forward mode. */
  lift(x: T): Dual<T> {
    return new Dual(x, null);
  }

  /**
   * A dual of `primal` with `tangent` (null: zero).
   *
   * @throws Error when the tangent's shape differs from the primal's.
   */
  dual(primal: T, tangent: T | null): Dual<T> {
    if (tangent !== null && !sameShape(this.base.shape(primal), this.base.shape(tangent))) {
      throw new Error(`jvp: tangent shape [${this.base.shape(tangent)}] differs from primal shape [${this.base.shape(primal)}]`);
    }
    return new Dual(primal, tangent);
  }

  /** The tangent, materialising a structural zero. */
  tangentOf(x: Dual<T>): T {
    return x.tangent ?? this.base.fill(this.base.shape(x.primal), 0);
  }

  fromArray(data: HostArray | readonly number[], shape: Shape): Dual<T> {
    return this.lift(this.base.fromArray(data, shape));
  }
  fill(shape: Shape, value: number): Dual<T> {
    return this.lift(this.base.fill(shape, value));
  }
  shape(x: Dual<T>): Shape {
    return this.base.shape(x.primal);
  }
  read(x: Dual<T>): Promise<HostArray> {
    return this.base.read(x.primal);
  }
  readSync(x: Dual<T>): HostArray {
    return this.base.readSync(x.primal);
  }

  private map(x: Dual<T>, f: (v: T) => T): Dual<T> {
    return new Dual(f(x.primal), x.tangent === null ? null : f(x.tangent));
  }

  private unary(op: UnaryOp, x: Dual<T>): Dual<T> {
    const b = this.base;
    const y = b[op](x.primal);
    return new Dual(y, x.tangent === null ? null : b.mul(x.tangent, unaryDerivative(b, op, x.primal, y)));
  }

  /** Sum of tangent contributions, each computed only for a non-null input tangent. */
  private combine(outShape: Shape, ...terms: (() => T)[]): Tan<T> {
    const b = this.base;
    let acc: Tan<T> = null;
    for (const term of terms) {
      const t = term();
      acc = acc === null ? t : b.add(acc, t);
    }
    if (acc !== null && !sameShape(b.shape(acc), outShape)) acc = b.broadcastTo(acc, outShape);
    return acc;
  }

  private terms(pairs: [Tan<T>, (t: T) => T][]): (() => T)[] {
    return pairs.filter(([t]) => t !== null).map(([t, f]) => () => f(t as T));
  }

  neg(x: Dual<T>): Dual<T> {
    return this.map(x, (v) => this.base.neg(v));
  }
  exp(x: Dual<T>): Dual<T> {
    return this.unary('exp', x);
  }
  log(x: Dual<T>): Dual<T> {
    return this.unary('log', x);
  }
  sqrt(x: Dual<T>): Dual<T> {
    return this.unary('sqrt', x);
  }
  rsqrt(x: Dual<T>): Dual<T> {
    return this.unary('rsqrt', x);
  }
  sin(x: Dual<T>): Dual<T> {
    return this.unary('sin', x);
  }
  cos(x: Dual<T>): Dual<T> {
    return this.unary('cos', x);
  }
  tanh(x: Dual<T>): Dual<T> {
    return this.unary('tanh', x);
  }
  sigmoid(x: Dual<T>): Dual<T> {
    return this.unary('sigmoid', x);
  }
  powScalar(x: Dual<T>, p: number): Dual<T> {
    const b = this.base;
    const y = b.powScalar(x.primal, p);
    if (x.tangent === null || p === 0) return new Dual(y, null);
    return new Dual(y, b.mul(x.tangent, powDerivative(b, x.primal, p)));
  }

  add(x: Dual<T>, y: Dual<T>): Dual<T> {
    const b = this.base;
    const out = b.add(x.primal, y.primal);
    return new Dual(out, this.combine(b.shape(out), ...this.terms([[x.tangent, (t) => t], [y.tangent, (t) => t]])));
  }
  sub(x: Dual<T>, y: Dual<T>): Dual<T> {
    const b = this.base;
    const out = b.sub(x.primal, y.primal);
    return new Dual(out, this.combine(b.shape(out), ...this.terms([[x.tangent, (t) => t], [y.tangent, (t) => b.neg(t)]])));
  }
  mul(x: Dual<T>, y: Dual<T>): Dual<T> {
    const b = this.base;
    const out = b.mul(x.primal, y.primal);
    return new Dual(
      out,
      this.combine(b.shape(out), ...this.terms([[x.tangent, (t) => b.mul(t, y.primal)], [y.tangent, (t) => b.mul(x.primal, t)]])),
    );
  }
  div(x: Dual<T>, y: Dual<T>): Dual<T> {
    const b = this.base;
    const out = b.div(x.primal, y.primal);
    // d(x/y) = (dx - out dy) / y
    const num = this.combine(b.shape(out), ...this.terms([[x.tangent, (t) => t], [y.tangent, (t) => b.neg(b.mul(out, t))]]));
    return new Dual(out, num === null ? null : b.div(num, y.primal));
  }
  maximum(x: Dual<T>, y: Dual<T>): Dual<T> {
    const b = this.base;
    const out = b.maximum(x.primal, y.primal);
    if (x.tangent === null && y.tangent === null) return new Dual(out, null);
    // Ties follow x, as in the reverse rule, so forward and reverse agree everywhere.
    const pickY = b.greater(y.primal, x.primal);
    const t = b.select(pickY, this.tangentOf(y), this.tangentOf(x));
    return new Dual(out, sameShape(b.shape(t), b.shape(out)) ? t : b.broadcastTo(t, b.shape(out)));
  }
  greater(x: Dual<T>, y: Dual<T>): Dual<T> {
    return this.lift(this.base.greater(x.primal, y.primal));
  }
  equal(x: Dual<T>, y: Dual<T>): Dual<T> {
    return this.lift(this.base.equal(x.primal, y.primal));
  }
  select(cond: Dual<T>, x: Dual<T>, y: Dual<T>): Dual<T> {
    const b = this.base;
    const out = b.select(cond.primal, x.primal, y.primal);
    if (x.tangent === null && y.tangent === null) return new Dual(out, null);
    const t = b.select(cond.primal, this.tangentOf(x), this.tangentOf(y));
    return new Dual(out, sameShape(b.shape(t), b.shape(out)) ? t : b.broadcastTo(t, b.shape(out)));
  }

  sum(x: Dual<T>, axes?: readonly number[], keepDims?: boolean): Dual<T> {
    return this.map(x, (v) => this.base.sum(v, axes, keepDims));
  }
  mean(x: Dual<T>, axes?: readonly number[], keepDims?: boolean): Dual<T> {
    return this.map(x, (v) => this.base.mean(v, axes, keepDims));
  }
  max(x: Dual<T>, axes?: readonly number[], keepDims?: boolean): Dual<T> {
    const b = this.base;
    const y = b.max(x.primal, axes, keepDims);
    if (x.tangent === null) return new Dual(y, null);
    // Ties share the derivative equally: the mean of the tangents at the maxima.
    const mask = argmaxMask(b, x.primal, axes, y, keepDims ?? false);
    const t = b.div(b.sum(b.mul(x.tangent, mask), axes, keepDims), b.sum(mask, axes, keepDims));
    return new Dual(y, t);
  }

  reshape(x: Dual<T>, shape: Shape): Dual<T> {
    return this.map(x, (v) => this.base.reshape(v, shape));
  }
  transpose(x: Dual<T>, perm: readonly number[]): Dual<T> {
    return this.map(x, (v) => this.base.transpose(v, perm));
  }
  broadcastTo(x: Dual<T>, shape: Shape): Dual<T> {
    return this.map(x, (v) => this.base.broadcastTo(v, shape));
  }
  slice(x: Dual<T>, begin: readonly number[], size: readonly number[]): Dual<T> {
    return this.map(x, (v) => this.base.slice(v, begin, size));
  }
  concat(xs: readonly Dual<T>[], axis: number): Dual<T> {
    const b = this.base;
    const out = b.concat(xs.map((x) => x.primal), axis);
    const anyTangent = xs.some((x) => x.tangent !== null);
    return new Dual(out, anyTangent ? b.concat(xs.map((x) => this.tangentOf(x)), axis) : null);
  }
  pad(x: Dual<T>, paddings: readonly (readonly [number, number])[], value = 0): Dual<T> {
    const b = this.base;
    return new Dual(b.pad(x.primal, paddings, value), x.tangent === null ? null : b.pad(x.tangent, paddings, 0));
  }

  /** Tangent of a bilinear op f(x, y): f(dx, y) + f(x, dy). */
  private bilinear(x: Dual<T>, y: Dual<T>, f: (u: T, v: T) => T): Dual<T> {
    const out = f(x.primal, y.primal);
    const t = this.combine(this.base.shape(out), ...this.terms([[x.tangent, (t) => f(t, y.primal)], [y.tangent, (t) => f(x.primal, t)]]));
    return new Dual(out, t);
  }

  matmul(a: Dual<T>, b: Dual<T>, options?: MatMulOptions): Dual<T> {
    return this.bilinear(a, b, (u, v) => this.base.matmul(u, v, options));
  }
  conv2d(x: Dual<T>, w: Dual<T>, options?: Conv2DOptions): Dual<T> {
    return this.bilinear(x, w, (u, v) => this.base.conv2d(u, v, options));
  }
  conv2dBackpropInput(dy: Dual<T>, w: Dual<T>, xShape: Shape, options?: Conv2DOptions): Dual<T> {
    return this.bilinear(dy, w, (u, v) => this.base.conv2dBackpropInput(u, v, xShape, options));
  }
  conv2dBackpropFilter(x: Dual<T>, dy: Dual<T>, wShape: Shape, options?: Conv2DOptions): Dual<T> {
    return this.bilinear(x, dy, (u, v) => this.base.conv2dBackpropFilter(u, v, wShape, options));
  }
  upsampleNearest(x: Dual<T>, factor: number): Dual<T> {
    return this.map(x, (v) => this.base.upsampleNearest(v, factor));
  }
  avgPool(x: Dual<T>, factor: number): Dual<T> {
    return this.map(x, (v) => this.base.avgPool(v, factor));
  }

  tidy<R>(fn: () => R): R {
    let result!: R;
    this.base.tidy(() => {
      result = fn();
      return collectTensors(result, (v): v is Dual<T> => v instanceof Dual).flatMap((d) =>
        d.tangent === null ? [d.primal] : [d.primal, d.tangent],
      );
    });
    return result;
  }
  keep<X extends Dual<T>>(x: X): X {
    this.base.keep(x.primal);
    if (x.tangent !== null) this.base.keep(x.tangent);
    return x;
  }
  dispose(x: Dual<T> | readonly Dual<T>[]): void {
    const xs = x instanceof Dual ? [x] : x;
    for (const d of xs) {
      this.base.dispose(d.primal);
      if (d.tangent !== null) this.base.dispose(d.tangent);
    }
  }
}

/**
 * The value and the directional derivative of fn at `primals` along `tangents` (a missing or null
 * tangent is zero). The result's tensors outlive the call; everything else is freed.
 */
export function jvp<T>(
  ops: TensorOps<T>,
  fn: (d: DualOps<T>, ...xs: Dual<T>[]) => Dual<T>,
  primals: readonly T[],
  tangents: readonly (T | null | undefined)[],
): {
  /** fn's value. */
  primal: T;
  /** Its directional derivative, with the value's shape (zeros where nothing depends on a tangent). */
  tangent: T;
} {
  return ops.tidy(() => {
    const d = new DualOps(ops);
    const out = fn(d, ...primals.map((p, i) => d.dual(p, tangents[i] ?? null)));
    return { primal: out.primal, tangent: d.tangentOf(out) };
  });
}
