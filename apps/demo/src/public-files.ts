/**
 * The files the build step (scripts/models.ts) writes into public/ and the page fetches: named
 * once here, for both sides. Paths are relative to the page, so the built folder works from any
 * location, offline.
 */

export type Steps = 1 | 2;
export const STEPS: readonly Steps[] = [1, 2];

/** The model folders, one per model (config.json, weights, samplers) as loadPipeline reads it. */
export const MODELS_DIR = 'models/';
/** The models' names (their folders), in the order of the page's tabs: a JSON array of strings. */
export const MODELS_INDEX = `${MODELS_DIR}index.json`;
/** Where the build step puts the model named `name` (its config.json's name). */
export const modelDir = (name: string) => `${MODELS_DIR}${name}/`;
/** Model names double as folder names and URL parts. */
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export function isModelName(name: unknown): name is string {
  return typeof name === 'string' && MODEL_NAME.test(name);
}

/** The index's names; `where` (the file) is named in the error for anything else. */
export function parseModelIndex(text: string, where: string): string[] {
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where} is not JSON (${(e as Error).message}); the build step writes it: npm run models -w @scm/demo`);
  }
  if (!Array.isArray(names) || names.length === 0 || !names.every(isModelName) || new Set(names).size < names.length) {
    throw new Error(`${where} must list distinct model folder names, got ${JSON.stringify(names)}; the build step writes it: npm run models -w @scm/demo`);
  }
  return names;
}
/** ONNX Runtime Web's wasm runtime; the page points ort.env.wasm.wasmPaths here instead of a CDN. */
export const ORT_WASM_DIR = 'ort/';
/** The runtime of ONNX Runtime Web's default build (WebGPU through JSEP, and wasm): its JS glue and its binary. */
export const ORT_WASM_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];
/** tfjs-backend-wasm's binaries, for the tfjs path where WebGPU is missing. */
export const TFJS_WASM_DIR = 'tfjs-wasm/';
