/** What the three ways of sampling the model have in common, so the page treats them alike. */
import { fetchBytes } from './fetch-bytes.js';
import { MANIFEST_PATH, type DemoManifest, type Steps } from './public-files.js';

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
   * `count` images [count, height, width, channels] as pixels in [-1, 1]. A seed gives the same
   * noise on every backend (drawn as core's generate() draws it), so the backends can be compared.
   */
  generate(request: GenerateRequest): Promise<Float32Array>;
  /** Frees what it holds (a worker), for a generator that failed and will be created afresh. */
  close?(): void;
}

/** What a long step is doing, for the status line ("Fetching the model: 1.2 of 2.4 MB"). */
export type Progress = (message: string) => void;

export interface LoadedManifest {
  readonly manifest: DemoManifest;
  /** The URL the manifest's file names are relative to. */
  readonly base: URL;
}

/** Each runtime's code is loaded only when its backend is first asked for. */
export async function createGenerator(choice: BackendChoice, loaded: LoadedManifest, progress: Progress = () => {}): Promise<Generator> {
  if (choice === 'tfjs-webgpu') return (await import('./generate-tfjs.js')).createTfjsGenerator(loaded, progress);
  return (await import('./generate-ort.js')).createOrtGenerator(loaded, choice === 'ort-webgpu' ? 'webgpu' : 'wasm', progress);
}

export async function loadManifest(): Promise<LoadedManifest> {
  const url = new URL(MANIFEST_PATH, document.baseURI);
  const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes(url))) as DemoManifest;
  return { manifest, base: url };
}
