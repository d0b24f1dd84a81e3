/**
 * bench/gpu, the Node side that runs on the GPU machine: @scm/webgpu through Dawn (the `webgpu`
 * package, which it loads itself when installed) runs the conformance suite, then times an sCD training step and 1/2-step sampling of the
 * U-Nets listed in the pack's crosscheck.json, and the same network's forward on the cross-check
 * inputs is compared with the values written here on wasm. pack.ts bundles this file (with
 * everything it imports) into the pack as bench.mjs.
 *
 *   node bench.mjs --pack DIR --out webgpu.json [--params-dir DIR] [--batch 128] [--repeats 10] [--configs a,b] [--fallback cpu]
 *
 * --fallback runs everything on a tfjs CPU backend where WebGPU is missing: a check of this script
 * on machines without a GPU, never a benchmark (the JSON records the backend).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createUnet,
  decodeSafetensors,
  defaultTrainConfig,
  generate,
  initState,
  makeOptimizer,
  Rng,
  toDevice,
  trainStep,
  type DataSource,
  type HostParams,
  type TrainState,
  type UnetConfig,
} from '@scm/core';
import { conformanceCases, relativeError } from '@scm/core/testing';
import { createWebGpuOps, type Fallback, type TfjsOps } from '@scm/webgpu';
import { measurePrimitives } from '../../packages/webgpu/test/browser/timings.js';
import { readParams, withoutGuidance, writeParams } from './params-file.js';

const { values: args } = parseArgs({
  options: {
    pack: { type: 'string' },
    out: { type: 'string' },
    batch: { type: 'string', default: '128' },
    repeats: { type: 'string', default: '10' },
    fallback: { type: 'string', default: 'error' },
    'params-dir': { type: 'string' },
    configs: { type: 'string' },
  },
});
if (!args.pack || !args.out) throw new Error('usage: node bench.mjs --pack DIR --out FILE.json [--params-dir DIR] [--batch N] [--repeats K] [--configs a,b] [--fallback cpu]');
const packDir = args.pack;
const BATCH = Number(args.batch);
const REPEATS = Number(args.repeats);
const GUIDANCE = 1.5;

interface TimedConfig {
  readonly name: string;
  readonly unet: UnetConfig;
  /** The teacher: the same network without the guidance input. */
  readonly teacherUnet: UnetConfig;
  /** Parameters (safetensors): in the pack, or, with initSeed, drawn here and written to --params-dir for PyTorch. */
  readonly params: string;
  readonly initSeed?: number;
}
interface Crosscheck {
  readonly configs: readonly TimedConfig[];
  readonly forward: {
    /** Config name whose params the cross-check used, and the tensors in crosscheck.safetensors. */
    readonly config: string;
    readonly inputs: { readonly x: string; readonly t: string; readonly labels?: string; readonly guidance?: string };
    readonly output: string;
  };
}
const crosscheck = JSON.parse(readFileSync(join(packDir, 'crosscheck.json'), 'utf8')) as Crosscheck;

const paramsDir = args['params-dir'] ?? packDir;

/** A timed config's weights: from the pack, or drawn from initSeed and written out for torch_bench.py. */
function paramsOf(c: TimedConfig): HostParams {
  if (c.initSeed === undefined) return readParams(join(packDir, c.params));
  const host = createUnet(c.unet).init(new Rng(c.initSeed));
  mkdirSync(paramsDir, { recursive: true });
  writeParams(join(paramsDir, c.params), host);
  return host;
}

/** Median milliseconds of `fn` after two warm-up calls; `fn` must read its result back (that is what waits for the GPU). */
async function median(fn: () => Promise<void>): Promise<{ ms: number; firstMs: number }> {
  const ms: number[] = [];
  for (let i = 0; i < REPEATS + 2; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  const rest = ms.slice(2).sort((a, b) => a - b);
  return { ms: rest[rest.length >> 1], firstMs: ms[0] };
}

/** Random images and labels of the model's shape: the step's cost does not depend on the data. */
function noiseSource(config: UnetConfig): DataSource {
  const shape = [config.imageSize, config.imageSize, config.channels];
  const identity = (x: Float32Array) => x;
  return {
    name: 'noise',
    sampleShape: shape,
    numClasses: config.numClasses,
    sample: (rng, n) => ({ x: rng.normal(n * shape[0] * shape[1] * shape[2]).map((v) => v * config.sigmaD), labels: Int32Array.from(rng.uniform(n), (u) => Math.floor(u * config.numClasses)) }),
    toData: identity,
    fromData: identity,
  };
}

async function timeConfig(o: TfjsOps, c: TimedConfig) {
  const model = createUnet(c.unet);
  const host = paramsOf(c);
  const config = defaultTrainConfig('scd', { batch: BATCH, steps: 1000, sigmaD: c.unet.sigmaD, tangentWarmup: 100 });
  const teacherParams = toDevice(o, withoutGuidance(host));
  const teacher = { model: createUnet(c.teacherUnet), params: teacherParams };
  const ctx = { model, config, data: noiseSource(c.unet), optimizer: makeOptimizer(config), teacher };
  let state: TrainState<unknown> = initState(o, model, config, host) as TrainState<unknown>;
  const step = await median(async () => {
    const out = trainStep(o, ctx as never, state as never);
    state = out.state as TrainState<unknown>;
    await o.read(out.loss as never);
    o.dispose([out.loss, out.gradNorm, out.applied] as never);
  });
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % c.unet.numClasses);
  const sampling = async (steps: number) =>
    median(async () => {
      await generate(o, model, state.ema as never, c.unet.sigmaD, { sampler: 'consistency', steps, n: BATCH, batch: BATCH, seed: 1, labels, guidance: GUIDANCE });
    });
  const result = { name: c.name, batch: BATCH, params: Object.values(host).reduce((a, v) => a + v.data.length, 0), scdStep: step, sample1: await sampling(1), sample2: await sampling(2) };
  o.dispose(Object.values(teacherParams));
  return result;
}

/** Our forward on this backend against the values crosscheck.ts computed on wasm. */
async function forwardError(o: TfjsOps): Promise<number> {
  const f = crosscheck.forward;
  const c = crosscheck.configs.find((x) => x.name === f.config);
  if (!c) throw new Error(`crosscheck.json: no config named ${f.config}`);
  const tensors = decodeSafetensors(readFileSync(join(packDir, 'crosscheck.safetensors'))).tensors;
  const get = (name: string) => {
    const v = tensors[name];
    if (!v) throw new Error(`crosscheck.safetensors has no tensor ${name}`);
    return o.fromArray(Float32Array.from(v.data as ArrayLike<number>), [...v.shape]);
  };
  const model = createUnet(c.unet);
  const host = readParams(join(packDir, c.params));
  const params = toDevice(o, host);
  const cond = { ...(f.inputs.labels ? { labels: get(f.inputs.labels) } : {}), ...(f.inputs.guidance ? { guidance: get(f.inputs.guidance) } : {}) };
  const out = await o.read(model.F(o, params, get(f.inputs.x), get(f.inputs.t), cond));
  return relativeError(out, tensors[f.output].data as ArrayLike<number>);
}

async function main() {
  // @scm/webgpu loads Dawn from the pack's node_modules/webgpu (SCM_DAWN_FLAGS passes it flags).
  const { ops, adapter, backend } = await createWebGpuOps({ fallback: args.fallback as Fallback });
  process.stderr.write(`backend ${backend}\n${JSON.stringify(adapter)}\n`);

  const began = performance.now();
  const failures: { name: string; error: string }[] = [];
  const cases = conformanceCases(ops, { tolerance: 1e-3, liveTensors: () => ops.numTensors() });
  for (const c of cases) {
    try {
      await c.run();
    } catch (error) {
      failures.push({ name: c.name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const conformance = { cases: cases.length, failed: failures.length, failures, seconds: (performance.now() - began) / 1000 };
  process.stderr.write(`conformance: ${cases.length - failures.length}/${cases.length} passed in ${conformance.seconds.toFixed(1)} s\n`);

  const forwardRelativeError = await forwardError(ops);
  const primitives = await measurePrimitives(ops);
  const timings = [];
  const wanted = args.configs?.split(',');
  for (const c of crosscheck.configs.filter((x) => !wanted || wanted.includes(x.name))) {
    process.stderr.write(`timing ${c.name} at batch ${BATCH}\n`);
    timings.push(await timeConfig(ops, c));
  }
  const report = { backend, adapter, node: process.version, conformance, forwardRelativeError, primitives, timings };
  writeFileSync(args.out!, JSON.stringify(report, null, 2) + '\n');
  process.stderr.write(`wrote ${args.out}\n`);
}

await main();
// Dawn's device keeps the event loop alive.
process.exit(0);
