/**
 * Builds a rewritten graph node by node, for the optimisation passes. Every node is simplified as it
 * is added (transposes and reshapes merged or dropped, layout ops on constants folded into new
 * constants), equal nodes are shared (common subexpressions), and `build` keeps only what the outputs
 * need. Simplifying on the way in means a pass can emit naive transposes and let them cancel here.
 */
import type { Shape } from '../tensor/ops.js';
import * as S from '../tensor/shape.js';
import type { Graph, GraphNode, NodeAttrs } from './ir.js';
import { compose, isIdentity, permute } from './perms.js';

/** Row-major data of transpose(x, perm) for x's data of `shape`. */
function permuteData(data: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outShape = permute(shape, perm);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outStrides = perm.map((a) => strides[a]);
  const index = outShape.map(() => 0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let i = 0; i < index.length; i++) src += index[i] * outStrides[i];
    out[k] = data[src];
    for (let i = index.length - 1; i >= 0; i--) {
      if (++index[i] < outShape[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

/** A transpose that moves only size-1 axes keeps the row-major order: it is a reshape. */
const movesOnlyUnitAxes = (shape: Shape, perm: readonly number[]) => {
  const kept = perm.filter((a) => shape[a] !== 1);
  return kept.every((a, i) => i === 0 || kept[i - 1] < a);
};

/** Options of {@link GraphBuilder} and of the passes built on it. */
export interface BuilderOptions {
  /**
   * Share equal fills (default true). A graph traced at two batch sizes to find what follows the
   * batch (see @scm/onnx's dynamicBatch) must say false: at one traced batch a fill of c / batch can
   * equal a fixed fill that it differs from at the other, and the two traces would then differ.
   */
  readonly shareFills?: boolean;
}

/** FNV-1a over a constant's bytes: equal data, equal hash (a hit is then compared in full). */
function hashData(data: Float32Array): number {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

const sameData = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Builds a rewritten graph node by node, for the optimisation passes: each node is simplified as it
 * is added (transposes and reshapes merged or dropped, layout ops on constants folded), equal nodes
 * are shared, and {@link GraphBuilder.build} keeps only what the outputs need. Node ids are numbers
 * local to this builder.
 */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly byId = new Map<number, GraphNode>();
  private readonly inputs: { name: string; id: number }[] = [];
  private readonly shared = new Map<string, number>();
  private readonly constants = new Map<string, number[]>();

  constructor(private readonly options: BuilderOptions = {}) {}

  /**
   * The node with id `id`.
   *
   * @throws Error when the builder has no such node.
   */
  node(id: number): GraphNode {
    const n = this.byId.get(id);
    if (n === undefined) throw new Error(`graph builder: no node ${id}`);
    return n;
  }

  /** The output shape of node `id`. */
  shape(id: number): Shape {
    return this.node(id).shape;
  }

  /** Declares a graph input; inputs are kept by `build` even when no output reads them. */
  input(name: string, shape: Shape): number {
    const id = this.push({ op: 'input', name }, [], shape);
    this.inputs.push({ name, id });
    return id;
  }

  /** A node computing `attrs` of `inputs` with output `shape`, or an existing node that computes the same. */
  add(attrs: NodeAttrs, inputs: readonly number[], shape: Shape): number {
    switch (attrs.op) {
      case 'transpose':
        return this.transpose(inputs[0], attrs.perm);
      case 'reshape':
        return this.reshape(inputs[0], shape);
      case 'broadcastTo': {
        if (S.sameShape(this.shape(inputs[0]), shape)) return inputs[0];
        const x = this.node(inputs[0]);
        if (x.attrs.op === 'fill') return this.add(x.attrs, [], shape);
        break;
      }
    }
    return this.shareOrPush(attrs, inputs, shape);
  }

  /** transpose(x, perm), merged with a transpose below it, folded into a constant, or dropped when it is the identity. */
  transpose(x: number, perm: readonly number[]): number {
    if (isIdentity(perm)) return x;
    const n = this.node(x);
    const shape = permute(n.shape, perm);
    const a = n.attrs;
    if (a.op === 'transpose') return this.transpose(n.inputs[0], compose(a.perm, perm));
    if (a.op === 'constant') return this.shareConstant(permuteData(a.data, n.shape, perm), shape);
    if (a.op === 'fill') return this.shareOrPush(a, [], shape);
    if (movesOnlyUnitAxes(n.shape, perm)) return this.reshape(x, shape);
    if (a.op === 'broadcastTo') {
      // Transposing what is broadcast, which is smaller, then broadcasting gives the same tensor.
      return this.add({ op: 'broadcastTo', shape }, [this.transpose(this.toRank(n.inputs[0], n.shape.length), perm)], shape);
    }
    return this.shareOrPush({ op: 'transpose', perm: [...perm] }, [x], shape);
  }

  /** reshape(x, shape), merged with a reshape below it, folded into a constant, or dropped when the shape is x's. */
  reshape(x: number, shape: Shape): number {
    const n = this.node(x);
    if (S.sameShape(n.shape, shape)) return x;
    const a = n.attrs;
    if (a.op === 'reshape') return this.reshape(n.inputs[0], shape);
    if (a.op === 'constant') return this.shareConstant(a.data, shape);
    if (a.op === 'fill') return this.shareOrPush(a, [], shape);
    return this.shareOrPush({ op: 'reshape', shape: [...shape] }, [x], shape);
  }

  /** x with size-1 axes put in front up to `rank`: how a lower-rank operand broadcasts. */
  toRank(x: number, rank: number): number {
    const shape = this.shape(x);
    return this.reshape(x, [...Array<number>(rank - shape.length).fill(1), ...shape]);
  }

  /** The graph with these outputs, without the nodes they do not need (inputs stay: they are the interface). */
  build(outputs: readonly { name: string; id: number }[]): Graph {
    const live = new Set<number>(this.inputs.map((i) => i.id));
    const stack = outputs.map((o) => o.id);
    while (stack.length > 0) {
      const id = stack.pop() as number;
      if (live.has(id)) continue;
      live.add(id);
      stack.push(...this.node(id).inputs);
    }
    return { nodes: this.nodes.filter((n) => live.has(n.id)), inputs: [...this.inputs], outputs: outputs.map((o) => ({ ...o })) };
  }

  private shareOrPush(attrs: NodeAttrs, inputs: readonly number[], shape: Shape): number {
    if (attrs.op === 'input' || (attrs.op === 'fill' && this.options.shareFills === false)) return this.push(attrs, inputs, shape);
    if (attrs.op === 'constant') return this.shareConstant(attrs.data, shape);
    const key = `${JSON.stringify(attrs)}|${inputs.join(',')}|${shape.join(',')}`;
    const known = this.shared.get(key);
    if (known !== undefined) return known;
    const id = this.push(attrs, inputs, shape);
    this.shared.set(key, id);
    return id;
  }

  /** Equal constants are one node, so that what is computed from them can be shared too. */
  private shareConstant(data: Float32Array, shape: Shape): number {
    const key = `${hashData(data)}|${shape.join(',')}`;
    const candidates = this.constants.get(key) ?? [];
    for (const id of candidates) {
      const n = this.node(id);
      if (n.attrs.op === 'constant' && sameData(n.attrs.data, data)) return id;
    }
    const id = this.push({ op: 'constant', data }, [], shape);
    this.constants.set(key, [...candidates, id]);
    return id;
  }

  private push(attrs: NodeAttrs, inputs: readonly number[], shape: Shape): number {
    const node: GraphNode = { id: this.nodes.length, attrs, inputs: [...inputs], shape: [...shape] };
    this.nodes.push(node);
    this.byId.set(node.id, node);
    return node.id;
  }
}

/**
 * The graph rebuilt through a GraphBuilder, so simplified, shared and pruned; `rule` may replace a
 * node by returning the id of what computes it instead; `rebuilt` maps an earlier node's id to its new one.
 */
export function rewrite(
  graph: Graph,
  rule: (b: GraphBuilder, node: GraphNode, rebuilt: (id: number) => number) => number | undefined = () => undefined,
  options: BuilderOptions = {},
): Graph {
  const b = new GraphBuilder(options);
  const ids = new Map<number, number>();
  const rebuilt = (id: number) => ids.get(id) as number;
  for (const n of graph.nodes) {
    const id = n.attrs.op === 'input' ? b.input(n.attrs.name, n.shape) : (rule(b, n, rebuilt) ?? b.add(n.attrs, n.inputs.map(rebuilt), n.shape));
    ids.set(n.id, id);
  }
  return b.build(graph.outputs.map(({ name, id }) => ({ name, id: ids.get(id) as number })));
}
