/**
 * What a lowering rule writes into: ONNX nodes in topological order, initializers, unique names, and
 * shape tensors whose batch-dependent entries are computed from the batch at run time.
 */
import type { Shape } from '@scm/core';
import { attributeProto, DataType, tensorProto, type AttrValue, type proto } from '../proto.js';
import type { BatchedGraph, Dim } from './batch.js';

export class LowerContext {
  readonly nodes: proto.NodeProto[] = [];
  readonly initializers: proto.TensorProto[] = [];
  private readonly names = new Set<string>();
  private batch?: string;
  /** Shape tensors by their dims: a graph reshapes to the same few shapes many times. */
  private readonly shapes = new Map<string, string>();

  constructor(
    readonly batched: BatchedGraph,
    /** Graph inputs fed as int64 (class labels), which the float graph reads through a Cast. */
    readonly int64Inputs: ReadonlySet<string>,
  ) {
    for (const { name } of [...batched.graph.inputs, ...batched.graph.outputs]) {
      if (this.names.has(name)) throw new Error(`lowering: "${name}" names two graph inputs or outputs`);
      this.names.add(name);
    }
  }

  /** A name no graph input, initializer or node output has. */
  fresh(hint: string): string {
    let i = this.names.size;
    while (this.names.has(`${hint}_${i}`)) i++;
    const name = `${hint}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Appends one node and returns the name of its (single) output. */
  emit(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    const out = this.fresh(opType);
    this.nodes.push({
      opType,
      name: out,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
    return out;
  }

  floats(values: ArrayLike<number>, dims: readonly number[] = []): string {
    const name = this.fresh('const');
    this.initializers.push(tensorProto(name, 'float32', dims, values));
    return name;
  }

  int64s(values: readonly number[]): string {
    const name = this.fresh('ints');
    this.initializers.push(tensorProto(name, 'int64', [values.length], values));
    return name;
  }

  /** The traced (static) shape of a node: the sizes that never depend on the batch are exact. */
  shapeOf(id: number): Shape {
    return this.batched.dims(id).map((d) => d.value);
  }

  /** A node's output shape as a 1-D int64 tensor (for Reshape, Expand). */
  shapeTensor(dims: readonly Dim[]): string {
    const key = dims.map((d) => `${d.value}:${d.k}`).join(',');
    let name = this.shapes.get(key);
    if (name === undefined) {
      name = this.newShapeTensor(dims);
      this.shapes.set(key, name);
    }
    return name;
  }

  private newShapeTensor(dims: readonly Dim[]): string {
    if (dims.every((d) => d.k === 0)) return this.int64s(dims.map((d) => d.value));
    // batch * k where the size scales with the batch, the traced size elsewhere.
    const scaled = this.emit('Mul', [this.batchSize(), this.int64s(dims.map((d) => d.k))]);
    return this.emit('Add', [scaled, this.int64s(dims.map((d) => (d.k === 0 ? d.value : 0)))]);
  }

  /** c / batch as a float scalar. */
  dividedByBatch(c: number): string {
    const batch = this.emit('Reshape', [this.emit('Cast', [this.batchSize()], { to: DataType.FLOAT }), this.int64s([])]);
    return this.emit('Div', [this.floats([c]), batch]);
  }

  /** The batch as an int64 [1] tensor, read once from the shape of the batch-source input. */
  private batchSize(): string {
    if (this.batch === undefined) {
      const source = this.batched.batchSource;
      if (source === undefined) throw new Error('lowering: a size depends on the batch but the graph has no batch input');
      this.batch = this.emit('Shape', [source], { start: 0, end: 1 });
    }
    return this.batch;
  }
}
