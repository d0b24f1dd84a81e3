/**
 * Probing the WebGPU adapter before tfjs starts its backend, so that a missing or unusable WebGPU
 * is reported as what is missing (no navigator.gpu, no adapter) instead of a tfjs warning, and so
 * that callers can see what they run on.
 */

/**
 * The part of the WebGPU API the probe reads. Declared here rather than taken from @webgpu/types
 * so that neither this package's types nor its callers' depend on global GPU declarations.
 */
export interface GpuLike {
  /** Resolves to an adapter, or null where the browser has WebGPU but no usable adapter. */
  requestAdapter(options?: { powerPreference?: PowerPreference }): Promise<GpuAdapterLike | null>;
}

/** The part of a WebGPU GPUAdapter the probe reads. */
export interface GpuAdapterLike {
  /** The adapter's optional features, e.g. 'shader-f16'. */
  readonly features: Iterable<string>;
  /** GPUSupportedLimits: numeric limits, possibly as getters on the prototype. */
  readonly limits: object;
  /** Chromium 127+ and the spec. */
  readonly info?: GpuAdapterInfoLike;
  /** Older browsers; removed from the spec. */
  requestAdapterInfo?(): Promise<GpuAdapterInfoLike>;
}

interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
}

/** WebGPU's adapter choice where a machine has several (integrated vs discrete GPU). */
export type PowerPreference = 'low-power' | 'high-performance';

/** What {@link createWebGpuOps} runs on: the adapter's self-description, or why WebGPU is not used. */
export interface AdapterReport {
  /** Whether the ops run on WebGPU. */
  readonly available: boolean;
  /** What the adapter says about itself; implementations may leave fields empty for privacy. */
  readonly info: {
    /** The GPU vendor, e.g. 'nvidia'. */
    readonly vendor?: string;
    /** The GPU family within the vendor's line-up. */
    readonly architecture?: string;
    /** A vendor-specific device identifier. */
    readonly device?: string;
    /** A human-readable adapter name. */
    readonly description?: string;
  };
  /** Every numeric limit of the adapter (maxBufferSize, maxStorageBufferBindingSize, maxComputeWorkgroupSizeX, ...). */
  readonly limits: Readonly<Record<string, number>>;
  /** The adapter's optional features, sorted. */
  readonly features: readonly string[];
  /** Why WebGPU is not used, when it is not. */
  readonly reason?: string;
}

export async function describeAdapter(adapter: GpuAdapterLike): Promise<AdapterReport> {
  const raw = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  const info = Object.fromEntries(
    (['vendor', 'architecture', 'device', 'description'] as const).filter((k) => typeof raw[k] === 'string').map((k) => [k, raw[k]]),
  );
  return { available: true, info, limits: numericProperties(adapter.limits), features: [...adapter.features].sort() };
}

/**
 * GPUSupportedLimits keeps its limits as getters on its prototype (enumerable in browsers, not
 * necessarily in Node implementations), so the whole prototype chain is read, not just own keys.
 */
function numericProperties(object: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertyNames(o)) {
      const value = (object as Record<string, unknown>)[key];
      if (typeof value === 'number' && !(key in out)) out[key] = value;
    }
  }
  return out;
}

export function unavailableReport(reason: string): AdapterReport {
  return { available: false, info: {}, limits: {}, features: [], reason };
}
