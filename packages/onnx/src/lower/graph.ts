/** A traced graph as an ONNX model: typed inputs and outputs around the lowered nodes. */
import { IR_VERSION, OPSET, valueInfo, type DimSpec, type proto } from '../proto.js';
import type { BatchedGraph, Dim } from './batch.js';
import { LowerContext } from './context.js';
import { lowerings } from './rules/index.js';
import type { AnyLowering } from './rules/types.js';

export interface LowerOptions {
  /** Inputs the model takes as int64 (class labels); the others are float32. */
  readonly int64Inputs?: readonly string[];
  /** Stored as the model's metadata_props. */
  readonly metadata?: Record<string, string>;
  /** The graph's name inside the model. Default 'scm'. */
  readonly name?: string;
}

/** The batch dimension of an input or output is named; a multiple of it (a doubled batch) says so. */
const dimSpec = (d: Dim): DimSpec => (d.k === 0 ? d.value : d.k === 1 ? 'batch' : `batch*${d.k}`);

export function lowerGraph(batched: BatchedGraph, options: LowerOptions = {}): proto.ModelProto {
  const { graph } = batched;
  const int64Inputs = new Set(options.int64Inputs ?? []);
  const ctx = new LowerContext(batched, int64Inputs);
  const values = new Map<number, string>();
  for (const node of graph.nodes) {
    // The table's type pairs each op with its attributes; indexing by a runtime op loses that pairing.
    const lower = lowerings[node.attrs.op] as AnyLowering;
    values.set(node.id, lower(ctx, node, node.inputs.map((id) => values.get(id)!)));
  }
  const spec = (id: number) => batched.dims(id).map(dimSpec);
  const outputs = graph.outputs.map(({ name, id }) => {
    // Outputs get their own names; an Identity also lets one value be two outputs, or an input be one.
    ctx.nodes.push({ opType: 'Identity', name, input: [values.get(id)!], output: [name] });
    return valueInfo(name, 'float32', spec(id));
  });
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: '@scm/onnx',
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.name ?? 'scm',
      input: graph.inputs.map(({ name, id }) => valueInfo(name, int64Inputs.has(name) ? 'int64' : 'float32', spec(id))),
      output: outputs,
      initializer: ctx.initializers,
      node: ctx.nodes,
    },
  };
}
