/**
 * A model's lean weights: the EMA tensors alone, float32 safetensors under the network's parameter
 * names, with the model's spec as metadata so the bytes alone can be loaded.
 */
import type { HostParams } from '../nn/index.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../train/index.js';
import { MODEL_FORMAT, ModelSpecError, type ModelSpec } from './spec.js';

const SPEC_KEY = 'spec';

/** The lean weights file of `spec`'s model: `ema` as F32 tensors, the spec as metadata. */
export function encodeModelWeights(spec: ModelSpec, ema: HostParams): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of Object.entries(ema)) tensors[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  return encodeSafetensors(tensors, { format: MODEL_FORMAT, [SPEC_KEY]: JSON.stringify(spec) });
}

/** Whether safetensors metadata is a model's lean weights rather than a checkpoint. */
export const isModelWeights = (metadata: Readonly<Record<string, string>>): boolean => metadata.format === MODEL_FORMAT;

/**
 * Reads what {@link encodeModelWeights} writes: the weights and the spec they carry.
 *
 * @throws ModelSpecError for another format, a spec that is not JSON, or a tensor that is not F32 or not finite.
 */
export function decodeModelWeights(bytes: Uint8Array): {
  /** The spec the weights carry, unchecked (checkSpec checks it). */
  spec: unknown;
  /** The EMA tensors by parameter name. */
  weights: HostParams;
} {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (!isModelWeights(metadata)) throw new ModelSpecError(`weights format ${JSON.stringify(metadata.format ?? null)} is not "${MODEL_FORMAT}"`);
  let spec: unknown;
  try {
    spec = JSON.parse(metadata[SPEC_KEY] ?? '');
  } catch (e) {
    throw new ModelSpecError(`the weights' spec is not valid JSON (${(e as Error).message})`);
  }
  const weights: HostParams = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32') throw new ModelSpecError(`tensor "${name}" is ${t.dtype}, expected F32`);
    const data = t.data as Float32Array;
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ModelSpecError(`tensor "${name}" holds ${data[bad]} at element ${bad}: its weights are not finite`);
    weights[name] = { shape: [...t.shape], data };
  }
  return { spec, weights };
}
