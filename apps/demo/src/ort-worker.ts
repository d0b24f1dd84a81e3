/**
 * ONNX Runtime Web on WASM in a worker of its own. Two reasons: the page stays responsive while a
 * batch runs, and this ONNX Runtime instance can have many threads while the page's own instance
 * (WebGPU) keeps one: with threads, ONNX Runtime's WebGPU provider on the page's thread blocks it
 * (measured on SwiftShader, isolated, 4 threads: the page did not answer for 20-30 s at a time, and
 * a first batch took twice as long as on one thread).
 */
import type { GenerateRequest } from './generation.js';
import type { ModelFiles } from './model-files.js';
import { openSamplers, type SamplerSetup, type Samplers } from './ort-samplers.js';

export type WorkerRequest =
  | { readonly type: 'open'; readonly base: string; readonly files: ModelFiles; readonly setup: SamplerSetup }
  | { readonly type: 'run'; readonly id: number; readonly request: GenerateRequest };

export type WorkerReply =
  | { readonly type: 'opened' }
  | { readonly type: 'ran'; readonly id: number; readonly images: Float32Array }
  | { readonly type: 'failed'; readonly id?: number; readonly message: string };

const reply = (message: WorkerReply, transfer: Transferable[] = []) => self.postMessage(message, { transfer });
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

// Never closed here: the page frees them by terminating the worker.
let samplers: Samplers | undefined;

self.onmessage = async ({ data }: MessageEvent<WorkerRequest>) => {
  if (data.type === 'open') {
    try {
      samplers = await openSamplers(data.base, data.files, data.setup);
      reply({ type: 'opened' });
    } catch (error) {
      reply({ type: 'failed', message: messageOf(error) });
    }
    return;
  }
  try {
    if (!samplers) throw new Error('the WASM worker ran before its sessions were open');
    const images = await samplers.run(data.request);
    reply({ type: 'ran', id: data.id, images }, [images.buffer]);
  } catch (error) {
    reply({ type: 'failed', id: data.id, message: messageOf(error) });
  }
};
