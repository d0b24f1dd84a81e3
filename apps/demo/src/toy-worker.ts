/**
 * The live 2D training on ONNX Runtime Web's WASM, in a worker of its own: each step is one compiled
 * graph (@scm/onnx's engine), on as many threads as the page may have, while the page stays free to
 * draw. Reports go to the page as they come; 'stop' ends the run after the current step.
 */
import * as ort from 'onnxruntime-web';
import { createOnnxEngine } from '@scm/onnx';
import { trainToy, type ToyOptions, type ToyProgress } from './toy-training.js';

export type ToyWorkerRequest =
  | { readonly type: 'start'; readonly options: ToyOptions; readonly wasmPaths: string; readonly threads: number }
  | { readonly type: 'stop' };

export type ToyWorkerReply =
  | { readonly type: 'started' }
  | { readonly type: 'progress'; readonly progress: ToyProgress }
  | { readonly type: 'ended' }
  | { readonly type: 'failed'; readonly message: string };

const reply = (message: ToyWorkerReply, transfer: Transferable[] = []) => self.postMessage(message, { transfer });
let stopped = false;

self.onmessage = async ({ data }: MessageEvent<ToyWorkerRequest>) => {
  if (data.type === 'stop') {
    stopped = true;
    return;
  }
  reply({ type: 'started' });
  try {
    ort.env.wasm.wasmPaths = data.wasmPaths;
    ort.env.wasm.numThreads = data.threads;
    const engine = await createOnnxEngine({ ort, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 } });
    await trainToy(engine, data.options, (progress) => reply({ type: 'progress', progress }, [progress.samples.buffer]), () => stopped);
    reply({ type: 'ended' });
  } catch (error) {
    reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
};
