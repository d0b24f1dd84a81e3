/** Matrix products: ONNX MatMul already broadcasts the leading (batch) axes numpy-style. */
import type { LowerContext } from '../context.js';
import type { Lowerings } from './types.js';

function transposeLastTwo(ctx: LowerContext, x: string, rank: number): string {
  const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  return ctx.emit('Transpose', [x], { perm });
}

export const linalg: Lowerings<'matmul'> = {
  matmul: (ctx, node, [a, b]) => {
    const { transposeA, transposeB } = node.attrs.options;
    const [ra, rb] = node.inputs.map((id) => ctx.shapeOf(id).length);
    return ctx.emit('MatMul', [transposeA ? transposeLastTwo(ctx, a, ra) : a, transposeB ? transposeLastTwo(ctx, b, rb) : b]);
  },
};
