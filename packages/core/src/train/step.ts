/**
 * One training step on any TensorOps: host draws (data, noise, times, labels) in a fixed order from
 * the run's stream, the loss and its gradient, then clipping, the finiteness guard, the optimiser
 * and the EMA. Teacher steps use the diffusion loss; sCT and sCD steps the two-pass sCM loss.
 */
import type { TensorOps } from '../tensor/ops.js';
import { Rng } from '../random/index.js';
import type { Conditioning, Model } from '../models/model.js';
import { oneHotLabels } from '../models/model.js';
import type { DataSource } from '../data/source.js';
import { valueAndGrad } from '../autodiff/tape.js';
import { diffusionLoss } from '../objectives/diffusion.js';
import { scmLoss, scmTarget, tangentWarmup } from '../objectives/scm.js';
import { mapBatch, mapCond, type Batch } from '../objectives/batch.js';
import { noisy, sampleTimes, velocity } from '../trigflow/schedule.js';
import { guidedField, modelField } from '../trigflow/field.js';
import { clipByGlobalNorm } from '../optim/clip.js';
import { isFiniteScalar, selectTree } from '../optim/guard.js';
import { emaDecayHalfLife, emaUpdate, powerEmaDecay } from '../optim/ema.js';
import { lrAt } from '../optim/schedule.js';
import { scalarTensors, type Optimizer } from '../optim/optimizer.js';
import type { EmaConfig, TrainConfig } from './config.js';
import type { TrainState } from './state.js';

/** The frozen teacher an sCD step distils from. */
export interface Teacher<T> {
  /** The teacher's network (its own architecture; need not match the student's). */
  readonly model: Model;
  /** The teacher's EMA weights. */
  readonly params: Record<string, T>;
}

/** Everything about a run that stays fixed from step to step. */
export interface StepContext<T> {
  /** The network being trained. */
  readonly model: Model;
  /** The run's settings. */
  readonly config: TrainConfig;
  /** Where batches come from (in model units). */
  readonly data: DataSource;
  /** The optimiser that updates `params` from their gradients. */
  readonly optimizer: Optimizer;
  /** Required for sCD. */
  readonly teacher?: Teacher<T>;
}

/** Everything a step computes with, as tensors: a traced step takes exactly these as graph inputs. */
export interface StepInputs<T> {
  /** The weights before the step. */
  readonly params: Record<string, T>;
  /** The optimiser's state before the step. */
  readonly opt: Record<string, T>;
  /** The weights' EMA before the step. */
  readonly ema: Record<string, T>;
  /** The step's data, noise, times and conditioning. */
  readonly batch: Batch<T>;
  /** `stepScalars` as scalar tensors. */
  readonly scalars: Record<string, T>;
}

/** What a step computes: the updated tensors and its statistics, all on the device. */
export interface StepResult<T> {
  /** The weights after the step (unchanged when it was skipped). */
  readonly params: Record<string, T>;
  /** The optimiser's state after the step. */
  readonly opt: Record<string, T>;
  /** The weights' EMA after the step. */
  readonly ema: Record<string, T>;
  /** Scalars on the device; read them only when logging. */
  readonly loss: T;
  /** Global L2 norm of the gradient before clipping. */
  readonly gradNorm: T;
  /** 1 if the step was applied, 0 if skipped for a non-finite gradient. */
  readonly applied: T;
}

/** A step's statistics with the whole training state after it (counters and stream advanced). */
export interface StepOutput<T> extends Pick<StepResult<T>, 'loss' | 'gradNorm' | 'applied'> {
  /** The state after the step. */
  readonly state: TrainState<T>;
}

/** The EMA decay to apply after step `step` (1-based): step-dependent for the power EMA, constant for a half-life. */
export function emaDecay(c: EmaConfig, step: number): number {
  return c.kind === 'power' ? powerEmaDecay(step, c.sigmaRel) : emaDecayHalfLife(c.halfLifeSteps);
}

/** The host-side per-step scalars: optimiser, EMA decay and, for sCM, the tangent warmup r. */
export function stepScalars(ctx: StepContext<unknown>, step: number): Record<string, number> {
  const c = ctx.config;
  return {
    ...ctx.optimizer.scalars(step, lrAt(c.lr, step)),
    'ema.decay': emaDecay(c.ema, step),
    ...(c.mode === 'teacher' ? {} : { 'scm.r': tangentWarmup(step, c.tangentWarmup) }),
  };
}

/** One step's random draws on the host, before upload (see {@link drawBatch}). */
export interface HostBatch {
  /** Data x0 in model units, [batch, ...sampleShape] row-major. */
  x0: Float32Array;
  /** Noise z ~ N(0, sigma_d^2), same shape as x0. */
  z: Float32Array;
  /** TrigFlow times t in (0, pi/2), one per example. */
  t: Float32Array;
  /** One-hot labels [batch, numClasses + 1] (last column: the null class) for class-conditional models. */
  labels?: Float32Array;
  /** Guidance scales s ~ U[1, guidanceMax], one per example, for students that take guidance. */
  guidance?: Float32Array;
  /** A stream split off for dropout masks, so dropout does not shift the run's later draws. */
  dropout: Rng;
}

/** Every random draw of a step, from the run's stream in a fixed order (resume depends on it). */
export function drawBatch(ctx: StepContext<unknown>, rng: Rng): HostBatch {
  const { config: c, data, model } = ctx;
  const n = c.batch;
  const { x, labels } = data.sample(rng, n);
  const z = rng.normal(x.length).map((v) => v * c.sigmaD);
  const t = sampleTimes(rng, n, c.proposal, c.sigmaD);
  const out: HostBatch = { x0: x, z, t, dropout: rng.split() };
  if (model.numClasses > 0) {
    if (!labels) throw new Error(`data "${data.name}" gives no labels but the model is class-conditional`);
    const drop = c.mode === 'teacher' && c.labelDropout > 0 ? rng.uniform(n) : undefined;
    const used = Int32Array.from(labels, (l, i) => (drop && drop[i] < c.labelDropout ? -1 : l));
    out.labels = oneHotLabels(used, model.numClasses);
  }
  if (model.guidanceInput) out.guidance = rng.uniform(n).map((u) => 1 + (c.guidanceMax - 1) * u);
  return out;
}

/** The host draws as tensors on backend `o`: x0 and z as [batch, ...sampleShape], t as [batch]. */
export function uploadBatch<T>(o: TensorOps<T>, ctx: StepContext<T>, h: HostBatch): Batch<T> {
  const shape = [ctx.config.batch, ...ctx.data.sampleShape];
  const n = ctx.config.batch;
  const cond: Conditioning<T> = {
    ...(h.labels ? { labels: o.fromArray(h.labels, [n, ctx.model.numClasses + 1]) } : {}),
    ...(h.guidance ? { guidance: o.fromArray(h.guidance, [n]) } : {}),
    dropoutRng: h.dropout,
  };
  return { x0: o.fromArray(h.x0, shape), z: o.fromArray(h.z, shape), t: o.fromArray(h.t, [n]), cond };
}

/** dx_t/dt for sCD: the teacher's velocity, with classifier-free guidance at the student's scale. */
function teacherVelocity<T>(o: TensorOps<T>, ctx: StepContext<T>, xt: T, batch: Batch<T>): T {
  const teacher = ctx.teacher;
  if (!teacher) throw new Error('sCD needs a teacher');
  const sigmaD = ctx.config.sigmaD;
  const labels = batch.cond?.labels;
  const guidance = batch.cond?.guidance;
  const field =
    labels && guidance
      ? guidedField(o, teacher.model, teacher.params, sigmaD, labels, guidance)
      : modelField(o, teacher.model, teacher.params, sigmaD, labels ? { labels } : {});
  return o.mul(field(xt, batch.t), o.fill([], sigmaD));
}

/** The loss of a step and its gradient with respect to all params. */
function lossAndGrads<T>(o: TensorOps<T>, ctx: StepContext<T>, params: Record<string, T>, batch: Batch<T>, r: T) {
  const { model, config: c } = ctx;
  if (c.mode === 'teacher') {
    return valueAndGrad(o, (tape, p) => diffusionLoss(tape, model, p, mapBatch(batch, (v) => tape.lift(v)), c.sigmaD), params);
  }
  const xt = noisy(o, batch.x0, batch.z, batch.t);
  const dxdt = c.mode === 'sct' ? velocity(o, batch.x0, batch.z, batch.t) : teacherVelocity(o, ctx, xt, batch);
  // Both passes must see the same dropout masks: pass 1 gets a copy of the stream in its current state.
  const dropout = batch.cond?.dropoutRng;
  const pass1 = { ...batch.cond, ...(dropout ? { dropoutRng: Rng.fromState(dropout.state()) } : {}) };
  const settings = {
    sigmaD: c.sigmaD,
    r,
    normalize: c.tangentNormalize,
    c: c.tangentC,
    ...(c.tangentNormOver ? { over: c.tangentNormOver } : {}),
    ...(c.jvpStep !== undefined ? { jvpStep: c.jvpStep } : {}),
  };
  const { Fminus, g } = scmTarget(o, model, params, xt, batch.t, dxdt, settings, pass1);
  return valueAndGrad(
    o,
    (tape, p) =>
      scmLoss(tape, model, p, tape.lift(xt), tape.lift(batch.t), tape.lift(Fminus), tape.lift(g), c.sigmaD, mapCond(batch.cond, (v) => tape.lift(v))),
    params,
  );
}

/**
 * The step as a pure function of tensors: loss and gradient, clipping, the finiteness guard (a
 * select, no host read), the optimiser and the EMA. Tracing it gives the whole step as one graph.
 */
export function stepFunction<T>(o: TensorOps<T>, ctx: StepContext<T>, inputs: StepInputs<T>): StepResult<T> {
  const { scalars } = inputs;
  const { value, grads } = lossAndGrads(o, ctx, inputs.params, inputs.batch, scalars['scm.r']);
  const { grads: clipped, norm } = clipByGlobalNorm(o, grads, ctx.config.clip > 0 ? ctx.config.clip : Infinity);
  const applied = isFiniteScalar(o, o.add(norm, value));
  const next = ctx.optimizer.apply(o, inputs.params, clipped, inputs.opt, scalars);
  const params = selectTree(o, applied, next.params, inputs.params);
  const opt = selectTree(o, applied, next.state, inputs.opt);
  const ema = emaUpdate(o, inputs.ema, params, scalars['ema.decay']);
  return { params, opt, ema, loss: value, gradNorm: norm, applied };
}

/** One step; the input state's tensors are disposed, the output's are new. */
export function trainStep<T>(o: TensorOps<T>, ctx: StepContext<T>, s: TrainState<T>): StepOutput<T> {
  const step = s.step + 1;
  const host = drawBatch(ctx, s.rng);
  const out = o.tidy(() =>
    stepFunction(o, ctx, {
      params: s.params,
      opt: s.opt,
      ema: s.ema,
      batch: uploadBatch(o, ctx, host),
      scalars: scalarTensors(o, stepScalars(ctx, step)),
    }),
  );
  o.dispose([...Object.values(s.params), ...Object.values(s.opt), ...Object.values(s.ema)]);
  return {
    state: { step, params: out.params, ema: out.ema, opt: out.opt, rng: s.rng, skipped: s.skipped },
    loss: out.loss,
    gradNorm: out.gradNorm,
    applied: out.applied,
  };
}
