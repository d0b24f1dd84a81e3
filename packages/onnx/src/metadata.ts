/** What exported models record about themselves (metadata_props) and name alike, for the runtime that loads them. */
import type { Model } from '@scm/core';

/** Present only in models exported for a fixed batch: its size. */
export const FIXED_BATCH_KEY = 'scm.batch';
export const NUM_CLASSES_KEY = 'scm.numClasses';

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
