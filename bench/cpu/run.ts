/**
 * bench/cpu: our ONNX graphs and compiled training steps against PyTorch on the same CPU, in one run.
 * 1. The denoiser of models/mnist-scd (U-Net, EMA weights) exported by us and by torch.onnx from the
 *    PyTorch twin (bench/gpu/torch_scm.py), both run in onnxruntime-node, timed interleaved.
 * 2. Our exported 1- and 2-step samplers in onnxruntime-node against eager PyTorch, steady state.
 * 3. `scm sample --backend onnx --n 3000` end to end (start-up included) against the same in PyTorch.
 * 4. A compiled teacher step and sCD step (OnnxTrainer) against the twin's eager steps, batch 32 and 128,
 *    and the same for the toy MLP (createMlp's default, checkerboard data) at batch 256.
 * 5. ONNX Runtime's session settings (threads, execution mode, memory arena), measured on the denoiser
 *    and the sCD step, and ONNX Runtime's per-operator profile of the compiled sCD step.
 * PyTorch runs with as many threads as ONNX Runtime (the cores: Debian's build defaults to one).
 * Writes bench/results/cpu.{json,md}. Run: npm run bench:cpu (after npm run build; needs python3 with torch).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createMlp, createModel, decodeCheckpoint, Rng, toy2dSource, type ModelConfig, type UnetConfig } from '@scm/core';
import { exportDenoiser, exportSampler, type OnnxTrainer } from '@scm/onnx';
import { withoutGuidance } from '../gpu/params-file.js';
import { fmtMs, markdownTable, time, writeResults } from '../lib.js';
import { compiledTrainer, trainConfig, unetStep } from './train-steps.js';

const RUN = 'models/mnist-scd';
const PYTHON = process.env.PYTHON ?? 'python3';
const threads = os.availableParallelism();
const loadAtStart = os.loadavg()[0];
const SAMPLE_BATCHES = [1, 16, 100];
const TRAIN_BATCHES = (process.env.TRAIN_BATCHES ?? '32,128').split(',').map(Number);
const CLI_N = 3000;
const GUIDANCE = 1.5;
const sessionOptions = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: threads } as const;
const tmp = mkdtempSync(join(os.tmpdir(), 'bench-cpu-'));
const ratio = (a: number, b: number) => (a / b).toFixed(2);

const config = JSON.parse(readFileSync(join(RUN, 'config.json'), 'utf8')) as { model: UnetConfig };
const model = createModel(config.model);
const checkpoint = decodeCheckpoint(readFileSync(join(RUN, 'checkpoint.safetensors')));
const sigmaD = config.model.sigmaD;
const [h, w, c] = model.sampleShape;
const rng = new Rng(7);
const tensor = (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: number[]) => new ort.Tensor(type, data, dims);
const noise = (n: number) => tensor('float32', rng.normal(n * h * w * c), [n, h, w, c]);
const labels = (n: number) => tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i % model.numClasses)), [n]);
const guidance = (n: number) => tensor('float32', new Float32Array(n).fill(GUIDANCE), [n]);

const session = (model: Uint8Array | string) =>
  typeof model === 'string' ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);

/** Median ms of each fn, measured in alternation so that load on the machine hits both alike. */
async function interleaved(fns: (() => Promise<unknown>)[], rounds = 5): Promise<number[]> {
  const samples = fns.map(() => [] as number[]);
  for (const fn of fns) await time(fn, { warmup: 2, minRuns: 1, budgetMs: 0 });
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < fns.length; i++) samples[i].push((await time(fns[i], { warmup: 0, minRuns: 3, budgetMs: 500 })).ms);
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

// ---- 1. denoiser graphs --------------------------------------------------------------------------
const ours = exportDenoiser(model, checkpoint.state.ema, { sigmaD });
const torchPath = join(tmp, 'torch-denoiser.onnx');
execFileSync(PYTHON, ['bench/cpu/torch_export.py', RUN, torchPath], { stdio: ['ignore', 'ignore', 'inherit'] });
const [oursSession, torchSession] = [await session(ours), await session(torchPath)];
const denoiser: Record<string, { ours: number; torch: number }> = {};
for (const n of SAMPLE_BATCHES) {
  const feeds = { x: noise(n), t: tensor('float32', Float32Array.from({ length: n }, (_, i) => 0.1 + (1.4 * i) / n), [n]), label: labels(n), guidance: guidance(n) };
  const [a, b] = await interleaved([() => oursSession.run(feeds), () => torchSession.run(feeds)]);
  denoiser[n] = { ours: a, torch: b };
  console.log(`denoiser batch ${n}: ours ${fmtMs(a)} ms, torch.onnx ${fmtMs(b)} ms (${ratio(a, b)}x)`);
}

// ---- 2. samplers, steady state, and the PyTorch side ---------------------------------------------------
const MLP_BATCH = 256;
const mlpModel = createMlp().config as ModelConfig;
const trainCases = [
  ...TRAIN_BATCHES.flatMap((batch) => (['teacher', 'scd'] as const).map((mode) => ({ mode, batch, mlp: false, config: trainConfig(mode, batch, sigmaD) }))),
  ...(['teacher', 'scd'] as const).map((mode) => ({ mode, batch: MLP_BATCH, mlp: true, config: { ...trainConfig(mode, MLP_BATCH, sigmaD), guidanceMax: 0 } })),
];
const caseKey = (t: (typeof trainCases)[number]) => `${t.mlp ? 'mlp-' : ''}${t.mode}@${t.batch}`;
const studentModel = config.model;
const teacherModel = { ...config.model, guidanceInput: false } as ModelConfig;
const plan = {
  run: RUN,
  threads,
  guidance: GUIDANCE,
  sampleSteps: [1, 2],
  sampleBatches: SAMPLE_BATCHES,
  train: trainCases.map((t) =>
    t.mlp ? { train: t.config, model: mlpModel, teacherModel: mlpModel } : { train: t.config, model: t.mode === 'teacher' ? teacherModel : studentModel, teacherModel },
  ),
};
writeFileSync(join(tmp, 'plan.json'), JSON.stringify(plan));
console.log('PyTorch: sampling and training steps ...');
execFileSync(PYTHON, ['bench/cpu/torch_cpu.py', join(tmp, 'plan.json'), join(tmp, 'torch.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
const torch = JSON.parse(readFileSync(join(tmp, 'torch.json'), 'utf8')) as {
  torch: string;
  threads: number;
  sample: Record<string, { ms: number }>;
  train: Record<string, { ms: number; skipped: number }>;
};

const sampling: Record<string, { ours: number; torch: number }> = {};
for (const steps of [1, 2]) {
  const s = await session(exportSampler(model, checkpoint.state.ema, { steps, sigmaD }));
  for (const n of SAMPLE_BATCHES) {
    const feeds: Record<string, ort.Tensor> = { label: labels(n), guidance: guidance(n) };
    for (let i = 0; i < steps; i++) feeds[`z${i}`] = noise(n);
    const ms = (await time(() => s.run(feeds), { warmup: 2, minRuns: 5, budgetMs: 2000 })).ms;
    sampling[`${steps}@${n}`] = { ours: ms, torch: torch.sample[`${steps}@${n}`].ms };
    console.log(`sampler ${steps}-step batch ${n}: ours ${fmtMs(ms)} ms, eager PyTorch ${fmtMs(torch.sample[`${steps}@${n}`].ms)} ms`);
  }
}

// ---- 3. the command line end to end ------------------------------------------------------------------
/** Seconds the command took; it must write `out` with at least the samples' bytes. */
const wall = (cmd: string, args: string[], out: string) => {
  rmSync(out, { force: true });
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  if (!existsSync(out) || statSync(out).size < CLI_N * h * w * c * 4) throw new Error(`${cmd} ${args.join(' ')} did not write ${CLI_N} samples to ${out}`);
  return seconds;
};
const cli: Record<string, { ours: number; torch: number }> = {};
for (const steps of [1, 2]) {
  const oursS = wall(process.execPath, ['apps/trainer/bin/scm.js', 'sample', '--run', RUN, '--backend', 'onnx', '--steps', String(steps), '--n', String(CLI_N), '--guidance', String(GUIDANCE), '--out', join(tmp, 'ours.npy')], join(tmp, 'ours.npy'));
  const torchS = wall(PYTHON, ['bench/cpu/torch_cpu.py', '--sample', RUN, String(CLI_N), String(steps), join(tmp, 'torch.npy'), String(threads)], join(tmp, 'torch.npy'));
  cli[steps] = { ours: CLI_N / oursS, torch: CLI_N / torchS };
  console.log(`scm sample --n ${CLI_N} --steps ${steps}: ours ${(CLI_N / oursS).toFixed(0)} images/s, PyTorch ${(CLI_N / torchS).toFixed(0)} images/s`);
}

// ---- 4. compiled training steps ----------------------------------------------------------------------
async function trainer(t: (typeof trainCases)[number], options: ort.InferenceSession.SessionOptions = sessionOptions): Promise<OnnxTrainer> {
  if (t.mlp) return mlpTrainer(t, options);
  return compiledTrainer(ort, unetStep(t.config, studentModel, checkpoint.state.params, withoutGuidance(checkpoint.state.ema)), options);
}
/** The toy MLP with its default init (random weights would do as well: a step's cost does not depend on them). */
async function mlpTrainer(t: (typeof trainCases)[number], options: ort.InferenceSession.SessionOptions): Promise<OnnxTrainer> {
  const mlp = createMlp();
  const params = mlp.init(new Rng(1));
  const data = toy2dSource('checkerboard', { sigmaD });
  return compiledTrainer(ort, { config: t.config, model: mlp, params, data, ...(t.mode === 'scd' ? { teacher: { model: mlp, params } } : {}) }, options);
}
const training: Record<string, { ours: number; torch: number; skipped: number }> = {};
for (const t of trainCases) {
  const compiled = await trainer(t);
  const ms = (await time(() => compiled.step(), { warmup: 2, minRuns: 5, budgetMs: 8000 })).ms;
  await compiled.release();
  const key = caseKey(t);
  training[key] = { ours: ms, torch: torch.train[key].ms, skipped: compiled.state.skipped };
  console.log(`${key} step: ours ${fmtMs(ms)} ms, eager PyTorch ${fmtMs(torch.train[key].ms)} ms (${ratio(ms, torch.train[key].ms)}x)`);
}

// ---- 5. session settings, and where a compiled step's time goes ---------------------------------------
const SETTINGS: Record<string, ort.InferenceSession.SessionOptions> = {
  [`${threads} threads, sequential (default)`]: sessionOptions,
  '1 thread': { ...sessionOptions, intraOpNumThreads: 1 },
  [`${threads} threads, parallel execution`]: { ...sessionOptions, executionMode: 'parallel', interOpNumThreads: threads },
  [`${threads} threads, no memory arena`]: { ...sessionOptions, enableCpuMemArena: false },
};
const scd32 = trainCases.find((t) => t.mode === 'scd' && !t.mlp) as (typeof trainCases)[number];
const settingFeeds = { x: noise(100), t: tensor('float32', new Float32Array(100).fill(0.7), [100]), label: labels(100), guidance: guidance(100) };
const denoiserSessions = await Promise.all(Object.values(SETTINGS).map((o) => ort.InferenceSession.create(ours, o)));
const denoiserBySetting = await interleaved(denoiserSessions.map((s) => () => s.run(settingFeeds)), 3);
const trainers = await Promise.all(Object.values(SETTINGS).map((o) => trainer(scd32, o)));
const stepBySetting = await interleaved(trainers.map((t) => () => t.step()), 2);
await Promise.all(trainers.map((t) => t.release()));
const settings = Object.keys(SETTINGS).map((name, i) => ({ name, denoiser100: denoiserBySetting[i], scdStep: stepBySetting[i] }));
for (const s of settings) console.log(`session ${s.name}: denoiser batch 100 ${fmtMs(s.denoiser100)} ms, sCD step batch ${scd32.batch} ${fmtMs(s.scdStep)} ms`);

const profileDir = mkdtempSync(join(tmp, 'profile-'));
const profiled = await trainer(scd32, { ...sessionOptions, enableProfiling: true, profileFilePrefix: join(profileDir, 'scd') });
const PROFILED_STEPS = 3;
for (let i = 0; i < PROFILED_STEPS + 1; i++) await profiled.step();
profiled.endProfiling();
await profiled.release();
interface ProfileEvent {
  readonly cat?: string;
  readonly name: string;
  readonly dur: number;
  readonly args?: { readonly op_name?: string };
}
const events = JSON.parse(readFileSync(join(profileDir, readdirSync(profileDir)[0]), 'utf8')) as ProfileEvent[];
const runs = events.filter((e) => e.name === 'model_run').length;
const byOp = new Map<string, { ms: number; nodes: Set<string> }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
  const entry = byOp.get(e.args.op_name) ?? { ms: 0, nodes: new Set() };
  entry.ms += e.dur / 1000 / runs;
  entry.nodes.add(e.name);
  byOp.set(e.args.op_name, entry);
}
const profileTotal = [...byOp.values()].reduce((a, b) => a + b.ms, 0);
const profile = [...byOp.entries()]
  .sort((a, b) => b[1].ms - a[1].ms)
  .slice(0, 12)
  .map(([op, { ms, nodes }]) => ({ op, ms, share: ms / profileTotal, nodes: nodes.size }));
rmSync(tmp, { recursive: true, force: true });

// ---- report ------------------------------------------------------------------------------------------
const loadAtEnd = os.loadavg()[0];
const rows: (string | number)[][] = [
  ...SAMPLE_BATCHES.map((n) => [`denoiser forward, batch ${n}: ours vs torch.onnx, both in onnxruntime-node`, `${fmtMs(denoiser[n].ours)} ms`, `${fmtMs(denoiser[n].torch)} ms`, `${ratio(denoiser[n].ours, denoiser[n].torch)}x time`]),
  ...Object.entries(sampling).map(([k, v]) => {
    const [steps, n] = k.split('@');
    return [`${steps}-step sampler, batch ${n}: exported graph vs eager PyTorch`, `${fmtMs(v.ours)} ms`, `${fmtMs(v.torch)} ms`, `${ratio(v.torch, v.ours)}x throughput`];
  }),
  ...Object.entries(cli).map(([steps, v]) => [`scm sample --backend onnx --n ${CLI_N} --steps ${steps}, end to end`, `${v.ours.toFixed(0)} images/s`, `${v.torch.toFixed(0)} images/s`, `${ratio(v.ours, v.torch)}x throughput`]),
  ...Object.entries(training).map(([k, v]) => {
    const [name, n] = k.split('@');
    const [net, mode] = name.startsWith('mlp-') ? ['toy MLP', name.slice(4)] : ['U-Net', name];
    return [`${net} ${mode === 'scd' ? 'sCD' : 'teacher'} training step, batch ${n}: compiled vs the twin's eager step`, `${fmtMs(v.ours)} ms`, `${fmtMs(v.torch)} ms`, `${ratio(v.ours, v.torch)}x time`];
  }),
];
const markdown = [
  '# bench/cpu: our ONNX graphs and compiled steps against PyTorch on the same CPU',
  '',
  `${os.cpus()[0]?.model ?? 'cpu'}, ${threads} threads on both sides (ONNX Runtime ${ort.env.versions?.common ?? ''}, PyTorch ${torch.torch} with ${torch.threads} threads), load average ${loadAtStart.toFixed(1)} at the start and ${loadAtEnd.toFixed(1)} at the end.`,
  `Model: ${RUN} (U-Net, class-conditional with a guidance input). Medians; denoiser rows measured in alternation.`,
  '',
  markdownTable(['work', 'ours', 'PyTorch', 'ratio'], rows),
  '',
  '## ONNX Runtime session settings',
  '',
  `The same graphs under each setting, measured in alternation: the denoiser at batch 100 and the compiled sCD step at batch ${scd32.batch}.`,
  '',
  markdownTable(['setting', 'denoiser, batch 100', `sCD step, batch ${scd32.batch}`], settings.map((s) => [s.name, `${fmtMs(s.denoiser100)} ms`, `${fmtMs(s.scdStep)} ms`])),
  '',
  `## Where the compiled sCD step's time goes (batch ${scd32.batch}, ONNX Runtime's profiler, ${PROFILED_STEPS + 1} steps)`,
  '',
  markdownTable(['operator', 'ms per step', 'share', 'nodes'], profile.map((p) => [p.op, fmtMs(p.ms), `${(100 * p.share).toFixed(1)}%`, p.nodes])),
].join('\n');
writeResults('cpu', { threads, loadAtStart, loadAtEnd, torch: torch.torch, denoiser, sampling, cli, training, settings, profile }, markdown);
console.log(markdown);
