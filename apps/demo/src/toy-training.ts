/**
 * A 2D consistency model trained live in the page, with core's trainStep on the page's ops: a
 * small diffusion teacher on a toy distribution first, then sCD (the student starts from the
 * teacher's weights and learns its ODE), indefinitely. Every few steps the current model's samples
 * are reported: the student's in 1 step; the teacher's with an 8-step ODE solver, since a diffusion
 * model's single step collapses every sample onto the mean.
 */
import {
  createMlp,
  defaultTrainConfig,
  disposeState,
  generate,
  initState,
  makeOptimizer,
  Rng,
  toHost,
  toy2dSource,
  trainStep,
  type GenerateOptions,
  type StepContext,
  type TensorOps,
  type Toy2dName,
  type TrainState,
} from '@scm/core';

/**
 * Tried in Node on tfjs wasm: 300 teacher steps, then 100-500 sCD steps, put about 2/3 of the
 * 1-step samples on the checkerboard's squares (chance: 1/2). A longer teacher phase sharpens the
 * board (the CLI's quickstart trains 4000 + 4000 steps of a wider MLP with input features).
 */
const SIGMA_D = 0.5;
const BATCH = 256;
const MODEL = { width: 64, blocks: 2 };
const TEACHER_LR = 2e-3;
const STUDENT_LR = 7e-4;
const TANGENT_WARMUP = 100;
const SAMPLES = 1000;

export interface ToyOptions {
  readonly data: Toy2dName;
  readonly teacherSteps: number;
  readonly drawEvery: number;
}

export interface ToyProgress {
  readonly phase: 'teacher' | 'sCD';
  /** Steps of both phases together. */
  readonly step: number;
  /** Training alone (sampling excluded), since the previous report. */
  readonly stepsPerSec: number;
  readonly loss: number;
  /** How the samples were drawn. */
  readonly sampler: string;
  /** SAMPLES points in data coordinates, x and y interleaved. */
  readonly samples: Float32Array;
}

export interface ToyRun {
  /** Points of the data itself, for the plot's background and frame. */
  readonly data: Float32Array;
  /** Resolves once the loop has ended and its tensors are released. */
  stop(): Promise<void>;
}

const constantLr = (lr: number) => ({ kind: 'constant', lr }) as const;

export function startToyTraining<T>(ops: TensorOps<T>, options: ToyOptions, onProgress: (p: ToyProgress) => void, onError: (e: unknown) => void): ToyRun {
  const data = toy2dSource(options.data, { sigmaD: SIGMA_D });
  const model = createMlp(MODEL);
  const teacherConfig = defaultTrainConfig('teacher', { batch: BATCH, lr: constantLr(TEACHER_LR) });
  let ctx: StepContext<T> = { model, config: teacherConfig, data, optimizer: makeOptimizer(teacherConfig) };
  let state: TrainState<T> = initState(ops, model, teacherConfig);
  let stopped = false;

  const toStudent = async () => {
    const studentConfig = defaultTrainConfig('scd', { batch: BATCH, lr: constantLr(STUDENT_LR), tangentWarmup: TANGENT_WARMUP });
    const teacherParams = state.ema;
    const student = initState(ops, model, studentConfig, await toHost(ops, teacherParams));
    ops.dispose([...Object.values(state.params), ...Object.values(state.opt)]);
    ctx = { model, config: studentConfig, data, optimizer: makeOptimizer(studentConfig), teacher: { model, params: teacherParams } };
    state = student;
  };

  const report = async (step: number, stepsPerSec: number, loss: number) => {
    const sampler: Pick<GenerateOptions, 'sampler' | 'steps' | 'nfe'> = ctx.teacher ? { sampler: 'consistency', steps: 1 } : { sampler: 'ddim', nfe: 8 };
    // The same noise every time, so that what moves in the plot is the model.
    const x = await generate(ops, model, state.ema, SIGMA_D, { ...sampler, n: SAMPLES, seed: 0 });
    onProgress({
      phase: ctx.teacher ? 'sCD' : 'teacher',
      step,
      stepsPerSec,
      loss,
      sampler: ctx.teacher ? 'student, 1 step' : 'teacher, 8-step DDIM',
      samples: data.toData(x),
    });
  };

  const loop = async () => {
    let since = { step: 0, time: performance.now() };
    while (!stopped) {
      if (!ctx.teacher && state.step === options.teacherSteps) await toStudent();
      const out = trainStep(ops, ctx, state);
      state = out.state;
      // On WebGPU trainStep only enqueues work; reading the loss waits for it. One step in flight
      // at a time bounds memory, makes Stop prompt and steps/s honest.
      const [loss] = await ops.read(out.loss);
      ops.dispose([out.loss, out.gradNorm, out.applied]);
      const step = state.step + (ctx.teacher ? options.teacherSteps : 0);
      if (step % options.drawEvery === 0 && !stopped) {
        await report(step, ((step - since.step) * 1000) / (performance.now() - since.time), loss);
        since = { step, time: performance.now() };
      }
      // Lets the page handle input between steps (a read on the wasm fallback does not wait for anything).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };

  const done = loop()
    .catch(onError)
    .finally(() => {
      disposeState(ops, state);
      if (ctx.teacher) ops.dispose(Object.values(ctx.teacher.params));
    });
  return {
    data: data.toData(data.sample(new Rng(1), 2 * SAMPLES).x),
    stop() {
      stopped = true;
      return done;
    },
  };
}
