/**
 * bench/onnx: ONNX Runtime as a training engine and as a sampler, against the eager tfjs backends.
 * Per-step training time of the toy MLP (createMlp's default: width 128, 4 blocks; batch 256) in
 * teacher and sCD mode on tfjs cpu, tfjs wasm and a compiled step on onnxruntime-node; consistency
 * sampling throughput at batch 1024 on tfjs wasm, onnxruntime-node and onnxruntime-web (wasm, in Node).
 * Writes bench/results/onnx.{json,md}. Run: npm run bench:onnx (after npm run build).
 */
import os from 'node:os';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import {
  consistencySample,
  consistencyTimes,
  createMlp,
  defaultTrainConfig,
  initState,
  makeOptimizer,
  modelField,
  normalInit,
  Rng,
  snapshot,
  toDevice,
  toy2dSource,
  trainStep,
  type HostParams,
  type HostTensor,
  type StepContext,
  type TensorOps,
  type TrainConfig,
  type TrainState,
} from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import { exportSampler, OnnxSampler, OnnxTrainer, type OrtModule } from '@scm/onnx';
import { fmtMs, markdownTable, time, writeResults } from '../lib.js';

const BATCH = 256;
const SAMPLE_BATCH = 1024;
const SIGMA_D = 0.5;
const cores = os.availableParallelism();
// Other work on the machine skews every timing (a spinning thread pool most): the load says how much there was.
const loadAtStart = os.loadavg()[0];
// ONNX Runtime Web in Node runs one thread (no cross-origin-isolated workers); tfjs wasm in Node likewise.
ortWeb.env.wasm.numThreads = 1;
const nodeSession = (threads: number) => ({ graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: threads }) as const;

type Tensor = unknown;
const model = createMlp();
const data = toy2dSource('checkerboard', { sigmaD: SIGMA_D });
// A trained-looking teacher: random weights everywhere (the default init zeroes the output layer).
const initRng = new Rng(1);
const teacherParams: HostParams = Object.fromEntries(
  Object.entries(model.init(initRng)).map(([name, t]) => [name, normalInit(initRng, t.shape, t.shape[0], name.endsWith('.bias') ? 0.1 : 1)]),
);

function context(mode: TrainConfig['mode']): StepContext<HostTensor> {
  const config = defaultTrainConfig(mode, { batch: BATCH });
  const base = { model, config, data, optimizer: makeOptimizer(config) };
  return mode === 'scd' ? { ...base, teacher: { model, params: teacherParams } } : base;
}

const initialState = <T>(o: TensorOps<T>, ctx: StepContext<HostTensor>): TrainState<T> =>
  initState(o, model, ctx.config, ctx.config.mode === 'scd' ? teacherParams : undefined);

/** Median ms per eager step, reading the three scalars back as the training loop does. */
async function eagerStep(backend: 'cpu' | 'wasm', ctx: StepContext<HostTensor>): Promise<number> {
  const o = (await createTfjsOps({ backend })) as TensorOps<Tensor>;
  const teacher = ctx.teacher ? { model: ctx.teacher.model, params: toDevice(o, ctx.teacher.params) } : undefined;
  const eager: StepContext<Tensor> = { ...ctx, teacher };
  let s = initialState(o, ctx);
  // The pure-JS cpu backend takes seconds per step: fewer runs.
  const runs = backend === 'cpu' ? { warmup: 1, minRuns: 3 } : {};
  const t = await time(() => {
    const out = trainStep(o, eager, s);
    for (const x of [out.loss, out.gradNorm, out.applied]) o.readSync(x);
    o.dispose([out.loss, out.gradNorm, out.applied]);
    s = out.state;
  }, runs);
  o.dispose([...Object.values(s.params), ...Object.values(s.opt), ...Object.values(s.ema), ...(teacher ? Object.values(teacher.params) : [])]);
  return t.ms;
}

async function compiledStep(ctx: StepContext<HostTensor>, threads: number): Promise<{ ms: number; compileMs: number }> {
  const o = (await createTfjsOps({ backend: 'wasm' })) as TensorOps<Tensor>;
  const s = initialState(o, ctx);
  const host = { ...s, ...(await snapshot(o, s)) };
  const t0 = performance.now();
  const trainer = await OnnxTrainer.create(ortNode, ctx, host, { sessionOptions: nodeSession(threads) });
  const compileMs = performance.now() - t0;
  const t = await time(async () => void (await trainer.step()));
  await trainer.release();
  return { ms: t.ms, compileMs };
}

const training = [];
for (const mode of ['teacher', 'scd'] as const) {
  const ctx = context(mode);
  const cpu = await eagerStep('cpu', ctx);
  const wasm = await eagerStep('wasm', ctx);
  const ort = await compiledStep(ctx, cores);
  const ortOneThread = await compiledStep(ctx, 1);
  training.push({ mode, tfjsCpuMs: cpu, tfjsWasmMs: wasm, ortNodeMs: ort.ms, ortNodeOneThreadMs: ortOneThread.ms, ortCompileMs: ort.compileMs });
  console.error(
    `${mode}: tfjs cpu ${fmtMs(cpu)} ms, tfjs wasm ${fmtMs(wasm)} ms, onnxruntime-node ${fmtMs(ort.ms)} ms ` +
      `(1 thread ${fmtMs(ortOneThread.ms)} ms; compile + session ${fmtMs(ort.compileMs)} ms)`,
  );
}

async function eagerSampler(steps: number): Promise<number> {
  const o = (await createTfjsOps({ backend: 'wasm' })) as TensorOps<Tensor>;
  const params = toDevice(o, teacherParams);
  const rng = new Rng(3);
  const noise = Array.from({ length: steps }, () => o.fromArray(rng.normal(SAMPLE_BATCH * 2), [SAMPLE_BATCH, 2]));
  const t = await time(() => {
    const x = o.tidy(() => consistencySample(o, modelField(o, model, params, SIGMA_D), noise, consistencyTimes(steps, SIGMA_D), SIGMA_D));
    o.readSync(x);
    o.dispose(x);
  });
  o.dispose([...Object.values(params), ...noise]);
  return t.ms;
}

async function exportedSampler(ort: OrtModule, steps: number, options: Parameters<typeof OnnxSampler.create>[2]): Promise<number> {
  const sampler = await OnnxSampler.create(ort, exportSampler(model, teacherParams, { steps, sigmaD: SIGMA_D }), options);
  const rng = new Rng(3);
  const inputs = Object.fromEntries(Array.from({ length: steps }, (_, i) => [`z${i}`, rng.normal(SAMPLE_BATCH * 2)]));
  const t = await time(async () => void (await sampler.run(inputs, SAMPLE_BATCH)));
  await sampler.release();
  return t.ms;
}

const sampling = [];
for (const steps of [1, 2]) {
  const row = {
    steps,
    tfjsWasmMs: await eagerSampler(steps),
    ortNodeMs: await exportedSampler(ortNode, steps, nodeSession(cores)),
    ortWebMs: await exportedSampler(ortWeb, steps, { graphOptimizationLevel: 'all', executionProviders: ['wasm'] }),
  };
  sampling.push(row);
  console.error(`${steps}-step sampling: tfjs wasm ${fmtMs(row.tfjsWasmMs)} ms, onnxruntime-node ${fmtMs(row.ortNodeMs)} ms, onnxruntime-web ${fmtMs(row.ortWebMs)} ms`);
}

const machine = `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${cores} cores, Node ${process.version}, load average ${loadAtStart.toFixed(1)} at the start`;
const perSec = (ms: number) => Math.round((SAMPLE_BATCH * 1000) / ms).toLocaleString('en-US');
const md = [
  '# bench/onnx',
  '',
  `Machine: ${machine}. Median of repeated runs after warm-up. onnxruntime-node runs with all graph optimisations and ${cores} intra-op threads; ` +
    'tfjs wasm and onnxruntime-web run one thread in Node.',
  '',
  `## Training: ms per step, MLP width 128, 4 blocks, batch ${BATCH}`,
  '',
  'Eager: core\'s step on tfjs (every op dispatched from JS, autodiff in core). Compiled: the whole step (teacher forward for sCD, JVP, forward, ' +
    'backward, Adam, EMA) as one ONNX graph on onnxruntime-node, state fed back as runtime tensors; the host draws the batch each step in both.',
  '',
  markdownTable(
    ['mode', 'tfjs cpu ms', 'tfjs wasm ms', `onnxruntime-node ms (${cores} threads)`, 'onnxruntime-node ms (1 thread)', 'tfjs cpu / ORT', 'tfjs wasm / ORT', 'compile + session ms'],
    training.map((r) => [
      r.mode,
      fmtMs(r.tfjsCpuMs),
      fmtMs(r.tfjsWasmMs),
      fmtMs(r.ortNodeMs),
      fmtMs(r.ortNodeOneThreadMs),
      (r.tfjsCpuMs / r.ortNodeMs).toFixed(1),
      (r.tfjsWasmMs / r.ortNodeMs).toFixed(1),
      fmtMs(r.ortCompileMs),
    ]),
  ),
  '',
  `## Sampling: consistency sampling at batch ${SAMPLE_BATCH}, samples/s`,
  '',
  markdownTable(
    ['steps', 'tfjs wasm', 'exported, onnxruntime-node', 'exported, onnxruntime-web (wasm)', 'ORT node / tfjs wasm'],
    sampling.map((r) => [r.steps, perSec(r.tfjsWasmMs), perSec(r.ortNodeMs), perSec(r.ortWebMs), (r.tfjsWasmMs / r.ortNodeMs).toFixed(1)]),
  ),
].join('\n');
writeResults('onnx', { machine, date: new Date().toISOString(), batch: BATCH, sampleBatch: SAMPLE_BATCH, training, sampling }, md);
console.log(md);
