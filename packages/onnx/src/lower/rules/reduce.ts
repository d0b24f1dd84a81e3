/** Reductions over normalised axes; an empty axis list reduces nothing, where ONNX would reduce everything. */
import type { Lowering, Lowerings } from './types.js';

/** Opset 17: ReduceSum takes its axes as an input (since opset 13), ReduceMean and ReduceMax as an attribute (until 18). */
const reduction =
  (opType: 'ReduceSum' | 'ReduceMean' | 'ReduceMax'): Lowering<'sum' | 'mean' | 'max'> =>
  (ctx, { attrs: { axes, keepDims } }, [x]) => {
    if (axes.length === 0) return ctx.emit('Identity', [x]);
    const keepdims = keepDims ? 1 : 0;
    return opType === 'ReduceSum' ? ctx.emit(opType, [x, ctx.int64s(axes)], { keepdims }) : ctx.emit(opType, [x], { axes, keepdims });
  };

export const reductions: Lowerings<'sum' | 'mean' | 'max'> = {
  sum: reduction('ReduceSum'),
  mean: reduction('ReduceMean'),
  max: reduction('ReduceMax'),
};
