/** Network weights as a plain safetensors file (F32, our parameter names): what device.ts and torch_bench.py both load. */
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensors, type HostParams } from '@scm/core';

export function writeParams(path: string, host: HostParams): void {
  const tensors = Object.fromEntries(Object.entries(host).map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: v.data }]));
  writeFileSync(path, encodeSafetensors(tensors, { format: 'scm-ts/params@1' }));
}

export function readParams(path: string): HostParams {
  const { tensors } = decodeSafetensors(readFileSync(path));
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, { data: Float32Array.from(v.data as ArrayLike<number>), shape: [...v.shape] }]));
}

/** A student's weights as its teacher's: the same network without the guidance input (the "guidance." layer). */
export function withoutGuidance(p: HostParams): HostParams {
  return Object.fromEntries(Object.entries(p).filter(([k]) => !k.startsWith('guidance.')));
}
