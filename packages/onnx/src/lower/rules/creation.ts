/** The leaves of a graph: inputs, constants (initializers) and fills. */
import { DataType } from '../../proto.js';
import type { Lowerings } from './types.js';

export const creation: Lowerings<'input' | 'constant' | 'fill'> = {
  input: (ctx, { attrs: { name } }) => (ctx.int64Inputs.has(name) ? ctx.emit('Cast', [name], { to: DataType.FLOAT }) : name),
  // A constant is the same at every batch (dynamicBatch checks it), so it is stored as traced.
  constant: (ctx, node) => ctx.floats(node.attrs.data, node.shape),
  // One scalar expanded at run time: a fill's size may follow the batch, and need not be stored.
  fill: (ctx, node) => {
    const { value, overBatch } = ctx.batched.fillValue(node.id);
    const scalar = overBatch === 0 ? ctx.floats([value]) : ctx.dividedByBatch(overBatch);
    return node.shape.length === 0 ? scalar : ctx.emit('Expand', [scalar, ctx.shapeTensor(ctx.batched.dims(node.id))]);
  },
};
