/**
 * Which sizes of a traced graph depend on the batch. A trace records concrete shapes, so the same
 * function is traced at two batch sizes: a size that differs between them is batch * k, and is
 * computed at run time from the batch of the first input instead of being baked in.
 */
import type { Graph, GraphNode } from '@scm/core';

/** A size as traced, and its multiple of the batch (0: it does not depend on the batch). */
export interface Dim {
  readonly value: number;
  readonly k: number;
}

export interface BatchedGraph {
  /** The graph as traced at one batch size. */
  readonly graph: Graph;
  /** The name of a graph input whose first dimension is the batch; absent for a static batch. */
  readonly batchSource?: string;
  /** The output shape of a node. */
  dims(id: number): Dim[];
  /** The begin offsets of a slice node (guided sampling slices the doubled batch at the batch). */
  sliceBegin(id: number): Dim[];
  /** The value of a fill node. */
  fillValue(id: number): FillValue;
}

/**
 * A fill value as traced, and c where it is c / batch instead (the gradient of a mean over the
 * batch scales by one over the batch); 0 for a fixed value.
 */
export interface FillValue {
  readonly value: number;
  readonly overBatch: number;
}

/** A size that does not depend on the batch. */
export const fixed = (value: number): Dim => ({ value, k: 0 });

const staticDims = (values: readonly number[]): Dim[] => values.map(fixed);

function sliceBegins(node: GraphNode): readonly number[] {
  return node.attrs.op === 'slice' ? node.attrs.begin : [];
}

const tracedFill = (node: GraphNode): FillValue => ({ value: node.attrs.op === 'fill' ? node.attrs.value : 0, overBatch: 0 });

/** Every size fixed as traced. */
export function staticBatch(graph: Graph): BatchedGraph {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  return {
    graph,
    dims: (id) => staticDims(byId.get(id)!.shape),
    sliceBegin: (id) => staticDims(sliceBegins(byId.get(id)!)),
    fillValue: (id) => tracedFill(byId.get(id)!),
  };
}

/** Thrown by exports without a fixed batch when the traced graph's sizes depend on the batch in a way ONNX's symbolic dimensions cannot express. */
export class DynamicBatchError extends Error {
  constructor(detail: string) {
    super(`dynamic batch: ${detail}; export with a fixed \`batch\` instead`);
    this.name = 'DynamicBatchError';
  }
}

/** Attributes that only restate the node's output shape, whose batch dependence `dims` records. */
const SHAPE_ATTRS = new Set(['shape', 'size', 'xShape', 'wShape', 'begin']);

/** How the values of a node's attributes depend on the batch, beyond its sizes. */
function compareValues(n1: GraphNode, b1: number, n2: GraphNode, b2: number, what: string): FillValue {
  const [a, b] = [n1.attrs, n2.attrs];
  if (a.op === 'constant' && b.op === 'constant') {
    const same = a.data.length === b.data.length && a.data.every((v, i) => Object.is(v, b.data[i]));
    if (!same) throw new DynamicBatchError(`a constant of shape [${n1.shape.join(', ')}] depends on the batch`);
  } else if (a.op === 'fill' && b.op === 'fill' && !Object.is(a.value, b.value)) {
    const c = a.value * b1;
    if (Math.abs(b.value * b2 - c) > 1e-12 * Math.abs(c)) {
      throw new DynamicBatchError(`${what} fills ${a.value} at batch ${b1} but ${b.value} at batch ${b2}, not a constant over the batch`);
    }
    return { value: a.value, overBatch: c };
  } else {
    const rest = (n: GraphNode) => JSON.stringify(Object.entries(n.attrs).filter(([key]) => !SHAPE_ATTRS.has(key)));
    if (rest(n1) !== rest(n2)) throw new DynamicBatchError(`${what} differs between batch ${b1} and batch ${b2} beyond its sizes`);
  }
  return tracedFill(n1);
}

/**
 * Sizes that scale with the batch. Two traces cannot tell batch * k from other functions of the
 * batch in general; requiring v1 * b2 == v2 * b1 with an integer k rejects the usual impostors
 * (batch + c, batch^2) rather than exporting a graph that is wrong at other batch sizes.
 */
function batchMultiples(what: string, v1: readonly number[], v2: readonly number[], b1: number, b2: number): Dim[] {
  if (v1.length !== v2.length) throw new DynamicBatchError(`${what} has rank ${v1.length} at batch ${b1} but ${v2.length} at batch ${b2}`);
  return v1.map((value, i) => {
    if (value === v2[i]) return { value, k: 0 };
    const k = value / b1;
    if (!Number.isInteger(k) || v2[i] !== k * b2) {
      throw new DynamicBatchError(`${what} has size ${value} at batch ${b1} but ${v2[i]} at batch ${b2}, not a multiple of the batch`);
    }
    return { value, k };
  });
}

/** Compares the traces of one function at batch sizes b1 and b2 (b1 < b2, both > 1). */
export function dynamicBatch(g1: Graph, b1: number, g2: Graph, b2: number): BatchedGraph {
  const describe = (n: GraphNode) => `node ${n.id} (${n.attrs.op})`;
  if (g1.nodes.length !== g2.nodes.length) {
    throw new DynamicBatchError(`the traced computation has ${g1.nodes.length} operations at batch ${b1} but ${g2.nodes.length} at batch ${b2}`);
  }
  const dims = new Map<number, Dim[]>();
  const begins = new Map<number, Dim[]>();
  const fills = new Map<number, FillValue>();
  g1.nodes.forEach((n1, i) => {
    const n2 = g2.nodes[i];
    const sameInputs = n1.id === n2.id && n1.attrs.op === n2.attrs.op && n1.inputs.length === n2.inputs.length && n1.inputs.every((id, j) => id === n2.inputs[j]);
    if (!sameInputs) throw new DynamicBatchError(`${describe(n1)} is computed differently at batch ${b1} and at batch ${b2}`);
    fills.set(n1.id, compareValues(n1, b1, n2, b2, describe(n1)));
    dims.set(n1.id, batchMultiples(describe(n1), n1.shape, n2.shape, b1, b2));
    begins.set(n1.id, batchMultiples(`the slice begin of ${describe(n1)}`, sliceBegins(n1), sliceBegins(n2), b1, b2));
  });
  const batchInput = (id: number) => {
    const d = dims.get(id)!;
    return d.length > 0 && d[0].k === 1 && d.slice(1).every((x) => x.k === 0);
  };
  for (const input of g1.inputs) {
    const d = dims.get(input.id)!;
    if (d.some((x) => x.k !== 0) && !batchInput(input.id)) {
      throw new DynamicBatchError(`input "${input.name}" depends on the batch other than through its first dimension`);
    }
  }
  const source = g1.inputs.find((input) => batchInput(input.id));
  if (!source && ([...dims.values()].some((d) => d.some((x) => x.k !== 0)) || [...fills.values()].some((f) => f.overBatch !== 0))) {
    throw new DynamicBatchError('sizes depend on the batch but no input has the batch as its first dimension');
  }
  return {
    graph: g1,
    ...(source ? { batchSource: source.name } : {}),
    dims: (id) => dims.get(id)!,
    sliceBegin: (id) => begins.get(id)!,
    fillValue: (id) => fills.get(id)!,
  };
}
