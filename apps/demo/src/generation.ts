/** What the three ways of sampling the model have in common, so the page treats them alike. */
import type { Steps } from './public-files.js';

export type BackendChoice = 'ort-webgpu' | 'ort-wasm' | 'tfjs-webgpu';

export interface GenerateRequest {
  readonly label: number;
  readonly steps: Steps;
  readonly guidance: number;
  readonly seed: number;
  readonly count: number;
}

export interface Generator {
  /** What actually runs, e.g. "ONNX Runtime Web on WebGPU". */
  readonly backend: string;
  /** Why it is not what was asked for, where it fell back. */
  readonly fallbackReason?: string;
  /** WASM threads, where it runs on WASM. */
  readonly threads?: number;
  /**
   * `count` images [count, height, width, channels] as pixels in [0, 1] (the pipeline's data units).
   * A seed gives the same images on every backend (the noise core's generate() draws).
   */
  generate(request: GenerateRequest): Promise<Float32Array>;
  /** Frees what it holds (a worker, sessions): after a failed batch, and when the page switches model. */
  close(): void | Promise<void>;
}

/** What a long step is doing, for the status line ("Fetching the model: 1.2 of 2.4 MB"). */
export type Progress = (message: string) => void;
