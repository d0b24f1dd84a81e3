/**
 * The front door: `loadPipeline(source, { engine })` reads a model (a model package, a run folder, a
 * URL or bytes) and returns a pipeline whose `generate()` draws samples in data units, on any engine.
 * On an engine that runs exported graphs (ONNX Runtime), the samplers a model package ships are used
 * as they are; elsewhere the weights run through the engine's generate(). Both draw the noise of the
 * seed in the same order, so a seed gives the same samples on every engine (to float32 rounding).
 */
import type { Engine, GraphSampler } from '../driver/index.js';
import type { Model } from '../models/index.js';
import { Rng } from '../random/index.js';
import type { HostParams } from '../nn/index.js';
import { consistencyTimes } from '../samplers/index.js';
import { decodeCheckpoint, decodeSafetensors, type TrainMode } from '../train/index.js';
import { tMaxFor } from '../trigflow/index.js';
import { Generation } from './result.js';
import { BYTES_FILE, ModelSourceError, openSource, type LoadProgress, type ModelFiles, type PipelineSource } from './source.js';
import { checkSpec, guidanceRange, ModelSpecError, specMidT, specOfCheckpoint, type DataUnits, type ModelSpec } from './spec.js';
import { decodeModelWeights, isModelWeights } from './weights.js';

/** Options of {@link loadPipeline}. */
export interface LoadPipelineOptions {
  /** What computes: createTfjsEngine(), createOnnxEngine(), createWebGpuEngine(), eagerEngine(ops). */
  readonly engine: Engine;
  /** Called as files are read (fetched with their Content-Length, or read from disk). */
  readonly onProgress?: (progress: LoadProgress) => void;
  /** The fetch to read URLs with (default: the global fetch). */
  readonly fetch?: typeof fetch;
}

/** Which classes to draw: one label, one per sample, or 'rows' (class c in row c of the grid). */
export type LabelChoice = number | readonly number[] | Int32Array | 'rows';

/** Options of {@link Pipeline.generate}. */
export interface PipelineGenerateOptions {
  /** Number of samples (default: 10 per class with labels 'rows', else 16). */
  readonly n?: number;
  /** Class-conditional models: the classes (default: drawn uniformly from the seed). */
  readonly labels?: LabelChoice;
  /** Consistency models: sampling steps, 1, 2 (the default) or more. */
  readonly steps?: number;
  /** Teacher (diffusion) models: network evaluations of the Heun ODE sampler (default 35). */
  readonly nfe?: number;
  /** Guidance scale within {@link Pipeline.guidanceRange} (default: the model's recommendation, else 1). */
  readonly guidance?: number;
  /** Seed of the noise (and of drawn labels): the same seed gives the same samples on every engine. Default 0. */
  readonly seed?: number;
  /** 2 or more steps: the intermediate time (default: the model's, else the paper's 1.1). */
  readonly midT?: number;
  /** Samples per network call (default: 100 for images, 4096 for points); the seed's samples depend on it. */
  readonly batch?: number;
  /** Called after each batch with the samples drawn so far and n. */
  readonly onProgress?: (done: number, n: number) => void;
}

/** The labels `scm sample` and pipelines draw when none are given: uniform classes from the seed's own stream. */
export function drawnLabels(classes: number, n: number, seed: number): Int32Array {
  return new Rng(seed).fork('labels').randint(n, classes);
}

const ROW_SAMPLES = 10;

function positiveInteger(what: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (!(Number.isInteger(x) && x >= 1)) throw new RangeError(`generate: ${what} must be a positive integer, got ${String(v)}`);
  return x;
}

/** A loaded model: generate() draws from it; its properties say what it can draw. */
export class Pipeline {
  private readonly graphs = new Map<number, Promise<GraphSampler>>();

  /** @internal Built by {@link loadPipeline}. */
  constructor(
    /** The engine samples are computed on. */
    readonly engine: Engine,
    private readonly loaded: LoadedModel,
    private readonly onLoad?: (p: LoadProgress) => void,
  ) {}

  /** The model's config (a model package's config.json). */
  get spec(): ModelSpec {
    return this.loaded.spec;
  }

  private get model(): Model {
    return this.loaded.model;
  }

  private get units(): DataUnits {
    return this.loaded.units;
  }

  /** The model's name. */
  get name(): string {
    return this.spec.name;
  }

  /** 'image' ([n, h, w, c] in [0, 1]) or 'points' ([n, d] in data coordinates). */
  get kind(): 'image' | 'points' {
    return this.units.kind;
  }

  /** One sample's shape in generate()'s output: [height, width, channels] or [d]. */
  get sampleShape(): readonly number[] {
    return this.units.shape;
  }

  /** How the model was trained: 'scd' and 'sct' (consistency models) or 'teacher'. */
  get mode(): TrainMode {
    return this.spec.run.train.mode;
  }

  /** Class names in label order (their numbers where the model records none); empty for unconditional models. */
  get classes(): readonly string[] {
    return this.spec.classNames ?? Array.from({ length: this.model.numClasses }, (_, i) => String(i));
  }

  /** The step counts a consistency model was distilled and evaluated for (1 and 2); none for teachers. */
  get distilledSteps(): readonly number[] {
    return this.mode === 'teacher' ? [] : [1, 2];
  }

  /** The guidance scales generate() takes, [lo, hi]; undefined for models without guidance. */
  get guidanceRange(): readonly [number, number] | undefined {
    return guidanceRange(this.spec.run);
  }

  /** The scale generate() uses when given none. */
  get defaultGuidance(): number | undefined {
    return this.guidanceRange ? (this.spec.defaultGuidance ?? 1) : undefined;
  }

  private labelsFor(choice: LabelChoice | undefined, n: number, seed: number): Int32Array | undefined {
    const classes = this.model.numClasses;
    if (classes === 0) {
      if (choice !== undefined) throw new Error(`generate: labels given, but ${this.name} is unconditional`);
      return undefined;
    }
    if (choice === undefined) return drawnLabels(classes, n, seed);
    if (choice === 'rows') {
      if (n % classes !== 0) throw new RangeError(`generate: labels 'rows' needs n a multiple of the ${classes} classes, got ${n}`);
      return Int32Array.from({ length: n }, (_, i) => Math.floor(i / (n / classes)));
    }
    const values = typeof choice === 'number' ? new Array<number>(n).fill(choice) : Array.from(choice);
    if (values.length !== n) throw new RangeError(`generate: got ${values.length} labels for n = ${n}`);
    const bad = values.findIndex((l) => !(Number.isInteger(l) && l >= 0 && l < classes));
    if (bad >= 0) throw new RangeError(`generate: label ${values[bad]} (sample ${bad}) is not a class of ${this.name} (0..${classes - 1}: ${this.classes.join(', ')})`);
    const labels = Int32Array.from(values);
    return labels;
  }

  private guidanceFor(guidance: number | undefined): number | undefined {
    const range = this.guidanceRange;
    if (!range) {
      if (guidance !== undefined) throw new Error(`generate: ${this.name} takes no guidance (it is unconditional)`);
      return undefined;
    }
    const g = guidance ?? this.defaultGuidance!;
    if (!(Number.isFinite(g) && g >= range[0] && g <= range[1])) {
      throw new RangeError(`generate: guidance ${g} is outside [${range[0]}, ${range[1]}], the scales ${this.name} was trained for`);
    }
    return g;
  }

  /**
   * Draws samples in data units: images as [n, h, w, c] in [0, 1], points in data coordinates.
   *
   * @throws RangeError naming the option: n, steps, nfe or batch not positive integers, labels
   *   outside the classes or 'rows' with n not a multiple of them, guidance outside the range,
   *   midT not between 0 and t_max or given for 1 step.
   */
  async generate(opts: PipelineGenerateOptions = {}): Promise<Generation> {
    const classes = this.model.numClasses;
    const n = positiveInteger('n', opts.n, opts.labels === 'rows' && classes > 0 ? ROW_SAMPLES * classes : 16);
    const seed = opts.seed ?? 0;
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new RangeError(`generate: seed must be a non-negative integer, got ${seed}`);
    const labels = this.labelsFor(opts.labels, n, seed);
    const guidance = this.guidanceFor(opts.guidance);
    const batch = opts.batch === undefined ? undefined : positiveInteger('batch', opts.batch, 1);
    const onBatch = opts.onProgress ? (done: number) => opts.onProgress!(done, n) : undefined;
    const common = { n, seed, ...(labels ? { labels } : {}), ...(guidance !== undefined ? { guidance } : {}), ...(batch ? { batch } : {}), ...(onBatch ? { onBatch } : {}) };
    const sigmaD = this.spec.run.train.sigmaD;
    let data: Float32Array;
    if (this.mode === 'teacher') {
      if (opts.steps !== undefined || opts.midT !== undefined) throw new Error(`generate: ${this.name} is a diffusion teacher: give its ODE sampler a budget with nfe, not steps`);
      const nfe = positiveInteger('nfe', opts.nfe, 35);
      data = this.toData(await this.engine.generate(this.model, this.loaded.weights, sigmaD, { sampler: 'heun', nfe, ...common }));
    } else {
      if (opts.nfe !== undefined) throw new Error(`generate: ${this.name} is a consistency model: give it steps, not nfe`);
      const steps = positiveInteger('steps', opts.steps, 2);
      const midT = opts.midT ?? (steps >= 2 ? specMidT(this.spec) : undefined);
      if (opts.midT !== undefined) {
        if (steps < 2) throw new RangeError('generate: midT is the intermediate time of 2 or more steps; 1 step samples at t_max only');
        if (!(midT! > 0 && midT! < tMaxFor(sigmaD))) throw new RangeError(`generate: midT must be in (0, ${tMaxFor(sigmaD).toFixed(4)}), got ${midT}`);
      }
      const graph = midT === specMidT(this.spec) || steps === 1 ? this.graphFor(steps) : undefined;
      data = graph
        ? await (await graph).sample(common)
        : this.toData(await this.engine.generate(this.model, this.loaded.weights, sigmaD, { sampler: 'consistency', steps: midT === undefined ? steps : consistencyTimes(steps, sigmaD, midT), ...common }));
    }
    if (this.units.kind === 'image') for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, (data[i] + 1) / 2));
    const cols = opts.labels === 'rows' && classes > 0 ? n / classes : Math.ceil(Math.sqrt(n));
    return new Generation(this.units.kind, data, [n, ...this.units.shape], labels, cols);
  }

  /** Model units to data units: x / scale + mean, over the last axis. */
  private toData(x: Float32Array): Float32Array {
    const { scale, mean } = this.units;
    return x.map((v, i) => v / scale + mean[i % mean.length]);
  }

  /** The shipped sampler of `steps`, opened once, where the engine runs graphs. */
  private graphFor(steps: number): Promise<GraphSampler> | undefined {
    const file = this.spec.samplers?.[String(steps)];
    if (!file || !this.engine.openSampler) return undefined;
    let graph = this.graphs.get(steps);
    if (!graph) {
      graph = this.loaded.files.read(file, this.onLoad).then((bytes) => this.engine.openSampler!(bytes));
      // A failed open is not cached: the next call tries again and reports the failure again.
      graph.catch(() => this.graphs.delete(steps));
      this.graphs.set(steps, graph);
    }
    return graph;
  }

  /** Releases the sampler sessions the pipeline opened. */
  async dispose(): Promise<void> {
    const graphs = [...this.graphs.values()];
    this.graphs.clear();
    await Promise.all(graphs.map((g) => g.then((s) => s.release(), () => undefined)));
  }
}

const CONFIG = 'config.json';
const CHECKPOINT = 'checkpoint.safetensors';

type Checked = ReturnType<typeof checkSpec>;

function parseConfig(bytes: Uint8Array, where: string): { format?: string } | null {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as { format?: string } | null;
  } catch (e) {
    throw new ModelSpecError(`${where}: ${CONFIG} is not valid JSON (${(e as Error).message})`);
  }
}

/** The checked spec and the EMA weights of a source, wherever they are. */
async function readModel(files: ModelFiles, onProgress?: (p: LoadProgress) => void): Promise<Checked & { weights: HostParams }> {
  if (files.single) return fromWeightsOrCheckpoint(await files.read(BYTES_FILE, onProgress), files.where);
  const bytes = await files.readIfPresent(CONFIG, onProgress);
  const config = bytes === undefined ? undefined : parseConfig(bytes, files.where);
  // A run folder's config.json is its RunInfo, without a format: its weights are in the checkpoint.
  if (config?.format !== undefined) {
    const checked = checkSpec(config);
    return { ...checked, weights: decodeModelWeights(await files.read(checked.spec.weights, onProgress)).weights };
  }
  const checkpoint = await files.readIfPresent(CHECKPOINT, onProgress);
  if (checkpoint !== undefined) return fromWeightsOrCheckpoint(checkpoint, files.where);
  // A config.json without a checkpoint: checkSpec names what it lacks.
  if (bytes !== undefined) checkSpec(config);
  throw new ModelSourceError(`${files.where} holds no model: neither a model's ${CONFIG} nor a run's ${CHECKPOINT}`);
}

function fromWeightsOrCheckpoint(bytes: Uint8Array, where: string): Checked & { weights: HostParams } {
  const { metadata } = decodeSafetensors(bytes);
  if (isModelWeights(metadata)) {
    const { spec, weights } = decodeModelWeights(bytes);
    return { ...checkSpec(spec), weights };
  }
  const { meta, state } = decodeCheckpoint(bytes);
  const name = where.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? 'model';
  return { ...checkSpec(specOfCheckpoint(meta, name)), weights: state.ema };
}

function checkWeights(model: Model, weights: HostParams, where: string): void {
  const expected = model.init(new Rng(0));
  for (const [name, t] of Object.entries(expected)) {
    const have = weights[name];
    if (!have) throw new ModelSpecError(`${where}: the weights lack the tensor "${name}"`);
    if (have.shape.join() !== t.shape.join()) throw new ModelSpecError(`${where}: tensor "${name}" has shape [${have.shape.join(', ')}], the model needs [${t.shape.join(', ')}]`);
  }
  const extra = Object.keys(weights).filter((k) => !(k in expected));
  if (extra.length > 0) throw new ModelSpecError(`${where}: the weights hold tensors the model does not have: ${extra.slice(0, 3).join(', ')}`);
}

/** A model read from a source: its checked spec, network, unit map and EMA weights. */
export interface LoadedModel {
  /** The model's config, checked. */
  readonly spec: ModelSpec;
  /** The network the spec describes. */
  readonly model: Model;
  /** How its samples map to data units. */
  readonly units: DataUnits;
  /** The EMA weights, checked against the network's tensors. */
  readonly weights: HostParams;
  /** The source's files (a model package's samplers are read from here on demand). */
  readonly files: ModelFiles;
}

/**
 * Reads and checks a model from any source loadPipeline takes, without an engine: what the command
 * line samples from a model package or URL.
 *
 * @throws as {@link loadPipeline}.
 */
export async function loadModel(source: PipelineSource, options: Omit<LoadPipelineOptions, 'engine'> = {}): Promise<LoadedModel> {
  const files = await openSource(source, options.fetch);
  const { spec, model, units, weights } = await readModel(files, options.onProgress);
  checkWeights(model, weights, files.where);
  return { spec, model, units, weights, files };
}

/**
 * Loads a model for generation on `engine`.
 *
 * ```ts
 * const pipe = await loadPipeline(mnist, { engine: await createTfjsEngine() });
 * const digits = await pipe.generate({ labels: 7, n: 16, steps: 2, seed: 0 });
 * ```
 *
 * @param source - A model package's default export or name, a URL, a model or run folder, or the
 *   bytes of a weights file or checkpoint.
 * @throws ModelSourceError when the source cannot be read, ModelSpecError when what it holds is not
 *   a usable model (naming the file and the problem), CheckpointError / SafetensorsError for corrupt weights.
 */
export async function loadPipeline(source: PipelineSource, options: LoadPipelineOptions): Promise<Pipeline> {
  const engine = options?.engine as Engine | undefined;
  if (typeof engine?.generate !== 'function') throw new TypeError('loadPipeline: pass { engine }, e.g. await createTfjsEngine() from @scm/tfjs or await createOnnxEngine() from @scm/onnx');
  return new Pipeline(engine, await loadModel(source, options), options.onProgress);
}
