/** The conditioning inputs an exported model declares: int64 class labels and per-example guidance scales. */
import type { Model, Sym, TensorOps, TraceOps } from '@scm/core';
import { LABEL_INPUT } from '../metadata.js';

/** One-hot rows [n, numClasses + 1] from labels [n]; a negative label is the null class (last column). */
function oneHot<T>(o: TensorOps<T>, labels: T, numClasses: number): T {
  const n = o.shape(labels)[0];
  const column = o.reshape(labels, [n, 1]);
  const index = o.select(o.greater(o.fill([], 0), column), o.fill([], numClasses), column);
  const classes = Float32Array.from({ length: numClasses + 1 }, (_, i) => i);
  return o.equal(index, o.fromArray(classes, [1, numClasses + 1]));
}

/** The one-hot labels of a class-conditional model, from a declared `label` input [n]. */
export function labelInput(tr: TraceOps, model: Model, n: number): Sym | undefined {
  return model.numClasses > 0 ? oneHot(tr, tr.input(LABEL_INPUT, [n]), model.numClasses) : undefined;
}

export const guidanceInput = (tr: TraceOps, n: number): Sym => tr.input('guidance', [n]);
