/**
 * Starting tfjs's WebGPU backend: once per process (tfjs has one engine), lazily, with a failure
 * remembered and reported the same way to every later caller, naming what is missing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createTfjsOps, type TfjsOps } from '@scm/tfjs';
import { describeAdapter, type AdapterReport, type GpuLike, type PowerPreference } from './adapter.js';

/** WebGPU cannot run here; the one error a fallback replaces. */
export class WebGpuUnavailableError extends Error {
  /** Always 'WebGpuUnavailableError', so the error is recognisable after serialisation. */
  override readonly name = 'WebGpuUnavailableError';
}

export interface StartedWebGpu {
  readonly ops: TfjsOps;
  readonly adapter: AdapterReport;
}

const FALLBACK_HINT = "pass fallback: 'wasm'";

let started: { readonly powerPreference: PowerPreference; readonly ready: Promise<StartedWebGpu> } | undefined;

export function startWebGpu(powerPreference: PowerPreference): Promise<StartedWebGpu> {
  if (!started) started = { powerPreference, ready: start(powerPreference) };
  else if (started.powerPreference !== powerPreference) {
    return Promise.reject(
      new Error(
        `@scm/webgpu: the WebGPU backend was started with powerPreference '${started.powerPreference}' and cannot restart with '${powerPreference}'; ` +
          'pass the same powerPreference to every createWebGpuOps call.',
      ),
    );
  }
  return started.ready;
}

async function start(powerPreference: PowerPreference): Promise<StartedWebGpu> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu ?? (tf.env().getBool('IS_NODE') ? await installDawn() : undefined);
  if (!gpu) throw unavailable(noGpu());
  const adapter = await gpu.requestAdapter({ powerPreference }).catch((cause: unknown) => {
    throw unavailable(`navigator.gpu.requestAdapter() failed: ${messageOf(cause)} (${FALLBACK_HINT})`);
  });
  if (!adapter) {
    throw unavailable(`navigator.gpu.requestAdapter() found no adapter: no GPU and driver this WebGPU implementation supports (${FALLBACK_HINT})`);
  }
  const report = await describeAdapter(adapter);

  // Imported only now: the package registers its 'webgpu' backend at import time, and only if
  // navigator.gpu exists then (in Node, callers install it before calling us).
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) {
    throw unavailable(
      '@tensorflow/tfjs-backend-webgpu was imported before navigator.gpu existed, so it never registered its backend ' +
        `(install navigator.gpu before anything imports it, or ${FALLBACK_HINT})`,
    );
  }
  // tfjs requests its own adapter; this flag makes it ask for the one probed above.
  tf.env().set('WEBGPU_USE_LOW_POWER_GPU', powerPreference === 'low-power');
  const ops = await createTfjsOps({ backend: 'webgpu' }).catch((cause: unknown) => {
    throw unavailable(`an adapter was found, but ${messageOf(cause)} (${FALLBACK_HINT})`);
  });
  return { ops, adapter: report };
}

/**
 * In Node: Dawn from the optional `webgpu` package, installed as navigator.gpu (tfjs-backend-webgpu
 * looks for it there) with its GPU* globals. Undefined when the package is not installed.
 */
async function installDawn(): Promise<GpuLike | undefined> {
  // A variable specifier: bundlers must leave this optional dependency to the runtime.
  const specifier = 'webgpu';
  let dawn: { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
  try {
    dawn = (await import(/* @vite-ignore */ specifier)) as typeof dawn;
  } catch {
    return undefined;
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create((process.env.SCM_DAWN_FLAGS ?? '').split(',').filter(Boolean));
  const g = globalThis as { navigator?: object };
  // Node 21+ has a navigator object of its own; Node 20 has none.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else g.navigator = { gpu };
  return gpu;
}

function noGpu(): string {
  if ((globalThis as { isSecureContext?: boolean }).isSecureContext === false) {
    return `navigator.gpu is undefined because this page is not a secure context (serve it over https or from localhost, or ${FALLBACK_HINT})`;
  }
  if (tf.env().getBool('IS_NODE')) {
    return (
      "navigator.gpu is undefined (Node has no WebGPU of its own: install the 'webgpu' package (Dawn), which is used when present, " +
      `or set globalThis.navigator.gpu yourself before calling createWebGpuOps, or ${FALLBACK_HINT})`
    );
  }
  return `navigator.gpu is undefined (use a browser with WebGPU, or ${FALLBACK_HINT})`;
}

function unavailable(what: string): WebGpuUnavailableError {
  return new WebGpuUnavailableError(`WebGPU is not available: ${what}`);
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));
