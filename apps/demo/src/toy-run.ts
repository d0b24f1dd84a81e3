/**
 * Starting the live 2D training on the fastest engine the page has: ONNX Runtime Web's compiled
 * training step on WASM in a worker (toy-worker.ts), else, where that worker cannot load,
 * TensorFlow.js on the page's thread (WebGPU, or its WASM backend).
 */
import { eagerEngine } from '@scm/core';
import { ORT_WASM_DIR } from './public-files.js';
import { trainToy, type ToyOptions, type ToyProgress } from './toy-training.js';
import type { ToyWorkerReply, ToyWorkerRequest } from './toy-worker.js';
import { plural, wasmThreads } from './wasm-threads.js';

export interface ToyRun {
  /** What trains, e.g. "ONNX Runtime Web on WASM (4 threads)". */
  readonly backend: string;
  /** Why it is not ONNX Runtime, where it fell back. */
  readonly fallbackReason?: string;
  /** Resolves once training has ended (both phases done, stopped, or failed). */
  readonly ended: Promise<void>;
  /** Asks the run to stop after its current step; resolves when it has. */
  stop(): Promise<void>;
}

/** The worker's script did not load (no message, only an error event): the page trains on its own thread instead. */
class ToyWorkerLoadError extends Error {}

function startInWorker(options: ToyOptions, onProgress: (p: ToyProgress) => void): Promise<ToyRun> {
  const { threads } = wasmThreads();
  const worker = new Worker(new URL('./toy-worker.ts', import.meta.url), { type: 'module', name: 'scm-toy-training' });
  const send = (message: ToyWorkerRequest) => worker.postMessage(message);
  return new Promise((resolveStart, rejectStart) => {
    let started = false;
    let finish: (error?: Error) => void = () => {};
    const ended = new Promise<void>((resolve, reject) => {
      finish = (error) => {
        worker.terminate();
        if (error) reject(error);
        else resolve();
      };
    });
    const run: ToyRun = {
      backend: `ONNX Runtime Web on WASM (${plural(threads, 'thread')})`,
      ended,
      stop: () => {
        send({ type: 'stop' });
        return ended.catch(() => undefined);
      },
    };
    worker.onmessage = ({ data }: MessageEvent<ToyWorkerReply>) => {
      if (data.type === 'started') {
        started = true;
        resolveStart(run);
      }
      if (data.type === 'progress') onProgress(data.progress);
      if (data.type === 'failed') finish(new Error(`live training on ONNX Runtime Web failed: ${data.message}`));
      if (data.type === 'ended') finish();
    };
    // A worker script that cannot load reports only this event, with no message, before it answers 'started'.
    worker.onerror = (event) => {
      if (!started) {
        worker.terminate();
        rejectStart(new ToyWorkerLoadError(event.message ? `the training worker failed: ${event.message}` : "the training worker's script did not load"));
      } else {
        finish(new Error(`the training worker failed: ${event.message || 'no message'}`));
      }
    };
    send({ type: 'start', options, wasmPaths: new URL(ORT_WASM_DIR, document.baseURI).href, threads });
  });
}

async function startOnPage(options: ToyOptions, onProgress: (p: ToyProgress) => void, fallbackReason: string): Promise<ToyRun> {
  const { describeTfjsBackend, tfjsOps } = await import('./tfjs-ops.js');
  const { ops, backend } = await tfjsOps();
  let stopped = false;
  const ended = trainToy(eagerEngine(ops), options, onProgress, () => stopped);
  const stop = () => {
    stopped = true;
    return ended.catch(() => undefined);
  };
  return { backend: describeTfjsBackend(backend), fallbackReason, ended, stop };
}

export async function startToy(options: ToyOptions, onProgress: (p: ToyProgress) => void): Promise<ToyRun> {
  try {
    return await startInWorker(options, onProgress);
  } catch (error) {
    if (!(error instanceof ToyWorkerLoadError)) throw error;
    return startOnPage(options, onProgress, error.message);
  }
}
