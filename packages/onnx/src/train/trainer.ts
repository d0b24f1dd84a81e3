/**
 * Training with ONNX Runtime as the engine: a compiled step (compileTrainStep) run once per step, its
 * state kept as runtime tensors between steps. The host draws every step's random numbers with core's
 * `drawBatch` from the run's stream, so a seed gives the same batches as the eager step, and
 * snapshots are core's `HostState`, so checkpoints are interchangeable with the eager path's.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { drawBatch, lrAt, Rng, stepScalars, type HostParams, type HostTensor, type Shape, type StepContext, type Stepper, type StepStats, type TrainState } from '@scm/core';
import type { OrtModule } from '../runtime/sampler.js';
import { BATCH_INPUTS, compileTrainStep, isStateInput, nextOutput, scalarInput, stateInput, STATE_GROUPS, type CompiledStep, type StateGroup } from './compile.js';

/** A run's state on the host: what a checkpoint holds (`{ step, skipped, rng, ...HostState }`). */
export type HostTrainState = TrainState<HostTensor>;

/** The counters and random stream of a run; the tensors stay in the runtime (see `snapshot`). */
export interface TrainerState {
  /** Steps taken so far (skipped ones included). */
  readonly step: number;
  /** Steps whose update was skipped for a non-finite gradient norm. */
  readonly skipped: number;
  /** The run's stream, advanced by every step's draws. */
  readonly rng: Rng;
}

/** Options of {@link OnnxTrainer.create}. */
export interface OnnxTrainerOptions {
  /**
   * Merged over the defaults: all graph optimisations, sequential execution, and as many intra-op
   * threads as the host reports cores (where it reports them: navigator.hardwareConcurrency).
   */
  readonly sessionOptions?: InferenceSession.SessionOptions;
}

const sameShape = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);

function defaultSessionOptions(): InferenceSession.SessionOptions {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return { graphOptimizationLevel: 'all', executionMode: 'sequential', ...(cores ? { intraOpNumThreads: cores } : {}) };
}

/** The state's tensors by input name, checked against what the compiled graph declares. */
function stateFeeds(compiled: CompiledStep, initial: HostTrainState): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const g of STATE_GROUPS) for (const [name, t] of Object.entries(initial[g])) feeds[stateInput(g, name)] = t;
  const expected = compiled.inputNames.filter(isStateInput);
  const missing = expected.filter((name) => !(name in feeds));
  const extra = Object.keys(feeds).filter((name) => !(name in compiled.inputShapes));
  const list = (names: string[]) => names.slice(0, 5).join(', ') + (names.length > 5 ? `, ... (${names.length} in all)` : '');
  if (missing.length > 0) throw new Error(`OnnxTrainer: the initial state lacks ${list(missing)}`);
  if (extra.length > 0) throw new Error(`OnnxTrainer: the initial state has tensors the model does not: ${list(extra)}`);
  for (const name of expected) {
    const { shape } = feeds[name];
    const want = compiled.inputShapes[name];
    if (!sameShape(shape, want)) throw new Error(`OnnxTrainer: "${name}" has shape [${shape.join(', ')}], the model needs [${want.join(', ')}]`);
  }
  return feeds;
}

/**
 * Training with ONNX Runtime as the engine: `ctx`'s step compiled to one graph, run once per
 * {@link OnnxTrainer.step}, the state kept as runtime tensors between steps. Batches are drawn on the
 * host from the run's stream, so a seed gives the same batches as core's eager step, and
 * {@link OnnxTrainer.snapshot} is core's host state, so checkpoints are interchangeable.
 */
export class OnnxTrainer implements Stepper<TrainerState> {
  private current: TrainerState;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: InferenceSession,
    private readonly ctx: StepContext<HostTensor>,
    private readonly compiled: CompiledStep,
    /** The state tensors by input name: the outputs of the last step, fed as they came back. */
    private readonly tensors: Record<string, Tensor>,
    initial: HostTrainState,
  ) {
    this.current = { step: initial.step, skipped: initial.skipped, rng: Rng.fromState(initial.rng.state()) };
  }

  /**
   * Compiles `ctx`'s step at its batch and opens a session on it. `ort` is the runtime module
   * (onnxruntime-node, or -web); `initial` is a fresh state (`{ ...s, ...await snapshot(o, s) }` of
   * core's `initState`) or a decoded checkpoint. Its stream is copied: the caller's is left as it is.
   */
  static async create(ort: OrtModule, ctx: StepContext<HostTensor>, initial: HostTrainState, options: OnnxTrainerOptions = {}): Promise<OnnxTrainer> {
    const compiled = compileTrainStep(ctx, { batch: ctx.config.batch });
    const host = stateFeeds(compiled, initial);
    const tensors = Object.fromEntries(
      Object.entries(host).map(([name, t]) => [name, new ort.Tensor('float32', Float32Array.from(t.data), t.shape) as Tensor]),
    );
    const session = await ort.InferenceSession.create(compiled.model, { ...defaultSessionOptions(), ...options.sessionOptions });
    return new OnnxTrainer(ort, session, ctx, compiled, tensors, initial);
  }

  get state(): TrainerState {
    return this.current;
  }

  /** Draws a batch from the run's stream and runs one compiled step on it. */
  async step(): Promise<StepStats> {
    const { ctx, compiled } = this;
    const step = this.current.step + 1;
    const feeds: Record<string, Tensor> = { ...this.tensors };
    const batch = drawBatch(ctx, this.current.rng);
    for (const name of BATCH_INPUTS) {
      const shape = compiled.inputShapes[name];
      const data = batch[name];
      if (shape === undefined) continue;
      if (data === undefined) throw new Error(`OnnxTrainer: the model takes "${name}" but the batch has none`);
      feeds[name] = this.tensor(data, shape);
    }
    for (const [name, value] of Object.entries(stepScalars(ctx, step))) feeds[scalarInput(name)] = this.tensor(Float32Array.of(value), []);
    const out = await this.session.run(feeds as InferenceSession.FeedsType);
    // Fed back as they came: the runtime reads input tensors in place, so the state crosses no
    // JS-side copy. (Preallocating the outputs does not help on onnxruntime-node: it writes into the
    // buffer given and still returns a copy.)
    for (const name of Object.keys(this.tensors)) this.tensors[name] = out[nextOutput(name)];
    const [loss, gradNorm, applied] = (['loss', 'gradNorm', 'applied'] as const).map((name) => (out[name].data as Float32Array)[0]);
    this.current = { step, skipped: this.current.skipped + (applied === 1 ? 0 : 1), rng: this.current.rng };
    return { loss, gradNorm, lr: lrAt(ctx.config.lr, step), applied: applied === 1 };
  }

  /** The state on the host, copied: params, EMA and optimiser state, step, skip count and a copy of the stream. */
  snapshot(): HostTrainState {
    const group = (g: StateGroup): HostParams => {
      const out: HostParams = {};
      const prefix = stateInput(g, '');
      for (const [name, t] of Object.entries(this.tensors)) {
        if (name.startsWith(prefix)) out[name.slice(prefix.length)] = { shape: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
      }
      return out;
    };
    const { step, skipped, rng } = this.current;
    return { step, skipped, rng: Rng.fromState(rng.state()), params: group('params'), opt: group('opt'), ema: group('ema') };
  }

  /**
   * Ends ONNX Runtime's profiling, for a trainer created with `sessionOptions.enableProfiling`: the
   * runtime writes its per-operator trace (JSON, under `profileFilePrefix` where the runtime takes one).
   */
  endProfiling(): void {
    this.session.endProfiling();
  }

  /** Releases the runtime session. */
  async release(): Promise<void> {
    await this.session.release();
  }

  private tensor(data: Float32Array, shape: Shape): Tensor {
    return new this.ort.Tensor('float32', data, shape) as Tensor;
  }
}
