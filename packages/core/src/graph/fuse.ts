/**
 * Fusion: chains that nn composes from primitives, found in a graph and replaced by one node that a
 * lowering can emit as a single operator. Normalisation (mean, sub, square, mean, add eps, rsqrt, mul)
 * becomes `normalize` (ONNX InstanceNormalization), softmax (max, sub, exp, sum, div) becomes
 * `softmax`. Only where nothing else reads a chain's intermediates: in a differentiated graph the
 * backward pass reads them, and the chain stays.
 */
import type { BuilderOptions, GraphBuilder } from './builder.js';
import { rewrite } from './builder.js';
import type { Graph, GraphNode, NodeAttrs } from './ir.js';

/** What a matched chain becomes: a node of `attrs` reading the chain's input `x`. */
interface Match {
  readonly x: number;
  readonly attrs: NodeAttrs;
}

interface Context {
  node(id: number): GraphNode;
  /** True if n is no graph output and only the nodes `allowed` read it. */
  readOnlyBy(n: GraphNode, allowed: readonly GraphNode[]): boolean;
}

type Matcher = (out: GraphNode, g: Context) => Match | undefined;

const sameAxes = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** mul(x - mean(x), rsqrt(mean((x - mean(x))^2) + eps)), with both means over the same axes kept. */
const normalization: Matcher = (out, g) => {
  if (out.attrs.op !== 'mul') return undefined;
  const [p, q] = out.inputs.map(g.node);
  const [centered, r] = p.attrs.op === 'sub' ? [p, q] : [q, p];
  if (centered.attrs.op !== 'sub' || r.attrs.op !== 'rsqrt') return undefined;
  const [x, mu] = centered.inputs.map(g.node);
  const shifted = g.node(r.inputs[0]);
  if (mu.attrs.op !== 'mean' || !mu.attrs.keepDims || mu.inputs[0] !== x.id || shifted.attrs.op !== 'add') return undefined;
  const [s0, s1] = shifted.inputs.map(g.node);
  const [variance, eps] = s1.attrs.op === 'fill' ? [s0, s1] : [s1, s0];
  if (eps.attrs.op !== 'fill' || eps.shape.length !== 0 || variance.attrs.op !== 'mean' || !variance.attrs.keepDims) return undefined;
  if (!sameAxes(variance.attrs.axes, mu.attrs.axes)) return undefined;
  const square = g.node(variance.inputs[0]);
  if (square.attrs.op !== 'mul' || square.inputs[0] !== centered.id || square.inputs[1] !== centered.id) return undefined;
  const internal: [GraphNode, GraphNode[]][] = [
    [mu, [centered]],
    [centered, [square, out]],
    [square, [variance]],
    [variance, [shifted]],
    [shifted, [r]],
    [r, [out]],
  ];
  if (!internal.every(([n, readers]) => g.readOnlyBy(n, readers))) return undefined;
  return { x: x.id, attrs: { op: 'normalize', axes: [...mu.attrs.axes], eps: eps.attrs.value } };
};

/** div(e, sum(e, [axis])) with e = exp(x - max(x, [axis])), both reductions keeping the axis. */
const softmax: Matcher = (out, g) => {
  if (out.attrs.op !== 'div') return undefined;
  const [e, total] = out.inputs.map(g.node);
  if (e.attrs.op !== 'exp' || total.attrs.op !== 'sum' || !total.attrs.keepDims || total.attrs.axes.length !== 1 || total.inputs[0] !== e.id) return undefined;
  const shifted = g.node(e.inputs[0]);
  if (shifted.attrs.op !== 'sub') return undefined;
  const [x, max] = shifted.inputs.map(g.node);
  if (max.attrs.op !== 'max' || !max.attrs.keepDims || max.inputs[0] !== x.id || !sameAxes(max.attrs.axes, total.attrs.axes)) return undefined;
  const internal: [GraphNode, GraphNode[]][] = [
    [max, [shifted]],
    [shifted, [e]],
    [e, [total, out]],
    [total, [out]],
  ];
  if (!internal.every(([n, readers]) => g.readOnlyBy(n, readers))) return undefined;
  return { x: x.id, attrs: { op: 'softmax', axis: total.attrs.axes[0] } };
};

function fuse(graph: Graph, matchers: readonly Matcher[], options: BuilderOptions = {}): Graph {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const readers = new Map<number, Set<number>>();
  for (const n of graph.nodes) for (const id of n.inputs) readers.set(id, (readers.get(id) ?? new Set()).add(n.id));
  const outputs = new Set(graph.outputs.map((o) => o.id));
  const g: Context = {
    node: (id) => byId.get(id) as GraphNode,
    readOnlyBy: (n, allowed) => !outputs.has(n.id) && [...(readers.get(n.id) ?? [])].every((id) => allowed.some((a) => a.id === id)),
  };
  const fused = new Map<number, Match>();
  for (const n of graph.nodes) {
    const m = matchers.map((match) => match(n, g)).find((x) => x !== undefined);
    if (m) fused.set(n.id, m);
  }
  if (fused.size === 0) return graph;
  return rewrite(
    graph,
    (b: GraphBuilder, n, rebuilt) => {
      const m = fused.get(n.id);
      return m && b.add(m.attrs, [rebuilt(m.x)], n.shape);
    },
    options,
  );
}

/** Replaces normalisation chains (mean, sub, square, mean, add eps, rsqrt, mul) by `normalize` nodes where nothing else reads their intermediates. */
export const fuseNormalize = (graph: Graph, options?: BuilderOptions): Graph => fuse(graph, [normalization], options);
/** Replaces softmax chains (max, sub, exp, sum, div) by `softmax` nodes where nothing else reads their intermediates. */
export const fuseSoftmax = (graph: Graph, options?: BuilderOptions): Graph => fuse(graph, [softmax], options);
/** Every fusion above in one pass. */
export const fuseAll = (graph: Graph, options?: BuilderOptions): Graph => fuse(graph, [normalization, softmax], options);
