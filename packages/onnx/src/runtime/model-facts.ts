/**
 * What OnnxSampler takes from a model's metadata_props to check its inputs, read and validated
 * once at create: the class count, the guidance range, a fixed batch, the sample shape. A model
 * without our metadata ("scm.kind") is someone else's graph: nothing it says about labels or
 * guidance is known, so a caller feeding those inputs must state the classes and the range.
 */
import { FIXED_BATCH_KEY, GUIDANCE_INPUT, GUIDANCE_RANGE_KEY, LABEL_INPUT, METADATA_CHECKSUM_KEY, metadataChecksum, NUM_CLASSES_KEY } from '../metadata.js';
import { OnnxModelError } from './decode.js';

/** What a caller states about a model that does not record it (a graph not exported by @scm/onnx). */
export interface DeclaredFacts {
  /** Classes of the `label` input (labels -1..numClasses-1). */
  readonly numClasses?: number;
  /** The guidance scales [lo, hi] the `guidance` input takes. */
  readonly guidanceRange?: readonly [number, number];
}

export interface ModelFacts {
  /** Classes of the label input; 0 where labels are not checked (an unconditional model). */
  readonly numClasses: number;
  /** Guidance scales accepted, and whether they were recorded as a trained range. */
  readonly guidance: { readonly lo: number; readonly hi: number; readonly trained: boolean };
  readonly fixedBatch?: number;
  /** The shape of one sample, where recorded (sampler graphs). */
  readonly sampleShape?: readonly number[];
}

const KIND_KEY = 'scm.kind';
const SAMPLE_SHAPE_KEY = 'scm.sampleShape';

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isRange = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every(Number.isFinite) && 0 <= v[0] && v[0] <= v[1];

function recordedNumber(metadata: Record<string, string>, key: string, positive: boolean): number | undefined {
  const text = metadata[key];
  if (text === undefined) return undefined;
  const v = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!isCount(v) || (positive && v === 0)) throw new OnnxModelError(`the model's metadata ${key} is ${JSON.stringify(text)}, not a ${positive ? 'positive' : 'non-negative'} integer`);
  return v;
}

/** A JSON metadata entry that `valid` accepts, or undefined where it is not recorded; else an error saying what it should be. */
function recordedJson<V>(metadata: Record<string, string>, key: string, valid: (v: unknown) => v is V, expected: string): V | undefined {
  const text = metadata[key];
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!valid(v)) throw new OnnxModelError(`the model's metadata ${key} is ${JSON.stringify(text)}, not ${expected}`);
  return v;
}

const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((d) => isCount(d) && d > 0);

/** Checks the model's metadata and the caller's declarations against the inputs the graph takes. */
export function modelFacts(metadata: Record<string, string>, inputs: readonly string[], declared: DeclaredFacts = {}): ModelFacts {
  if (declared.numClasses !== undefined && !isCount(declared.numClasses)) {
    throw new RangeError(`OnnxSampler.create: numClasses must be a non-negative integer, got ${String(declared.numClasses)}`);
  }
  if (declared.guidanceRange !== undefined && !isRange(declared.guidanceRange)) {
    throw new RangeError(`OnnxSampler.create: guidanceRange must be [lo, hi] with 0 <= lo <= hi, got ${JSON.stringify(declared.guidanceRange)}`);
  }
  const ours = metadata[KIND_KEY] !== undefined;
  const recordedClasses = recordedNumber(metadata, NUM_CLASSES_KEY, false);
  const range = recordedJson(metadata, GUIDANCE_RANGE_KEY, isRange, '[lo, hi] with 0 <= lo <= hi');
  const fixedBatch = recordedNumber(metadata, FIXED_BATCH_KEY, true);
  const sampleShape = recordedJson(metadata, SAMPLE_SHAPE_KEY, isShape, 'a list of positive sizes');
  // Each entry is checked for its type first, to name a malformed one; then all of them together.
  // Models exported before the checksum carry none and are read as they are.
  const checksum = metadata[METADATA_CHECKSUM_KEY];
  if (checksum !== undefined && checksum !== metadataChecksum(metadata)) {
    throw new OnnxModelError(
      `the model's scm.* metadata does not match its ${METADATA_CHECKSUM_KEY} ${JSON.stringify(checksum)}: an entry was changed after export; export the model again`,
    );
  }
  for (const [what, recorded, stated] of [['numClasses', recordedClasses, declared.numClasses], ['guidanceRange', range, declared.guidanceRange]] as const) {
    if (recorded !== undefined && stated !== undefined && JSON.stringify(recorded) !== JSON.stringify(stated)) {
      throw new RangeError(`OnnxSampler.create: ${what} ${JSON.stringify(stated)} contradicts the model's own ${JSON.stringify(recorded)}`);
    }
  }
  const numClasses = recordedClasses ?? declared.numClasses;
  if (inputs.includes(LABEL_INPUT) && numClasses === undefined) {
    throw new OnnxModelError(`the model takes "${LABEL_INPUT}" but records no ${NUM_CLASSES_KEY}: pass { numClasses } to OnnxSampler.create`);
  }
  const trained = range ?? declared.guidanceRange;
  if (inputs.includes(GUIDANCE_INPUT) && trained === undefined && !ours) {
    throw new OnnxModelError(`the model takes "${GUIDANCE_INPUT}" but records no ${GUIDANCE_RANGE_KEY}: pass { guidanceRange: [lo, hi] } to OnnxSampler.create`);
  }
  return {
    numClasses: numClasses ?? 0,
    // Our own teachers take any finite scale >= 0 (classifier-free guidance has no trained range).
    guidance: trained ? { lo: trained[0], hi: trained[1], trained: true } : { lo: 0, hi: Infinity, trained: false },
    ...(fixedBatch !== undefined ? { fixedBatch } : {}),
    ...(sampleShape !== undefined ? { sampleShape } : {}),
  };
}
