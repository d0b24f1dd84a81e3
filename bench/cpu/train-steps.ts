/**
 * The compiled-training-step pieces bench/cpu and bench/colour share: the train config a case is timed
 * at, random image batches, an OnnxTrainer for a teacher or sCD step, the twin's steps in a Python process
 * of their own, and timing in alternation.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type * as Ort from 'onnxruntime-node';
import {
  createModel,
  defaultTrainConfig,
  initState,
  makeOptimizer,
  snapshot,
  type DataSource,
  type HostParams,
  type HostTensor,
  type Model,
  type StepContext,
  type TrainConfig,
  type UnetConfig,
} from '@scm/core';
import { ReferenceOps } from '@scm/core/testing';
import { OnnxTrainer, type OrtModule } from '@scm/onnx';

export type StepMode = 'teacher' | 'scd';

export function trainConfig(mode: StepMode, batch: number, sigmaD: number): TrainConfig {
  return defaultTrainConfig(mode, { batch, sigmaD, guidanceMax: mode === 'scd' ? 2 : 0, labelDropout: 0.1 });
}

/** Normal draws of the data's scale: the cost of a step does not depend on the data. */
export function randomImages(model: Model, sigmaD: number): DataSource {
  const [h, w, c] = model.sampleShape;
  return {
    name: 'random-images',
    sampleShape: model.sampleShape,
    numClasses: model.numClasses,
    sample: (r, n) => ({ x: r.normal(n * h * w * c).map((z) => z * sigmaD), labels: Int32Array.from({ length: n }, () => Math.floor(r.uniform(1)[0] * model.numClasses)) }),
    toData: (x) => x,
    fromData: (x) => x,
  };
}

export interface CompiledStep {
  readonly config: TrainConfig;
  /** The trained network and its starting weights. */
  readonly model: Model;
  readonly params: HostParams;
  readonly data: DataSource;
  /** sCD steps: the frozen teacher. */
  readonly teacher?: { readonly model: Model; readonly params: HostParams };
}

const ref = new ReferenceOps();

/** A whole training step traced into one ONNX graph, in an ONNX Runtime session with `sessionOptions`. */
export async function compiledTrainer(ort: typeof Ort, s: CompiledStep, sessionOptions: Ort.InferenceSession.SessionOptions): Promise<OnnxTrainer> {
  const ctx: StepContext<HostTensor> = {
    model: s.model,
    config: s.config,
    data: s.data,
    optimizer: makeOptimizer(s.config),
    ...(s.teacher ? { teacher: s.teacher } : {}),
  };
  const state = initState(ref, s.model, s.config, s.params);
  return OnnxTrainer.create(ort as unknown as OrtModule, ctx, { ...state, ...(await snapshot(ref, state)) }, { sessionOptions });
}

/** A teacher step (the network without its guidance input) or an sCD step (the student with it, distilling the teacher), as `config.mode` says. */
export function unetStep(config: TrainConfig, student: UnetConfig, params: HostParams, teacherParams: HostParams): CompiledStep {
  const teacher = createModel({ ...student, guidanceInput: false });
  const data = randomImages(teacher, student.sigmaD);
  return config.mode === 'teacher' ? { config, model: teacher, params: teacherParams, data } : { config, model: createModel(student), params, data, teacher: { model: teacher, params: teacherParams } };
}

/**
 * Median ms of each fn, one call of each per round, so that load on the machine hits all alike. Each fn
 * returns the milliseconds it measured (a step in another process times itself, free of the pipe).
 */
export async function alternate(fns: (() => Promise<number>)[], { warmup = 2, rounds = 7 } = {}): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < warmup; i++) await fn();
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < fns.length; i++) samples[i].push(await fns[i]());
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

/** `fn` timed by the wall clock, for `alternate`. */
export const timed = (fn: () => Promise<unknown>) => async (): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/** The twin's eager training steps in a `torch_cpu.py --serve` process, one step per request. */
export interface TorchSteps {
  readonly torch: string;
  readonly threads: number;
  /** One step of the plan's case `key`; resolves to the milliseconds PyTorch measured. */
  step(key: string): Promise<number>;
  close(): Promise<void>;
}

export async function torchSteps(python: string, planPath: string): Promise<TorchSteps> {
  const proc = spawn(python, ['bench/cpu/torch_cpu.py', '--serve', planPath], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`${python} bench/cpu/torch_cpu.py --serve ended early (exit code ${proc.exitCode}; its stderr is above)`);
    return JSON.parse(line.value as string) as Record<string, unknown>;
  };
  const hello = (await next()) as { torch: string; threads: number };
  return {
    torch: hello.torch,
    threads: hello.threads,
    step: async (key) => {
      proc.stdin.write(`${key}\n`);
      return (await next()).ms as number;
    },
    close: async () => {
      proc.stdin.end();
      await once(proc, 'exit');
    },
  };
}
