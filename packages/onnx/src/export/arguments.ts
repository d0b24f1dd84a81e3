/**
 * The exporters' argument checks, made before any tracing: a null model or params, or options
 * without sigma_d, would otherwise surface deep inside the trace as "t_max = NaN" or a property of
 * undefined, naming none of the caller's arguments.
 */
import type { HostParams, Model } from '@scm/core';

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'number' ? String(v) : typeof v);

/** Throws a TypeError, in one sentence naming the argument, unless model, params and options.sigmaD are usable. */
export function checkExportArguments(fn: string, model: Model, params: HostParams, options: { readonly sigmaD: number }): void {
  if (typeof model !== 'object' || model === null || typeof model.F !== 'function' || !Array.isArray(model.sampleShape)) {
    throw new TypeError(`${fn}: model must be a Model (as createModel from @scm/core returns), got ${describe(model)}`);
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError(`${fn}: params must be a record of named host tensors (HostParams), got ${describe(params)}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options must be an object with sigmaD, got ${describe(options)}`);
  if (typeof options.sigmaD !== 'number' || !(options.sigmaD > 0) || !Number.isFinite(options.sigmaD)) {
    throw new TypeError(`${fn}: options.sigmaD must be the data's std, a finite number > 0, got ${describe(options.sigmaD)}`);
  }
}
