/**
 * Checks shared by the optimiser modules. They run on the host before any tensor op, so a bad
 * hyperparameter or a mismatched record fails with a message naming it instead of producing NaNs
 * (or a traced graph that only fails later inside ONNX Runtime).
 */
import type { Shape, TensorOps } from '../tensor/ops.js';
import { fmt, sameShape, ShapeError, sizeOf } from '../tensor/shape.js';

export function checkPositive(op: string, what: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`${op}: ${what} must be a positive finite number, got ${value}`);
}

export function checkNonNegative(op: string, what: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0))
    throw new RangeError(`${op}: ${what} must be a finite number >= 0, got ${value}`);
}

/** Decay rates such as Adam's betas: 1 would freeze the average and make bias correction divide by 0. */
export function checkUnitInterval(op: string, what: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new RangeError(`${op}: ${what} must lie in [0, 1), got ${value}`);
}

/** Steps count from 1: bias corrections and power-EMA decays are singular at 0. */
export function checkStep(op: string, step: number): void {
  if (!(Number.isInteger(step) && step >= 1)) throw new RangeError(`${op}: step must be an integer >= 1, got ${step}`);
}

export function shapesOf<T>(o: TensorOps<T>, tree: Record<string, T>): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const name of Object.keys(tree)) out[name] = o.shape(tree[name]);
  return out;
}

/**
 * Throws unless record `what` holds exactly the names of `expected` (the names and shapes of the
 * record called `against`), each with its shape.
 */
export function checkTree<T>(
  o: TensorOps<T>,
  op: string,
  what: string,
  actual: Record<string, T>,
  against: string,
  expected: Readonly<Record<string, Shape>>,
): void {
  for (const name of Object.keys(expected)) {
    // hasOwn, not `in`: a parameter may well be called 'constructor'.
    if (!Object.hasOwn(actual, name)) throw new Error(`${op}: ${what} is missing '${name}'`);
    const shape = o.shape(actual[name]);
    if (!sameShape(shape, expected[name])) {
      throw new ShapeError(op, `${what} '${name}' has shape ${fmt(shape)} but ${against} has ${fmt(expected[name])}`);
    }
  }
  for (const name of Object.keys(actual)) {
    if (!Object.hasOwn(expected, name)) throw new Error(`${op}: ${what} has '${name}' but ${against} does not`);
  }
}

/** Per-step scalars broadcast against whole tensors, so anything bigger would silently mix elements. */
export function checkScalar<T>(o: TensorOps<T>, op: string, what: string, x: T): void {
  const shape = o.shape(x);
  if (sizeOf(shape) !== 1) throw new ShapeError(op, `${what} must be a scalar tensor, got shape ${fmt(shape)}`);
}

export function mapTree<T>(tree: Record<string, T>, f: (x: T, name: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of Object.keys(tree)) out[name] = f(tree[name], name);
  return out;
}
