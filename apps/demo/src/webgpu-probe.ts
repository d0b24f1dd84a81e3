/**
 * What WebGPU this browser offers, before any backend starts: a software adapter (SwiftShader,
 * llvmpipe, WARP; what many Linux and VM users get) runs shaders on the CPU and is far slower than
 * WASM, so the page prefers WASM there and says why.
 */

export interface WebGpuProbe {
  readonly kind: 'hardware' | 'software' | 'none';
  /** The adapter as it describes itself ("google swiftshader"), or why there is none. */
  readonly description: string;
}

import { DEADLINES_MS, withDeadline } from './deadline.js';

/** The adapter fields read; browsers may leave any of them empty for privacy. */
export interface AdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  /** Chromium 136+ and the spec: GPUAdapterInfo.isFallbackAdapter. */
  readonly isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(): Promise<{ readonly info?: AdapterInfoLike; readonly isFallbackAdapter?: boolean } | null>;
}

/** Software rasterisers by the names their adapters report, for browsers that do not set isFallbackAdapter on them. */
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

export function classifyAdapter(info: AdapterInfoLike, isFallbackAdapter = false): WebGpuProbe {
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'an adapter that does not name itself';
  const software = isFallbackAdapter || info.isFallbackAdapter === true || SOFTWARE_NAMES.test(description);
  return { kind: software ? 'software' : 'hardware', description };
}

export async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (navigator as { gpu?: GpuLike }).gpu;
  if (!gpu) return { kind: 'none', description: 'this browser has no navigator.gpu' };
  try {
    const adapter = await withDeadline(gpu.requestAdapter(), DEADLINES_MS.adapter, 'navigator.gpu.requestAdapter()');
    if (!adapter) return { kind: 'none', description: 'navigator.gpu.requestAdapter() found no adapter' };
    // Older Chromium put isFallbackAdapter on the adapter, newer ones on its info.
    return classifyAdapter(adapter.info ?? {}, adapter.isFallbackAdapter === true);
  } catch (error) {
    return { kind: 'none', description: `navigator.gpu.requestAdapter() failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
