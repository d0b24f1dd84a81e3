/**
 * The files the build step (scripts/models.ts) writes into public/ and the page fetches: named
 * once here, for both sides. Paths are relative to the page, so the built folder works from any
 * location, offline.
 */
import type { DataTransform } from '@scm/onnx';
import type { UnetConfig } from '@scm/core';

export type Steps = 1 | 2;
export const STEPS: readonly Steps[] = [1, 2];

export const MODEL_NAME = 'mnist-scd';
export const MANIFEST_PATH = `models/${MODEL_NAME}.json`;
/** ONNX Runtime Web's wasm runtime; the page points ort.env.wasm.wasmPaths here instead of a CDN. */
export const ORT_WASM_DIR = 'ort/';
/** The runtime of ONNX Runtime Web's default build (WebGPU through JSEP, and wasm): its JS glue and its binary. */
export const ORT_WASM_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];
/** tfjs-backend-wasm's binaries, for the tfjs path where WebGPU is missing. */
export const TFJS_WASM_DIR = 'tfjs-wasm/';

/** What the page needs to know about the model; paths are relative to the manifest. */
export interface DemoManifest {
  readonly model: UnetConfig;
  readonly sigmaD: number;
  /** The guidance range the student was distilled for: [1, guidanceMax]. */
  readonly guidanceMax: number;
  /** Model units to data (pixels in [-1, 1]): x / scale + mean. The ONNX samplers apply it in the graph. */
  readonly dataTransform: DataTransform;
  /** Label i's name, for the class picker. */
  readonly classNames: readonly string[];
  readonly files: {
    readonly sampler: Readonly<Record<Steps, string>>;
    /** The EMA weights as safetensors, for the tfjs path. */
    readonly weights: string;
  };
  readonly source: {
    readonly run: string;
    readonly step: number;
    /** Random weights standing in until a trained run exists: the page says so. */
    readonly standIn: boolean;
  };
}

export const samplerFile = (steps: Steps) => `${MODEL_NAME}-${steps}step.onnx`;
export const WEIGHTS_FILE = `${MODEL_NAME}-ema.safetensors`;
