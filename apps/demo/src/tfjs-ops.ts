/**
 * The page's one set of TensorFlow.js ops (tfjs has one engine per page): WebGPU through
 * @scm/webgpu, or tfjs's wasm backend where WebGPU is missing, with its binaries from our folder.
 */
import { createWebGpuOps, type WebGpuSetup } from '@scm/webgpu';
import { TFJS_WASM_DIR } from './public-files.js';

let setup: Promise<WebGpuSetup> | undefined;

export function tfjsOps(): Promise<WebGpuSetup> {
  setup ??= createWebGpuOps({ fallback: 'wasm', wasmPaths: new URL(TFJS_WASM_DIR, document.baseURI).href });
  return setup;
}

export const describeTfjsBackend = (backend: WebGpuSetup['backend']) => `TensorFlow.js on ${backend === 'webgpu' ? 'WebGPU' : backend.toUpperCase()}`;
