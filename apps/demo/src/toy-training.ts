/**
 * A 2D consistency model trained live, on any engine: a diffusion teacher on a toy distribution,
 * then sCD (the student starts from the teacher's weights and learns its ODE), with core's 2-D recipe
 * (TOY2D_RECIPE, the command line's quick start) in runs short enough for a minute in a page. On
 * ONNX Runtime each step is one compiled graph; on TensorFlow.js, core's eager step. The current
 * model's samples are reported as it trains: the student's in 1 step; the teacher's with an 8-step
 * ODE solver, since a diffusion model's single step collapses every sample onto the mean.
 */
import {
  checkerboardInSupport,
  createMlp,
  defaultTrainConfig,
  initState,
  makeOptimizer,
  Rng,
  toDevice,
  toy2dSource,
  TOY2D_RECIPE,
  type Engine,
  type GenerateOptions,
  type HostParams,
  type StepContext,
  type Toy2dName,
  type TrainConfig,
  type TrainSession,
} from '@scm/core';

const SIGMA_D = 0.5;
const SAMPLES = 1000;
/**
 * The page's default runs. In headless Chromium on ONNX Runtime Web (2 loaded cores), the teacher's
 * 8-step samples reach 0.8 on the checkerboard's squares within a minute of the click (about 250
 * steps); shorter sCD runs draw poorer 1-step samples (in Node: 600 + 300 steps 0.56, 800 + 600
 * steps 0.845, 2 steps 0.891; the quick start's 4000 + 8000: 0.92). The student keeps the paper's
 * time proposal: TOY2D_RECIPE.distillProposal pays off in long runs only (800 + 600 steps in Node on
 * ONNX Runtime, 1 step: 0.838 with the paper's, 0.776 with it).
 */
export const TOY_STEPS = { teacher: 800, student: 600 } as const;

export interface ToyOptions {
  readonly data: Toy2dName;
  readonly teacherSteps: number;
  readonly studentSteps: number;
  /**
   * Milliseconds of training between plots, at least: a plot that took longer to sample (an ONNX
   * engine exports and opens a sampler for it) waits three times as long, so that sampling never
   * takes more than a quarter of the time.
   */
  readonly drawEveryMs: number;
}

export interface ToyProgress {
  readonly phase: 'teacher' | 'sCD' | 'done';
  /** Steps of both phases together. */
  readonly step: number;
  /** Training alone (sampling excluded), since the previous report. */
  readonly stepsPerSec: number;
  readonly loss: number;
  /** How the samples were drawn. */
  readonly sampler: string;
  /** SAMPLES points in data coordinates, x and y interleaved. */
  readonly samples: Float32Array;
  /** On the checkerboard: the fraction of the samples on its squares (the data: 1; chance: 1/2). */
  readonly inSupport?: number;
}

const mlp = () =>
  createMlp({ sigmaD: SIGMA_D, width: TOY2D_RECIPE.width, blocks: TOY2D_RECIPE.blocks, inputFeatures: TOY2D_RECIPE.inputFeatures, inputFeatureScale: TOY2D_RECIPE.inputFeatureScale });

function phaseConfig(mode: 'teacher' | 'scd', steps: number): TrainConfig {
  const lr = mode === 'teacher' ? TOY2D_RECIPE.teacherLr : TOY2D_RECIPE.distillLr;
  return defaultTrainConfig(mode, {
    steps,
    batch: TOY2D_RECIPE.batch,
    sigmaD: SIGMA_D,
    lr: { kind: TOY2D_RECIPE.lrSchedule, lr, decaySteps: steps, warmupSteps: 0 },
    ...(mode === 'scd' ? { tangentWarmup: Math.min(TOY2D_RECIPE.tangentWarmup, steps) } : {}),
  });
}

/** Points of the distribution itself, for the plot's background and frame. */
export function toyData(name: Toy2dName): Float32Array {
  const data = toy2dSource(name, { sigmaD: SIGMA_D });
  return data.toData(data.sample(new Rng(1), 2 * SAMPLES).x);
}

/**
 * Trains the teacher, then the student, reporting samples every `drawEveryMs` of training; resolves
 * when both phases are done or `stopped()` says so.
 */
export async function trainToy(engine: Engine, options: ToyOptions, onProgress: (p: ToyProgress) => void, stopped: () => boolean): Promise<void> {
  const data = toy2dSource(options.data, { sigmaD: SIGMA_D });
  const model = mlp();
  const o = engine.ops;
  let teacherEma: HostParams | undefined;
  let done = 0;
  for (const mode of ['teacher', 'scd'] as const) {
    const steps = mode === 'teacher' ? options.teacherSteps : options.studentSteps;
    const config = phaseConfig(mode, steps);
    const teacher = teacherEma ? { model, params: toDevice(o, teacherEma) } : undefined;
    const ctx: StepContext<unknown> = { model, config, data, optimizer: makeOptimizer(config), ...(teacher ? { teacher } : {}) };
    const session: TrainSession = await engine.startTraining(ctx, initState(o, model, config, teacherEma));
    try {
      const sampler: Pick<GenerateOptions, 'sampler' | 'steps' | 'nfe'> = mode === 'scd' ? { sampler: 'consistency', steps: 1 } : { sampler: 'ddim', nfe: 8 };
      const report = async (phase: ToyProgress['phase'], stepsPerSec: number, loss: number) => {
        const { ema } = await session.hostState();
        // The same noise every time, so that what moves in the plot is the model.
        const samples = data.toData(await engine.generate(model, ema, SIGMA_D, { ...sampler, n: SAMPLES, seed: 0 }));
        const inSupport = options.data === 'checkerboard' ? fractionOnSquares(samples) : undefined;
        onProgress({ phase, step: done, stepsPerSec, loss, sampler: mode === 'scd' ? 'student, 1 step' : 'teacher, 8-step DDIM', samples, ...(inSupport !== undefined ? { inSupport } : {}) });
        return ema;
      };
      let since = { step: done, time: performance.now() };
      let loss = NaN;
      let wait = options.drawEveryMs;
      for (let i = 0; i < steps && !stopped(); i++) {
        loss = (await session.stepper.step()).loss;
        done++;
        const now = performance.now();
        // The phase's last step is plotted once, below; plotting it here too would leave that plot no steps to time.
        if (i < steps - 1 && now - since.time >= wait) {
          await report(mode === 'scd' ? 'sCD' : 'teacher', ((done - since.step) * 1000) / (now - since.time), loss);
          since = { step: done, time: performance.now() };
          wait = Math.max(options.drawEveryMs, 3 * (since.time - now));
        }
      }
      if (stopped()) return;
      const last = mode === 'scd';
      const ema = await report(last ? 'done' : 'teacher', ((done - since.step) * 1000) / Math.max(1, performance.now() - since.time), loss);
      if (!last) teacherEma = ema;
    } finally {
      await session.close();
      if (teacher) o.dispose(Object.values(teacher.params));
    }
  }
}

function fractionOnSquares(points: Float32Array): number {
  let inside = 0;
  for (let i = 0; i + 1 < points.length; i += 2) if (checkerboardInSupport(points[i], points[i + 1])) inside++;
  return inside / (points.length / 2);
}
