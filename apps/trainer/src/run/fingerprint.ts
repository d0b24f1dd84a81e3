/** A SHA-256 over a set of weights (names, shapes and float32 bytes, in canonical name order). */
import { createHash } from 'node:crypto';
import { canonicalNames, type HostParams } from '@scm/core';

export function weightsFingerprint(params: HostParams): string {
  const hash = createHash('sha256');
  for (const name of canonicalNames(params)) {
    const { shape, data } = params[name];
    hash.update(`${name}[${shape.join(',')}]`);
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return `sha256:${hash.digest('hex')}`;
}
