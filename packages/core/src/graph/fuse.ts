/**
 * Fusion: nn's mean-and-variance normalisation (mean, sub, square, mean, add eps, rsqrt, mul) found in
 * a graph and replaced by one `normalize` node, which a lowering can emit as a single operator
 * (ONNX's InstanceNormalization or LayerNormalization). Only where nothing else reads the pattern's
 * intermediates: in a differentiated graph the backward pass reads them, and the chain stays.
 */
import { rewrite } from './builder.js';
import type { Graph, GraphNode } from './ir.js';

interface Normalization {
  readonly x: number;
  readonly axes: number[];
  readonly eps: number;
}

const sameAxes = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function matchNormalize(out: GraphNode, byId: Map<number, GraphNode>, readers: Map<number, Set<number>>, outputs: Set<number>): Normalization | undefined {
  if (out.attrs.op !== 'mul') return undefined;
  const [p, q] = out.inputs.map((id) => byId.get(id) as GraphNode);
  const [centered, r] = p.attrs.op === 'sub' ? [p, q] : [q, p];
  if (centered.attrs.op !== 'sub' || r.attrs.op !== 'rsqrt') return undefined;
  const [x, mu] = centered.inputs.map((id) => byId.get(id) as GraphNode);
  const shifted = byId.get(r.inputs[0]) as GraphNode;
  if (mu.attrs.op !== 'mean' || !mu.attrs.keepDims || mu.inputs[0] !== x.id || shifted.attrs.op !== 'add') return undefined;
  const [s0, s1] = shifted.inputs.map((id) => byId.get(id) as GraphNode);
  const [variance, eps] = s1.attrs.op === 'fill' ? [s0, s1] : [s1, s0];
  if (eps.attrs.op !== 'fill' || eps.shape.length !== 0 || variance.attrs.op !== 'mean' || !variance.attrs.keepDims) return undefined;
  if (!sameAxes(variance.attrs.axes, mu.attrs.axes)) return undefined;
  const square = byId.get(variance.inputs[0]) as GraphNode;
  if (square.attrs.op !== 'mul' || square.inputs[0] !== centered.id || square.inputs[1] !== centered.id) return undefined;
  const readBy = (n: GraphNode, allowed: GraphNode[]) =>
    !outputs.has(n.id) && [...(readers.get(n.id) ?? [])].every((id) => allowed.some((a) => a.id === id));
  const internal: [GraphNode, GraphNode[]][] = [
    [mu, [centered]],
    [centered, [square, out]],
    [square, [variance]],
    [variance, [shifted]],
    [shifted, [r]],
    [r, [out]],
  ];
  if (!internal.every(([n, allowed]) => readBy(n, allowed))) return undefined;
  return { x: x.id, axes: [...mu.attrs.axes], eps: eps.attrs.value };
}

export function fuseNormalize(graph: Graph): Graph {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const readers = new Map<number, Set<number>>();
  for (const n of graph.nodes) for (const id of n.inputs) readers.set(id, (readers.get(id) ?? new Set()).add(n.id));
  const outputs = new Set(graph.outputs.map((o) => o.id));
  const fused = new Map<number, Normalization>();
  for (const n of graph.nodes) {
    const m = matchNormalize(n, byId, readers, outputs);
    if (m) fused.set(n.id, m);
  }
  if (fused.size === 0) return graph;
  return rewrite(graph, (b, n, rebuilt) => {
    const m = fused.get(n.id);
    return m && b.add({ op: 'normalize', axes: m.axes, eps: m.eps }, [rebuilt(m.x)], n.shape);
  });
}
