/** Tracing a computation and exporting it as ONNX model bytes, at a fixed or a run-time batch size. */
import { optimizeGraph, TraceOps, type OptimizeOptions, type Sym } from '@scm/core';
import { FIXED_BATCH_KEY, METADATA_CHECKSUM_KEY, metadataChecksum } from '../metadata.js';
import { encodeModelProto } from '../proto.js';
import { dynamicBatch, staticBatch } from '../lower/batch.js';
import { lowerGraph, type LowerOptions } from '../lower/graph.js';

/** Builds the computation on the tracer for `batch` examples; returns its named outputs. */
export type TraceFn = (tr: TraceOps, batch: number) => Record<string, Sym>;

/** Options of {@link exportTrace}. */
export interface TraceExportOptions extends LowerOptions {
  /** A fixed batch size; omitted, the model takes any batch. */
  readonly batch?: number;
  /**
   * Graph passes before lowering (core's optimizeGraph); false lowers the trace as recorded. Default:
   * channels-first convolutions and fused normalisations, what ONNX Runtime's CPU kernels run fastest.
   */
  readonly optimize?: OptimizeOptions | false;
}

const DEFAULT_OPTIMIZE: OptimizeOptions = { layout: 'nchw' };

/** Two batch sizes above 1, so that no batch-dependent size can pass for a constant 1. */
const PROBE_BATCHES = [2, 3] as const;

/**
 * Traces `fn` with core's graph tracer and lowers the graph to ONNX model bytes (IR_VERSION, opset
 * OPSET). Without a fixed `batch`, `fn` is traced at two batch sizes and every size that depends on
 * the batch becomes a symbolic dimension.
 *
 * @returns The serialised ModelProto.
 * @throws {@link DynamicBatchError} when a size depends on the batch in a way ONNX dimensions cannot
 *   express (export with a fixed `batch` then).
 */
export function exportTrace(fn: TraceFn, options: TraceExportOptions = {}): Uint8Array {
  const { batch } = options;
  const trace = (at: number) => {
    const tr = new TraceOps();
    const graph = tr.graph(fn(tr, at));
    // Both traces of a dynamic batch go through the same passes, so dynamicBatch still pairs their
    // nodes; equal fills stay apart there (see BuilderOptions.shareFills).
    const passes = { ...(options.optimize || DEFAULT_OPTIMIZE), ...(batch === undefined ? { shareFills: false } : {}) };
    return options.optimize === false ? graph : optimizeGraph(graph, passes);
  };
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const [b1, b2] = PROBE_BATCHES;
  const batched = batch === undefined ? dynamicBatch(trace(b1), b1, trace(b2), b2) : staticBatch(trace(batch));
  // A fixed batch is recorded so that a runtime can tell a wrong batch from a wrong input.
  const entries = batch === undefined ? options.metadata : { ...options.metadata, [FIXED_BATCH_KEY]: String(batch) };
  const metadata = entries && Object.keys(entries).some((k) => k.startsWith('scm.')) ? { ...entries, [METADATA_CHECKSUM_KEY]: metadataChecksum(entries) } : entries;
  return encodeModelProto(lowerGraph(batched, { ...options, metadata }));
}
