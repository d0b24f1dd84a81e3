/** What bench/memory/run.ts measures per case and batch, as bench/results/memory.json holds it. */
import type { ModelConfig } from '@scm/core';

export type Backend = 'wasm' | 'cpu' | 'onnx';
export type Mode = 'teacher' | 'sct' | 'scd';

export interface MemoryRow {
  readonly case: string;
  readonly backend: Backend;
  readonly mode: Mode;
  readonly batch: number;
  /** The run's model (its config.json's), for the estimate to be recomputed; null where it did not start. */
  readonly model: ModelConfig | null;
  /** Bytes: the wasm heap on wasm, the peak resident memory elsewhere; null where the run failed. */
  readonly measured: number | null;
  readonly peakRss: number | null;
  readonly wasmHeap: number | null;
  readonly seconds: number;
  /** The failure, where the run did not train its first step. */
  readonly error?: string;
}
