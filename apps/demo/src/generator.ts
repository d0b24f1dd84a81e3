/** What the three ways of sampling the model have in common, so the page treats them alike. */
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
  /**
   * `count` images [count, height, width, channels] as pixels in [-1, 1]. A seed gives the same
   * noise on every backend (drawn as core's generate() draws it), so the backends can be compared.
   */
  generate(request: GenerateRequest): Promise<Float32Array>;
}

export interface LoadedManifest {
  readonly manifest: DemoManifest;
  /** The URL the manifest's file names are relative to. */
  readonly base: URL;
}

/** Each runtime's code is loaded only when its backend is first asked for. */
export async function createGenerator(choice: BackendChoice, loaded: LoadedManifest): Promise<Generator> {
  if (choice === 'tfjs-webgpu') return (await import('./generate-tfjs.js')).createTfjsGenerator(loaded);
  return (await import('./generate-ort.js')).createOrtGenerator(loaded, choice === 'ort-webgpu' ? 'webgpu' : 'wasm');
}

export async function loadManifest(): Promise<LoadedManifest> {
  const url = new URL(MANIFEST_PATH, document.baseURI);
  const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes(url))) as DemoManifest;
  return { manifest, base: url };
}

export async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`could not load ${url.pathname} (HTTP ${response.status}); the build step writes it: npm run models -w @scm/demo`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
