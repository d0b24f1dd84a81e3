/** The page's side of ort-worker.ts: opens the sessions there and runs batches on them. */
import { DEADLINES_MS, withDeadline } from './deadline.js';
import type { GenerateRequest } from './generation.js';
import type { ModelFiles } from './model-files.js';
import type { SamplerSetup } from './ort-samplers.js';
import type { WorkerReply, WorkerRequest } from './ort-worker.js';

export interface WasmWorker {
  run(request: GenerateRequest): Promise<Float32Array>;
  /** Stops the worker and its threads; pending and later runs fail. */
  close(): void;
}

/** The worker's script did not load: the page can still run WASM on its own thread. */
export class WasmWorkerLoadError extends Error {
  override readonly name = 'WasmWorkerLoadError';
}

interface Pending {
  resolve(value: Float32Array | undefined): void;
  reject(error: Error): void;
}

/** Resolves once both sessions are open (or fails after DEADLINES_MS.setup). `files` are copied: the page may need them if the worker fails. */
export function openWasmWorker(base: string, files: ModelFiles, setup: SamplerSetup): Promise<WasmWorker> {
  const worker = new Worker(new URL('./ort-worker.ts', import.meta.url), { type: 'module', name: 'onnxruntime-wasm' });
  // Id 0 is the open request; runs count up from 1.
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed: Error | undefined;
  const failAll = (error: Error) => {
    closed ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
    const id = data.type === 'opened' ? 0 : (data.id ?? 0);
    const p = pending.get(id);
    pending.delete(id);
    if (data.type === 'failed') p?.reject(new Error(data.message));
    else p?.resolve(data.type === 'ran' ? data.images : undefined);
  };
  // A worker script that cannot load reports only this event, with no message. Under COEP the usual cause is a
  // host that set the headers on the page alone: browsers refuse a worker script without them (measured in Chromium).
  const loadHint = self.crossOriginIsolated ? ': missing, or served without the Cross-Origin-Embedder-Policy header of its page (set the headers on every file)' : ': missing?';
  worker.onerror = (event) =>
    failAll(event.message ? new Error(`the WASM worker failed: ${event.message}`) : new WasmWorkerLoadError(`the WASM worker's script did not load${loadHint}`));
  const send = (message: WorkerRequest, id: number) =>
    new Promise<Float32Array | undefined>((resolve, reject) => {
      if (closed) return reject(closed);
      pending.set(id, { resolve, reject });
      worker.postMessage(message);
    });

  const client: WasmWorker = {
    async run(request) {
      const id = nextId++;
      return (await send({ type: 'run', id, request }, id))!;
    },
    close() {
      worker.terminate();
      failAll(new Error('the WASM worker was stopped'));
    },
  };
  return withDeadline(send({ type: 'open', base, files, setup }, 0), DEADLINES_MS.setup, 'ONNX Runtime session creation on WASM').then(
    () => client,
    (error: unknown) => {
      client.close();
      throw error;
    },
  );
}
