/** Element-wise primitives. ONNX's arithmetic broadcasts numpy-style, as the primitives do. */
import { DataType } from '../../proto.js';
import type { AnyLowering, Lowerings } from './types.js';

const same =
  (opType: string): AnyLowering =>
  (ctx, _node, inputs) =>
    ctx.emit(opType, inputs);

/** Comparisons give booleans in ONNX and 0/1 floats in TensorOps. */
const comparison =
  (opType: string): AnyLowering =>
  (ctx, _node, inputs) =>
    ctx.emit('Cast', [ctx.emit(opType, inputs)], { to: DataType.FLOAT });

export const elementwise: Lowerings<
  'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'powScalar' | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'greater' | 'equal' | 'select'
> = {
  neg: same('Neg'),
  exp: same('Exp'),
  log: same('Log'),
  sqrt: same('Sqrt'),
  rsqrt: (ctx, _node, [x]) => ctx.emit('Reciprocal', [ctx.emit('Sqrt', [x])]),
  sin: same('Sin'),
  cos: same('Cos'),
  tanh: same('Tanh'),
  sigmoid: same('Sigmoid'),
  // Squares are everywhere (norms, losses): x * x is exact to one rounding, which pow need not be.
  powScalar: (ctx, node, [x]) => (node.attrs.p === 2 ? ctx.emit('Mul', [x, x]) : ctx.emit('Pow', [x, ctx.floats([node.attrs.p])])),
  add: same('Add'),
  sub: same('Sub'),
  mul: same('Mul'),
  div: same('Div'),
  maximum: same('Max'),
  greater: comparison('Greater'),
  equal: comparison('Equal'),
  // Cast to bool maps exactly the zeros to false (NaN is true), which is select's cond != 0.
  select: (ctx, _node, [c, a, b]) => ctx.emit('Where', [ctx.emit('Cast', [c], { to: DataType.BOOL }), a, b]),
};
