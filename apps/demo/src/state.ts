/**
 * What the page has done, on window.scmDemo: the status lines show it to people, this shows it to
 * the end-to-end test (and to anyone in the console) without scraping text.
 */
import type { BackendChoice, GenerateRequest } from './generation.js';
import type { ImageShape } from './model-view.js';
import type { WebGpuProbe } from './webgpu-probe.js';

export interface GenerationRecord {
  /** The model's name (its config.json's). */
  readonly model: string;
  readonly shape: ImageShape;
  readonly choice: BackendChoice;
  /** What actually ran. */
  readonly backend: string;
  readonly fallbackReason?: string;
  readonly threads?: number;
  readonly request: GenerateRequest;
  readonly ms: number;
  /** [count, ...shape], pixels in [0, 1]. */
  readonly images: Float32Array;
}

export interface ToyRecord {
  readonly backend: string;
  readonly phase: string;
  readonly step: number;
  readonly stepsPerSec: number;
  /** Points drawn in the latest plot. */
  readonly points: number;
  /** On the checkerboard: the fraction of the latest plot's samples on its squares. */
  readonly inSupport?: number;
  /** Milliseconds from the click to the latest plot. */
  readonly ms: number;
  /** Why it is not what the page prefers, where it fell back. */
  readonly fallbackReason?: string;
}

export interface DemoState {
  /** Set once the page has wired itself up (or failed to, see errors). */
  ready: boolean;
  /** Grids generated so far, live mode included. */
  generated: number;
  /** The latest grid of each backend, of whichever model it drew. */
  readonly latest: Partial<Record<BackendChoice, GenerationRecord>>;
  toy?: ToyRecord;
  readonly errors: string[];
  /** self.crossOriginIsolated: whether WASM may have threads. */
  readonly isolated: boolean;
  /** The threads ONNX Runtime's WASM backend gets. */
  readonly wasmThreads: number;
  /** The WebGPU adapter found at start, which sets the default backend. */
  webgpu?: WebGpuProbe;
}

declare global {
  interface Window {
    scmDemo: DemoState;
  }
}
