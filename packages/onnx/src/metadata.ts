/** What exported models record about themselves (metadata_props) and name alike, for the runtime that loads them. */
import { crc32, type Model } from '@scm/core';

/** Present only in models exported for a fixed batch: its size. */
export const FIXED_BATCH_KEY = 'scm.batch';
export const NUM_CLASSES_KEY = 'scm.numClasses';
/** Where recorded: the guidance scales [lo, hi] the network was trained for (JSON), which a runtime enforces. */
export const GUIDANCE_RANGE_KEY = 'scm.guidanceRange';

/** A guidance range as recorded, after checking it is one. */
export function guidanceRangeEntry(range: readonly [number, number] | undefined): Record<string, string> {
  if (range === undefined) return {};
  const [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && 0 <= lo && lo <= hi)) throw new RangeError(`guidanceRange must be [lo, hi] with 0 <= lo <= hi, got [${lo}, ${hi}]`);
  return { [GUIDANCE_RANGE_KEY]: JSON.stringify([lo, hi]) };
}

/** The class-label input of conditional models, int64 [batch]. */
export const LABEL_INPUT = 'label';
/** The per-example guidance-scale input of models that take one, float32 [batch]. */
export const GUIDANCE_INPUT = 'guidance';

export function modelMetadata(kind: 'denoiser' | 'sampler', model: Model, sigmaD: number): Record<string, string> {
  return {
    'scm.kind': kind,
    'scm.sigmaD': String(sigmaD),
    'scm.sampleShape': JSON.stringify(model.sampleShape),
    [NUM_CLASSES_KEY]: String(model.numClasses),
  };
}

/**
 * The CRC-32 of a model's other scm.* entries, which OnnxSampler checks: an entry edited after export
 * (a widened guidance range, another class count) no longer matches it.
 */
export const METADATA_CHECKSUM_KEY = 'scm.crc32';

/** The checksum of the scm.* entries but its own: hex CRC-32 of their sorted `key=value` lines. */
export function metadataChecksum(metadata: Readonly<Record<string, string>>): string {
  const lines = Object.keys(metadata)
    .filter((k) => k.startsWith('scm.') && k !== METADATA_CHECKSUM_KEY)
    .sort()
    .map((k) => `${k}=${metadata[k]}`);
  return crc32(new TextEncoder().encode(lines.join('\n'))).toString(16).padStart(8, '0');
}

