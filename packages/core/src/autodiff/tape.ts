/**
 * Reverse mode: a TensorOps that executes each primitive on the base ops and, when an input depends
 * on a differentiated parameter, records the primitive's VJP rule on a tape. `valueAndGrad` replays
 * the tape backwards. VJP rules are written with base primitives, so when the base is itself a
 * transformation (DualOps, another tape) the gradient differentiates again.
 */
import type { Conv2DOptions, HostArray, MatMulOptions, Shape, TensorOps } from '../tensor/ops.js';
import { inversePermutation, normalizeAxis, sizeOf } from '../tensor/shape.js';
import {
  argmaxMask,
  keepShape,
  powDerivative,
  reducedCount,
  scalar,
  scale,
  unaryDerivative,
  unbroadcast,
  type UnaryOp,
} from './derivatives.js';

/** A value on the reverse-mode tape: the backend tensor and its position on the tape. */
export class TapeTensor<T> {
  constructor(
    /** The backend tensor this one wraps. */
    readonly value: T,
    /** Position on the tape, or -1 for a value that no parameter influences. */
    readonly id: number,
  ) {}
  /** Whether a differentiated parameter influences this value (so it gets a cotangent). */
  get tracked(): boolean {
    return this.id >= 0;
  }
}

/** Cotangents of the inputs given the output's; null where an input needs none. */
type Vjp<T> = (g: T) => (T | null)[];

interface TapeEntry<T> {
  readonly inputs: readonly TapeTensor<T>[];
  readonly vjp: Vjp<T>;
}

/**
 * Reverse mode as a TensorOps: each primitive runs on `base` and, when an input depends on a
 * differentiated parameter, its VJP rule is recorded. Use it through {@link valueAndGrad}.
 */
export class TapeOps<T> implements TensorOps<TapeTensor<T>> {
  readonly name: string;
  private readonly entries: TapeEntry<T>[] = [];

  /** @param base - The backend that evaluates every primitive (forward values and VJP rules alike). */
  constructor(readonly base: TensorOps<T>) {
    this.name = `tape(${base.name})`;
  }

  /** A constant: data and anything else the loss is not differentiated against. */
  lift(x: T): TapeTensor<T> {
    return new TapeTensor(x, -1);
  }

  /** A differentiated input: gets its own tape slot so its cotangent can be read off. */
  variable(x: T): TapeTensor<T> {
    this.entries.push({ inputs: [], vjp: () => [] });
    return new TapeTensor(x, this.entries.length - 1);
  }

  private record(value: T, inputs: readonly TapeTensor<T>[], vjp: Vjp<T>): TapeTensor<T> {
    if (!inputs.some((x) => x.tracked)) return this.lift(value);
    this.entries.push({ inputs, vjp });
    return new TapeTensor(value, this.entries.length - 1);
  }

  /** Cotangents of every tape slot reachable backwards from `out`, seeded with `seed`. */
  backward(out: TapeTensor<T>, seed: T): (T | undefined)[] {
    const b = this.base;
    const grads: (T | undefined)[] = new Array(this.entries.length);
    if (!out.tracked) return grads;
    grads[out.id] = seed;
    for (let id = out.id; id >= 0; id--) {
      const g = grads[id];
      const entry = this.entries[id];
      if (g === undefined || entry.inputs.length === 0) continue;
      const cotangents = entry.vjp(g);
      entry.inputs.forEach((x, k) => {
        const c = cotangents[k];
        if (!x.tracked || c === null) return;
        const prev = grads[x.id];
        grads[x.id] = prev === undefined ? c : b.add(prev, c);
      });
    }
    return grads;
  }

  fromArray(data: HostArray | readonly number[], shape: Shape): TapeTensor<T> {
    return this.lift(this.base.fromArray(data, shape));
  }
  fill(shape: Shape, value: number): TapeTensor<T> {
    return this.lift(this.base.fill(shape, value));
  }
  shape(x: TapeTensor<T>): Shape {
    return this.base.shape(x.value);
  }
  read(x: TapeTensor<T>): Promise<HostArray> {
    return this.base.read(x.value);
  }
  readSync(x: TapeTensor<T>): HostArray {
    return this.base.readSync(x.value);
  }

  private unary(op: UnaryOp, x: TapeTensor<T>): TapeTensor<T> {
    const b = this.base;
    const y = b[op](x.value);
    return this.record(y, [x], (g) => [b.mul(g, unaryDerivative(b, op, x.value, y))]);
  }

  neg(x: TapeTensor<T>): TapeTensor<T> {
    const b = this.base;
    return this.record(b.neg(x.value), [x], (g) => [b.neg(g)]);
  }
  exp(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('exp', x);
  }
  log(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('log', x);
  }
  sqrt(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('sqrt', x);
  }
  rsqrt(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('rsqrt', x);
  }
  sin(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('sin', x);
  }
  cos(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('cos', x);
  }
  tanh(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('tanh', x);
  }
  sigmoid(x: TapeTensor<T>): TapeTensor<T> {
    return this.unary('sigmoid', x);
  }
  powScalar(x: TapeTensor<T>, p: number): TapeTensor<T> {
    const b = this.base;
    return this.record(b.powScalar(x.value, p), p === 0 ? [] : [x], (g) => [b.mul(g, powDerivative(b, x.value, p))]);
  }

  /** Records a broadcasting binary op whose cotangents are computed before unbroadcasting. */
  private binary(value: T, x: TapeTensor<T>, y: TapeTensor<T>, gx: (g: T) => T, gy: (g: T) => T): TapeTensor<T> {
    const b = this.base;
    const sx = b.shape(x.value);
    const sy = b.shape(y.value);
    return this.record(value, [x, y], (g) => [
      x.tracked ? unbroadcast(b, gx(g), sx) : null,
      y.tracked ? unbroadcast(b, gy(g), sy) : null,
    ]);
  }

  add(x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    return this.binary(this.base.add(x.value, y.value), x, y, (g) => g, (g) => g);
  }
  sub(x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    const b = this.base;
    return this.binary(b.sub(x.value, y.value), x, y, (g) => g, (g) => b.neg(g));
  }
  mul(x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    const b = this.base;
    return this.binary(b.mul(x.value, y.value), x, y, (g) => b.mul(g, y.value), (g) => b.mul(g, x.value));
  }
  div(x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    const b = this.base;
    const out = b.div(x.value, y.value);
    return this.binary(out, x, y, (g) => b.div(g, y.value), (g) => b.neg(b.div(b.mul(g, out), y.value)));
  }
  maximum(x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    const b = this.base;
    // Ties go to x, matching the forward rule.
    const pickY = () => b.greater(y.value, x.value);
    return this.binary(
      b.maximum(x.value, y.value),
      x,
      y,
      (g) => b.select(pickY(), scalar(b, 0), g),
      (g) => b.select(pickY(), g, scalar(b, 0)),
    );
  }
  greater(x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    return this.lift(this.base.greater(x.value, y.value));
  }
  equal(x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    return this.lift(this.base.equal(x.value, y.value));
  }
  select(cond: TapeTensor<T>, x: TapeTensor<T>, y: TapeTensor<T>): TapeTensor<T> {
    const b = this.base;
    const c = cond.value;
    const out = b.select(c, x.value, y.value);
    // The condition's shape may widen the result beyond both branches; unbroadcast handles it.
    return this.binary(out, x, y, (g) => b.select(c, g, scalar(b, 0)), (g) => b.select(c, scalar(b, 0), g));
  }

  sum(x: TapeTensor<T>, axes?: readonly number[], keepDims?: boolean): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    return this.record(b.sum(x.value, axes, keepDims), [x], (g) => [b.broadcastTo(b.reshape(g, keepShape(xs, axes)), xs)]);
  }
  mean(x: TapeTensor<T>, axes?: readonly number[], keepDims?: boolean): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    const n = reducedCount(xs, axes);
    return this.record(b.mean(x.value, axes, keepDims), [x], (g) => [
      b.broadcastTo(scale(b, b.reshape(g, keepShape(xs, axes)), 1 / n), xs),
    ]);
  }
  max(x: TapeTensor<T>, axes?: readonly number[], keepDims?: boolean): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    const y = b.max(x.value, axes, keepDims);
    return this.record(y, [x], (g) => {
      const mask = argmaxMask(b, x.value, axes, y, keepDims ?? false);
      const share = b.div(b.reshape(g, keepShape(xs, axes)), b.sum(mask, axes, true));
      return [b.mul(mask, share)];
    });
  }

  reshape(x: TapeTensor<T>, shape: Shape): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    return this.record(b.reshape(x.value, shape), [x], (g) => [b.reshape(g, xs)]);
  }
  transpose(x: TapeTensor<T>, perm: readonly number[]): TapeTensor<T> {
    const b = this.base;
    return this.record(b.transpose(x.value, perm), [x], (g) => [b.transpose(g, inversePermutation(perm))]);
  }
  broadcastTo(x: TapeTensor<T>, shape: Shape): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    return this.record(b.broadcastTo(x.value, shape), [x], (g) => [unbroadcast(b, g, xs)]);
  }
  slice(x: TapeTensor<T>, begin: readonly number[], size: readonly number[]): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    const out = b.slice(x.value, begin, size);
    const os = b.shape(out);
    return this.record(out, [x], (g) => [b.pad(g, xs.map((d, i) => [begin[i], d - begin[i] - os[i]] as [number, number]))]);
  }
  concat(xs: readonly TapeTensor<T>[], axis: number): TapeTensor<T> {
    const b = this.base;
    const shapes = xs.map((x) => b.shape(x.value));
    const out = b.concat(xs.map((x) => x.value), axis);
    const ax = normalizeAxis('concat', axis, shapes[0].length);
    return this.record(out, xs, (g) => {
      let offset = 0;
      return shapes.map((s, k) => {
        const begin = s.map((_, i) => (i === ax ? offset : 0));
        offset += s[ax];
        return xs[k].tracked ? b.slice(g, begin, s) : null;
      });
    });
  }
  pad(x: TapeTensor<T>, paddings: readonly (readonly [number, number])[], value = 0): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    return this.record(b.pad(x.value, paddings, value), [x], (g) => [b.slice(g, paddings.map(([before]) => before), xs)]);
  }

  matmul(x: TapeTensor<T>, y: TapeTensor<T>, options: MatMulOptions = {}): TapeTensor<T> {
    const b = this.base;
    const ta = options.transposeA ?? false;
    const tb = options.transposeB ?? false;
    // C = op(A) op(B); each cotangent is the product that undoes the transposes.
    const gx = (g: T) =>
      ta ? b.matmul(y.value, g, { transposeA: tb, transposeB: true }) : b.matmul(g, y.value, { transposeB: !tb });
    const gy = (g: T) =>
      tb ? b.matmul(g, x.value, { transposeA: true, transposeB: ta }) : b.matmul(x.value, g, { transposeA: !ta });
    return this.binary(b.matmul(x.value, y.value, options), x, y, gx, gy);
  }
  conv2d(x: TapeTensor<T>, w: TapeTensor<T>, options?: Conv2DOptions): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    const ws = b.shape(w.value);
    return this.record(b.conv2d(x.value, w.value, options), [x, w], (g) => [
      x.tracked ? b.conv2dBackpropInput(g, w.value, xs, options) : null,
      w.tracked ? b.conv2dBackpropFilter(x.value, g, ws, options) : null,
    ]);
  }
  conv2dBackpropInput(dy: TapeTensor<T>, w: TapeTensor<T>, xShape: Shape, options?: Conv2DOptions): TapeTensor<T> {
    const b = this.base;
    const ws = b.shape(w.value);
    // The op is the adjoint of x -> conv2d(x, w), so its own adjoints are conv2d and the filter backprop.
    return this.record(b.conv2dBackpropInput(dy.value, w.value, xShape, options), [dy, w], (g) => [
      dy.tracked ? b.conv2d(g, w.value, options) : null,
      w.tracked ? b.conv2dBackpropFilter(g, dy.value, ws, options) : null,
    ]);
  }
  conv2dBackpropFilter(x: TapeTensor<T>, dy: TapeTensor<T>, wShape: Shape, options?: Conv2DOptions): TapeTensor<T> {
    const b = this.base;
    const xs = b.shape(x.value);
    return this.record(b.conv2dBackpropFilter(x.value, dy.value, wShape, options), [x, dy], (g) => [
      x.tracked ? b.conv2dBackpropInput(dy.value, g, xs, options) : null,
      dy.tracked ? b.conv2d(x.value, g, options) : null,
    ]);
  }
  upsampleNearest(x: TapeTensor<T>, factor: number): TapeTensor<T> {
    const b = this.base;
    return this.record(b.upsampleNearest(x.value, factor), [x], (g) => [scale(b, b.avgPool(g, factor), factor * factor)]);
  }
  avgPool(x: TapeTensor<T>, factor: number): TapeTensor<T> {
    const b = this.base;
    return this.record(b.avgPool(x.value, factor), [x], (g) => [scale(b, b.upsampleNearest(g, factor), 1 / (factor * factor))]);
  }

  /** Intermediates must outlive the forward pass for the backward one, so scopes free nothing here. */
  tidy<R>(fn: () => R): R {
    return fn();
  }
  keep<X extends TapeTensor<T>>(x: X): X {
    return x;
  }
  dispose(): void {}
}

/** What a loss function returns to {@link valueAndGrad}: a scalar, or a scalar with undifferentiated extras. */
export type LossResult<N> =
  | N
  | {
      /** The scalar loss (shape []) to differentiate. */
      loss: N;
      /** Extra outputs returned as they are, not differentiated. */
      aux?: Record<string, N>;
    };

/** The result of {@link valueAndGrad}. */
export interface ValueAndGrad<T, K extends string> {
  /** The loss, a scalar tensor. */
  value: T;
  /** d loss / d param for every param, each with its param's shape. */
  grads: Record<K, T>;
  /** The loss function's auxiliary outputs ({} when it returned none). */
  aux: Record<string, T>;
}

/**
 * The value of a scalar loss and its gradient with respect to `params`. fn receives the tape ops and
 * the params as tape variables; other inputs enter through `tape.lift`. It may return auxiliary
 * outputs (not differentiated) as { loss, aux }. Everything but the returned tensors is freed.
 */
export function valueAndGrad<T, K extends string>(
  ops: TensorOps<T>,
  fn: (tape: TapeOps<T>, params: Record<K, TapeTensor<T>>) => LossResult<TapeTensor<T>>,
  params: Record<K, T>,
): ValueAndGrad<T, K> {
  return ops.tidy(() => {
    const tape = new TapeOps(ops);
    const names = Object.keys(params) as K[];
    const vars = Object.fromEntries(names.map((k) => [k, tape.variable(params[k])])) as Record<K, TapeTensor<T>>;
    const result = fn(tape, vars);
    const loss = result instanceof TapeTensor ? result : result.loss;
    const aux = result instanceof TapeTensor ? {} : (result.aux ?? {});
    const lossShape = ops.shape(loss.value);
    if (sizeOf(lossShape) !== 1) {
      throw new Error(`valueAndGrad: the loss must be a scalar, got shape [${lossShape.join(', ')}]`);
    }
    const cot = tape.backward(loss, ops.fill(lossShape, 1));
    const grads = Object.fromEntries(
      names.map((k) => [k, cot[vars[k].id] ?? ops.fill(ops.shape(params[k]), 0)]),
    ) as Record<K, T>;
    const auxValues = Object.fromEntries(Object.entries(aux).map(([k, v]) => [k, v.value]));
    return { value: loss.value, grads, aux: auxValues };
  });
}
