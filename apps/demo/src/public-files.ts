/**
 * The files the build step (scripts/models.ts) writes into public/ and the page fetches: named
 * once here, for both sides. Paths are relative to the page, so the built folder works from any
 * location, offline.
 */

export type Steps = 1 | 2;
export const STEPS: readonly Steps[] = [1, 2];

/** The model folder of @scm/model-mnist (config.json, weights, samplers), as loadPipeline reads it. */
export const MODEL_DIR = 'models/mnist/';
/** ONNX Runtime Web's wasm runtime; the page points ort.env.wasm.wasmPaths here instead of a CDN. */
export const ORT_WASM_DIR = 'ort/';
/** The runtime of ONNX Runtime Web's default build (WebGPU through JSEP, and wasm): its JS glue and its binary. */
export const ORT_WASM_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];
/** tfjs-backend-wasm's binaries, for the tfjs path where WebGPU is missing. */
export const TFJS_WASM_DIR = 'tfjs-wasm/';
