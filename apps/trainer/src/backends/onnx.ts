/**
 * --backend onnx: ONNX Runtime (onnxruntime-node) through @scm/onnx, whose engine trains and samples
 * (see engines.ts). @scm/onnx and onnxruntime-node are imported on first use, so the other backends
 * never load them.
 */
import { availableParallelism } from 'node:os';
import type { Engine, TensorOps } from '@scm/core';
import type { OrtModule } from '@scm/onnx';
import { RunError } from '../options/errors.js';

type OnnxModule = typeof import('@scm/onnx');

let onnxModule: Promise<OnnxModule> | undefined;
let ortModule: Promise<OrtModule> | undefined;

/** @scm/onnx (exporters, trainer, sampler), loaded once. */
export function loadOnnx(): Promise<OnnxModule> {
  onnxModule ??= import('@scm/onnx');
  return onnxModule;
}

/** onnxruntime-node, loaded once; a failure to load it is a one-line error that says what to do. */
export function loadOrt(): Promise<OrtModule> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => m as unknown as OrtModule,
    (e: unknown) => {
      ortModule = undefined;
      throw new RunError(`--backend onnx needs onnxruntime-node, which could not be loaded (${(e as Error).message?.split('\n')[0] ?? String(e)})`);
    },
  );
  return ortModule;
}

/** Sessions use every core for one operator at a time (the graphs are chains of small operators). */
export const sessionOptions = () => ({ intraOpNumThreads: availableParallelism(), logSeverityLevel: 3 as const });

/** @scm/onnx's engine on onnxruntime-node; `ops` (the run's TensorOps) sets runs up. */
export async function onnxEngine(ops?: TensorOps<unknown>): Promise<Engine> {
  const [{ createOnnxEngine }, ort] = await Promise.all([loadOnnx(), loadOrt()]);
  return createOnnxEngine({ ort, sessionOptions: sessionOptions(), ...(ops ? { ops } : {}) });
}
