/**
 * TensorOps on WebGPU through tfjs-backend-webgpu, for browsers (and Node where a WebGPU exists):
 * the adapter is probed first, so a missing WebGPU is reported as what is missing, or replaced by a
 * wasm/cpu fallback when asked.
 *
 * @module @scm/webgpu
 */
import { eagerEngine, type Engine } from '@scm/core';
import { createTfjsOps, type TfjsOps, type TfjsOptions } from '@scm/tfjs';
import { unavailableReport, type AdapterReport, type PowerPreference } from './adapter.js';
import { startWebGpu, WebGpuUnavailableError } from './start.js';

export type { AdapterReport, GpuAdapterLike, GpuLike, PowerPreference } from './adapter.js';
export { WebGpuUnavailableError } from './start.js';
export type { TfjsOps };

/** What {@link createWebGpuOps} runs on when WebGPU cannot: a tfjs backend, or 'error' to reject. */
export type Fallback = 'wasm' | 'cpu' | 'error';

/** Options of {@link createWebGpuOps} and {@link createWebGpuEngine}. */
export interface WebGpuOptions extends Pick<TfjsOptions, 'wasmPaths' | 'wasmThreads'> {
  /**
   * What to run on when WebGPU cannot: a tfjs backend, or 'error' (the default) to reject with a
   * WebGpuUnavailableError naming what is missing. wasmPaths and wasmThreads apply to the wasm fallback.
   */
  readonly fallback?: Fallback;
  /** Which adapter to ask for where there are several. Default 'high-performance' (tfjs's own default). Taken at the first call. */
  readonly powerPreference?: PowerPreference;
}

/** What {@link createWebGpuOps} started: the ops, and what they run on. */
export interface WebGpuSetup {
  /** TensorOps on WebGPU, or on the fallback backend. */
  readonly ops: TfjsOps;
  /** The adapter in use; with a fallback, `available` is false and `reason` says why. */
  readonly adapter: AdapterReport;
  /** The tfjs backend the ops run on: 'webgpu', or the fallback. */
  readonly backend: 'webgpu' | 'wasm' | 'cpu';
}

const FALLBACKS: readonly Fallback[] = ['wasm', 'cpu', 'error'];
const POWER_PREFERENCES: readonly PowerPreference[] = ['low-power', 'high-performance'];

/**
 * TensorOps on WebGPU (tfjs-backend-webgpu through @scm/tfjs). WebGPU is probed and started on the
 * first call; later calls reuse it, or get the same error (or the fallback).
 *
 * @throws {@link WebGpuUnavailableError} when WebGPU cannot run here and `fallback` is 'error' (the default).
 * @throws Error for an unknown `fallback` or `powerPreference`.
 */
export async function createWebGpuOps(options: WebGpuOptions = {}): Promise<WebGpuSetup> {
  const fallback = oneOf('fallback', options.fallback ?? 'error', FALLBACKS);
  const powerPreference = oneOf('powerPreference', options.powerPreference ?? 'high-performance', POWER_PREFERENCES);
  try {
    return { ...(await startWebGpu(powerPreference)), backend: 'webgpu' };
  } catch (error) {
    if (fallback === 'error' || !(error instanceof WebGpuUnavailableError)) throw error;
    const ops = await createTfjsOps({ backend: fallback, wasmPaths: options.wasmPaths, wasmThreads: options.wasmThreads });
    return { ops, adapter: unavailableReport(error.message), backend: fallback };
  }
}

/** The driver's engine (train, sample from @scm/core) on WebGPU, or the fallback: core's eager step on createWebGpuOps(options).ops. */
export async function createWebGpuEngine(options: WebGpuOptions = {}): Promise<Engine<unknown>> {
  return eagerEngine((await createWebGpuOps(options)).ops);
}

function oneOf<V extends string>(option: string, value: V, allowed: readonly V[]): V {
  if (!allowed.includes(value)) {
    throw new Error(`@scm/webgpu: unknown ${option} ${JSON.stringify(value)}; expected one of ${allowed.map((v) => `'${v}'`).join(', ')}.`);
  }
  return value;
}
