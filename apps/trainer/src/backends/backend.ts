/**
 * The TensorOps a command computes with: TensorFlow.js on WebAssembly (default) or its plain-JavaScript
 * cpu backend. For --backend onnx it is wasm, which sets up runs, writes checkpoints and draws previews
 * around ONNX Runtime (see onnx.ts).
 */
import type { TensorOps } from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import type { BackendName } from '../options/args.js';
import { RunError } from '../options/errors.js';

export type Ops = TensorOps<unknown>;

export async function openBackend(backend: BackendName): Promise<Ops> {
  const name = backend === 'onnx' ? 'wasm' : backend;
  let o: Ops;
  try {
    o = (await createTfjsOps({ backend: name })) as unknown as Ops;
  } catch (e) {
    throw new RunError(`could not start the ${name} backend: ${(e as Error).message}`);
  }
  if (name === 'cpu') {
    // tfjs-backend-cpu prints a multi-line "install tfjs-node" banner on its first tensor; take it
    // here, muted, so it does not land in the middle of progress lines or error messages.
    const warn = console.warn;
    console.warn = () => {};
    try {
      o.dispose([o.fromArray([0], [1])]);
    } finally {
      console.warn = warn;
    }
  }
  return o;
}
