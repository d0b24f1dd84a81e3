/**
 * Running an exported model on ONNX Runtime. The caller passes the runtime module itself
 * (onnxruntime-node, onnxruntime-web, or -react-native), so this package loads no runtime of its own
 * and works wherever one of them does.
 */
import { defaultSampleBatch, Rng, type GraphSampleOptions } from '@scm/core';
import type { InferenceSession } from 'onnxruntime-common';
import { modelProblems } from '../check.js';
import { GUIDANCE_INPUT, LABEL_INPUT } from '../metadata.js';
import { DataType, toNumber, type proto } from '../proto.js';
import { decodeModel, OnnxModelError } from './decode.js';
import { externalTensors } from './external.js';
import { modelFacts, type DeclaredFacts, type ModelFacts } from './model-facts.js';

/** What is used of an onnxruntime-* module. */
export interface OrtModule {
  /** The runtime's session class. */
  readonly InferenceSession: {
    /** Opens a session on serialised model bytes. */
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  /** The runtime's tensor class. */
  readonly Tensor: {
    /** A tensor of element type `type` holding row-major `data` with dimensions `dims`. */
    new (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]): unknown;
  };
}

/** An input's values, row-major: float32 for tensors, int64 (or int32, widened) for class labels. */
export type InputData = Float32Array | BigInt64Array | Int32Array;

interface InputSpec {
  readonly name: string;
  readonly type: 'float32' | 'int64';
  /** Sizes, and 'batch' for the batch dimension. */
  readonly dims: readonly (number | 'batch')[];
}

function inputSpecs(model: proto.ModelProto): InputSpec[] {
  return (model.graph?.input ?? []).map((v) => {
    const t = v.type?.tensorType;
    const name = v.name ?? '';
    if (t?.elemType !== DataType.FLOAT && t?.elemType !== DataType.INT64) {
      throw new OnnxModelError(`model input "${name}" is neither float32 nor int64: this sampler feeds only those`);
    }
    const dims = (t.shape?.dim ?? []).map((d) => {
      if (d.dimParam === 'batch') return 'batch' as const;
      if (d.dimParam) throw new OnnxModelError(`model input "${name}" has a symbolic size "${d.dimParam}": only "batch" is known`);
      return toNumber(d.dimValue);
    });
    return { name, type: t.elemType === DataType.INT64 ? 'int64' : 'float32', dims };
  });
}

function isOrtModule(ort: unknown): ort is OrtModule {
  const m = ort as Partial<OrtModule> | null | undefined;
  return typeof m?.InferenceSession?.create === 'function' && typeof m.Tensor === 'function';
}

/**
 * Guidance scales must be finite and non-negative: 0 is the unconditional model, 1 the conditional
 * one; a negative scale or NaN gives samples of nothing the model was trained for, without an error.
 * A model that records the range it was trained for (a student's guidance input) takes only that range.
 */
function checkGuidance(guidance: InputData | undefined, { lo, hi, trained }: ModelFacts['guidance']): void {
  if (!(guidance instanceof Float32Array)) return;
  const bad = guidance.findIndex((g) => !(Number.isFinite(g) && g >= lo && g <= hi));
  if (bad < 0) return;
  const allowed = trained ? `within [${lo}, ${hi}], the scales this model was trained for` : 'a finite number >= 0';
  throw new RangeError(`input "${GUIDANCE_INPUT}": scale ${guidance[bad]} (example ${bad}) is not ${allowed}`);
}

/** Noise and points must be finite: the graph would carry a NaN through to every sample it touches. */
function checkFinite(name: string, data: Float32Array): void {
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`input "${name}": value ${data[bad]} at element ${bad} is not finite`);
}

const fmt = (dims: readonly (number | string)[]) => `[${dims.join(', ')}]`;

/**
 * An exported model on ONNX Runtime, checked before the runtime sees it: inputs are validated by
 * name, shape and range (labels within the model's classes, guidance within its trained range), so
 * bad input fails with a message naming it rather than inside the runtime.
 */
export class OnnxSampler {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: InferenceSession,
    private readonly specs: readonly InputSpec[],
    /** The model's metadata_props (sigma_d, sample shape, sampling times). */
    readonly metadata: Readonly<Record<string, string>>,
    private readonly facts: ModelFacts,
  ) {}

  /**
   * Checks the model bytes, then opens an ONNX Runtime session on them. `ort` is the runtime module:
   * `import * as ort from 'onnxruntime-node'` (or 'onnxruntime-web'). A model not exported by
   * @scm/onnx records no classes or guidance range: `declared` states them where it takes those inputs.
   */
  static async create(ort: OrtModule, model: Uint8Array, options?: InferenceSession.SessionOptions, declared?: DeclaredFacts): Promise<OnnxSampler> {
    if (!isOrtModule(ort)) {
      throw new TypeError(
        "OnnxSampler.create: pass the onnxruntime-node or onnxruntime-web module (import * as ort from 'onnxruntime-node'); " +
          `got ${ort === null ? 'null' : typeof ort} without InferenceSession.create and Tensor`,
      );
    }
    const decoded = decodeModel(model);
    const problems = modelProblems(decoded);
    if (problems.length > 0) throw new OnnxModelError(`invalid ONNX model (truncated or corrupt?):\n  ${problems.join('\n  ')}`);
    const outside = externalTensors(decoded.graph);
    if (outside.length > 0) {
      const { where, location } = outside[0];
      throw new OnnxModelError(
        `${where} keeps its data in an external file (${JSON.stringify(location)}): OnnxSampler runs self-contained models only, ` +
          'with every tensor inside the .onnx bytes',
      );
    }
    const specs = inputSpecs(decoded);
    const metadata = Object.fromEntries((decoded.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    const facts = modelFacts(metadata, specs.map((s) => s.name), declared);
    return new OnnxSampler(ort, await ort.InferenceSession.create(model, options), specs, metadata, facts);
  }

  /** The model's input names, as the session reports them. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** The model's output names; `run` returns the first. */
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the model on `batch` examples; returns its (first) output, row-major. */
  async run(inputs: Record<string, InputData>, batch: number): Promise<Float32Array> {
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
      throw new TypeError(`run: inputs must be an object of typed arrays by input name, got ${inputs === null ? 'null' : Array.isArray(inputs) ? 'an array' : typeof inputs}`);
    }
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`run: batch must be a positive integer, got ${batch}`);
    const fixed = this.facts.fixedBatch;
    if (fixed !== undefined && fixed !== batch) throw new RangeError(`run: this model was exported for a fixed batch of ${fixed}, got batch ${batch}`);
    const known = new Set(this.specs.map((s) => s.name));
    const unknown = Object.keys(inputs).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new Error(`unknown input${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}: the model takes ${[...known].join(', ')}`);
    this.checkLabels(inputs[LABEL_INPUT]);
    checkGuidance(inputs[GUIDANCE_INPUT], this.facts.guidance);
    for (const spec of this.specs) {
      const data = inputs[spec.name];
      if (spec.name !== GUIDANCE_INPUT && data instanceof Float32Array) checkFinite(spec.name, data);
    }
    const feeds = Object.fromEntries(this.specs.map((spec) => [spec.name, this.tensor(spec, inputs[spec.name], batch)]));
    const results = await this.session.run(feeds as InferenceSession.FeedsType);
    const out = results[this.session.outputNames[0]];
    return out.data instanceof Float32Array ? out.data : Float32Array.from(out.data as ArrayLike<number>);
  }

  /**
   * Draws `opts.n` samples from a sampler graph (the noise inputs z0, z1, ...), feeding it the
   * noise core's generate() draws for `opts.seed`, chunk by chunk as generate() does, so a seed gives
   * generate()'s samples (to float32 rounding) as the graph outputs them (data coordinates for
   * `scm export`'s samplers). Labels and guidance go to the graph's inputs, checked as in {@link run}.
   */
  async sample(opts: GraphSampleOptions): Promise<Float32Array> {
    const { n, seed } = opts;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`sample: n must be a positive integer, got ${n}`);
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new RangeError(`sample: seed must be a non-negative integer, got ${seed}`);
    const noise = this.specs.filter((s) => /^z\d+$/.test(s.name)).map((s) => s.name);
    if (noise.length === 0) throw new OnnxModelError(`sample: this model has no noise inputs z0, z1, ... (it takes ${this.specs.map((s) => s.name).join(', ')}): it is not a sampler`);
    const shape = this.facts.sampleShape;
    if (shape === undefined) throw new OnnxModelError('sample: the model records no scm.sampleShape: export it with @scm/onnx');
    if (opts.labels && opts.labels.length !== n) throw new RangeError(`sample: got ${opts.labels.length} labels for ${n} samples`);
    const dim = shape.reduce((a, b) => a * b, 1);
    const chunk = opts.batch ?? defaultSampleBatch(shape);
    const rng = new Rng(seed);
    const takesGuidance = this.specs.some((s) => s.name === GUIDANCE_INPUT);
    const out = new Float32Array(n * dim);
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      const inputs: Record<string, InputData> = {};
      for (const name of noise) inputs[name] = rng.normal(size * dim);
      if (opts.labels) inputs[LABEL_INPUT] = opts.labels.subarray(start, start + size);
      if (takesGuidance) inputs[GUIDANCE_INPUT] = new Float32Array(size).fill(opts.guidance ?? 1);
      out.set(await this.run(inputs, size), start * dim);
      opts.onBatch?.(start + size);
    }
    return out;
  }

  /** Releases the runtime session. */
  async release(): Promise<void> {
    await this.session.release();
  }

  /** The graph one-hot encodes labels by comparison, which would turn an unknown class into no class at all. */
  private checkLabels(labels: InputData | undefined): void {
    const { numClasses } = this.facts;
    if (labels === undefined || labels instanceof Float32Array || numClasses === 0) return;
    for (const l of labels) {
      const v = Number(l);
      if (v < -1 || v >= numClasses) throw new RangeError(`input "${LABEL_INPUT}": label ${l} is outside 0..${numClasses - 1} (or -1 for none)`);
    }
  }

  private tensor(spec: InputSpec, data: InputData | undefined, batch: number): unknown {
    const dims = spec.dims.map((d) => (d === 'batch' ? batch : d));
    const expected = `${spec.type} ${fmt(spec.dims)}`;
    if (data === undefined) throw new Error(`missing input "${spec.name}" (${expected})`);
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new Error(`input "${spec.name}": expected ${size} values (${expected} with batch ${batch}: ${fmt(dims)}), got ${data.length}`);
    }
    if (spec.type === 'float32') {
      if (!(data instanceof Float32Array)) throw new TypeError(`input "${spec.name}": expected a Float32Array (${expected}), got ${data.constructor.name}`);
      return new this.ort.Tensor('float32', data, dims);
    }
    if (data instanceof Float32Array) throw new TypeError(`input "${spec.name}": expected integers (${expected}) as a BigInt64Array or Int32Array, got a Float32Array`);
    return new this.ort.Tensor('int64', data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v)), dims);
  }
}
