/**
 * Layout assignment: the graph rewritten so that convolutions, pooling and upsampling run channels
 * first (NCHW images, OIHW filters), as ONNX Runtime's CPU kernels and ONNX's own operators want, with
 * transposes only where a value must change layout. Every value carries the permutation it is stored
 * in (stored = transpose(logical, perm)); element-wise ops, reductions, slices, concatenations, pads,
 * transposes and most reshapes then work on the stored tensor directly, so the layout flows from one
 * convolution to the next and through the backward pass, and the graph's inputs and outputs keep
 * core's layout. The builder cancels the transposes that meet and folds those of constants.
 */
import type { Shape } from '../tensor/ops.js';
import * as S from '../tensor/shape.js';
import { GraphBuilder, type BuilderOptions } from './builder.js';
import type { Graph, GraphNode } from './ir.js';
import { HWIO_TO_OIHW, NHWC_TO_NCHW, isIdentity, permute } from './perms.js';

interface Value {
  readonly id: number;
  /** stored = transpose(logical, perm); the identity for a value in core's layout. */
  readonly perm: readonly number[];
}

const identity = (rank: number) => Array.from({ length: rank }, (_, i) => i);
const samePerm = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The stored permutation of reshape(x, to) when x is stored in `perm`, if the reshape can run on the
 * stored tensor: every run of axes it merges or splits must lie together, in order, in the stored
 * tensor. Size-1 axes belong to no run; the output's go last.
 */
export function reshapePerm(from: Shape, perm: readonly number[], to: Shape): number[] | undefined {
  const fa = from.map((_, a) => a).filter((a) => from[a] !== 1);
  const ta = to.map((_, a) => a).filter((a) => to[a] !== 1);
  const runs: { ins: number[]; outs: number[] }[] = [];
  let i = 0;
  let j = 0;
  while (i < fa.length && j < ta.length) {
    const run = { ins: [fa[i]], outs: [ta[j]] };
    let pa = from[fa[i++]];
    let pb = to[ta[j++]];
    while (pa !== pb) {
      if (pa < pb) {
        if (i >= fa.length) return undefined;
        run.ins.push(fa[i]);
        pa *= from[fa[i++]];
      } else {
        if (j >= ta.length) return undefined;
        run.outs.push(ta[j]);
        pb *= to[ta[j++]];
      }
    }
    runs.push(run);
  }
  if (i < fa.length || j < ta.length) return undefined;
  const stored = perm.filter((a) => from[a] !== 1);
  const order: number[] = [];
  for (let k = 0; k < stored.length; ) {
    const run = runs.find((r) => r.ins[0] === stored[k]);
    if (run === undefined || run.ins.some((a, m) => stored[k + m] !== a)) return undefined;
    k += run.ins.length;
    order.push(...run.outs);
  }
  return [...order, ...to.map((_, a) => a).filter((a) => to[a] === 1)];
}

/**
 * The graph with convolutions, pooling and upsampling channels first (NCHW images, OIHW filters),
 * and transposes only where a value must change layout; the graph's inputs and outputs keep core's
 * NHWC layout, so it computes the same function.
 */
export function assignLayout(graph: Graph, options: BuilderOptions = {}): Graph {
  const b = new GraphBuilder(options);
  const values = new Map<number, Value>();
  const value = (id: number) => values.get(id) as Value;

  /** v's tensor stored in `perm`. */
  const as = (v: Value, perm: readonly number[]): number => {
    if (samePerm(v.perm, perm)) return v.id;
    const inverse = S.inversePermutation(v.perm);
    return b.transpose(v.id, perm.map((a) => inverse[a]));
  };
  const logical = (v: Value) => as(v, identity(v.perm.length));
  const stored = (id: number, perm: readonly number[]): Value => ({ id, perm });
  const plain = (id: number): Value => stored(id, identity(b.shape(id).length));

  /** What a transpose of the value moves: a broadcast or a constant moves only its (small, or folded) source. */
  const moveCost = (id: number): number => {
    const node = b.node(id);
    if (node.attrs.op === 'broadcastTo') return moveCost(node.inputs[0]);
    if (node.attrs.op === 'fill' || node.attrs.op === 'constant') return 0;
    return S.sizeOf(node.shape);
  };

  /** A broadcasting operand brought into an output stored in `perm` (rank R). */
  const operand = (v: Value, perm: readonly number[]): number => {
    const shape = b.shape(v.id);
    if (shape.length === perm.length) return as(v, perm);
    const x = logical(v);
    // Lower ranks broadcast from the right in the logical layout: pad with ones, then permute.
    if (isIdentity(perm) || shape.every((d) => d === 1)) return x;
    return b.transpose(b.toRank(x, perm.length), perm);
  };

  const rebuild = (n: GraphNode): Value => {
    const a = n.attrs;
    const xs = n.inputs.map(value);
    switch (a.op) {
      case 'input':
        return plain(b.input(a.name, n.shape));
      case 'constant':
      case 'fill':
        return plain(b.add(a, [], n.shape));
      case 'neg':
      case 'exp':
      case 'log':
      case 'sqrt':
      case 'rsqrt':
      case 'sin':
      case 'cos':
      case 'tanh':
      case 'sigmoid':
      case 'powScalar':
        return stored(b.add(a, [xs[0].id], b.shape(xs[0].id)), xs[0].perm);
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'maximum':
      case 'greater':
      case 'equal':
      case 'select': {
        const rank = n.shape.length;
        // The layout of the operand that would cost most to move: the others follow it.
        const full = xs.filter((v) => v.perm.length === rank);
        const perm = full.length === 0 ? identity(rank) : full.reduce((a, v) => (moveCost(v.id) > moveCost(a.id) ? v : a)).perm;
        const ids = xs.map((v) => operand(v, perm));
        const shape = ids.map((id) => b.shape(id)).reduce((s, t) => S.broadcastShapes(a.op, s, t));
        return stored(b.add(a, ids, shape), perm);
      }
      case 'sum':
      case 'mean':
      case 'max':
      case 'normalize': {
        const [x] = xs;
        const axes = x.perm.flatMap((l, i) => (a.axes.includes(l) ? [i] : []));
        if (a.op === 'normalize') return stored(b.add({ ...a, axes }, [x.id], b.shape(x.id)), x.perm);
        const shape = S.reduceShape(a.op, b.shape(x.id), axes, a.keepDims);
        const id = b.add({ ...a, axes }, [x.id], shape);
        if (a.keepDims) return stored(id, x.perm);
        const kept = x.perm.filter((l) => !a.axes.includes(l));
        return stored(id, kept.map((l) => l - a.axes.filter((r) => r < l).length));
      }
      case 'softmax':
        return stored(b.add({ op: 'softmax', axis: xs[0].perm.indexOf(a.axis) }, [xs[0].id], b.shape(xs[0].id)), xs[0].perm);
      case 'transpose': {
        // Nothing moves: the output is the same stored tensor, read through another permutation.
        const inverse = S.inversePermutation(a.perm);
        return stored(xs[0].id, xs[0].perm.map((l) => inverse[l]));
      }
      case 'reshape': {
        const [x] = xs;
        const from = S.transposeShape('reshape', b.shape(x.id), S.inversePermutation(x.perm));
        const perm = isIdentity(x.perm) ? undefined : reshapePerm(from, x.perm, a.shape);
        if (perm === undefined) return plain(b.reshape(logical(x), a.shape));
        return stored(b.reshape(x.id, permute(a.shape, perm)), perm);
      }
      case 'broadcastTo': {
        const [x] = xs;
        if (x.perm.length !== a.shape.length) return plain(b.add(a, [logical(x)], n.shape));
        const shape = permute(a.shape, x.perm);
        return stored(b.add({ op: 'broadcastTo', shape }, [x.id], shape), x.perm);
      }
      case 'slice': {
        const [x] = xs;
        const size = permute(a.size, x.perm);
        return stored(b.add({ op: 'slice', begin: permute(a.begin, x.perm), size }, [x.id], size), x.perm);
      }
      case 'pad': {
        const [x] = xs;
        const paddings = x.perm.map((l) => a.paddings[l]);
        return stored(b.add({ ...a, paddings }, [x.id], permute(n.shape, x.perm)), x.perm);
      }
      case 'concat': {
        const perm = xs.find((v) => !isIdentity(v.perm))?.perm ?? identity(n.shape.length);
        const axis = perm.indexOf(a.axis);
        const ids = xs.map((v) => as(v, perm));
        return stored(b.add({ op: 'concat', axis }, ids, permute(n.shape, perm)), perm);
      }
      case 'matmul':
        return plain(b.add(a, xs.map(logical), n.shape));
      case 'conv2d':
        return stored(b.add({ ...a, layout: 'nchw' }, [as(xs[0], NHWC_TO_NCHW), as(xs[1], HWIO_TO_OIHW)], permute(n.shape, NHWC_TO_NCHW)), NHWC_TO_NCHW);
      case 'conv2dBackpropInput': {
        const xShape = permute(a.xShape, NHWC_TO_NCHW);
        return stored(b.add({ ...a, xShape, layout: 'nchw' }, [as(xs[0], NHWC_TO_NCHW), as(xs[1], HWIO_TO_OIHW)], xShape), NHWC_TO_NCHW);
      }
      case 'conv2dBackpropFilter': {
        const wShape = permute(a.wShape, HWIO_TO_OIHW);
        return stored(b.add({ ...a, wShape, layout: 'nchw' }, [as(xs[0], NHWC_TO_NCHW), as(xs[1], NHWC_TO_NCHW)], wShape), HWIO_TO_OIHW);
      }
      case 'upsampleNearest':
      case 'avgPool':
        return stored(b.add({ ...a, layout: 'nchw' }, [as(xs[0], NHWC_TO_NCHW)], permute(n.shape, NHWC_TO_NCHW)), NHWC_TO_NCHW);
    }
  };

  for (const n of graph.nodes) {
    if ('layout' in n.attrs && n.attrs.layout !== undefined) throw new Error(`assignLayout: node ${n.id} (${n.attrs.op}) already has a layout`);
    values.set(n.id, rebuild(n));
  }
  return b.build(graph.outputs.map(({ name, id }) => ({ name, id: logical(value(id)) })));
}
