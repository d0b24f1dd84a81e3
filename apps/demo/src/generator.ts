/**
 * The page's generators: each one is core's loadPipeline on an engine (ONNX Runtime Web on WebGPU or
 * WASM, TensorFlow.js on WebGPU); each runtime's code is loaded only when its backend is first asked for.
 */
import type { BackendChoice, Generator, Progress } from './generation.js';
import type { DemoModel } from './model-files.js';

export async function createGenerator(choice: BackendChoice, model: DemoModel, progress: Progress = () => {}): Promise<Generator> {
  if (choice === 'tfjs-webgpu') return (await import('./generate-tfjs.js')).createTfjsGenerator(model, progress);
  return (await import('./generate-ort.js')).createOrtGenerator(model, choice === 'ort-webgpu' ? 'webgpu' : 'wasm', progress);
}
