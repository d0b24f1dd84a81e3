/** --backend onnx (compiled training, exported sampler) and scm export, checked against the eager wasm path. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, Rng, toy2dSource } from '@scm/core';
import { decodeNpy } from '@scm/datasets';
import { checkModel, OnnxSampler } from '@scm/onnx';
import { relativeError } from '@scm/core/testing';
import { oneLine, readCheckpoint, scm, tempDir, TINY } from './helpers.js';

const TOL = 1e-4;
const OPT_TOL = 1e-3;
const root = tempDir();
const teacher = join(root, 'teacher');
const scd = join(root, 'scd');
const condTeacher = join(root, 'cond-teacher');
const condScd = join(root, 'cond-scd');

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  for (const argv of [
    ['train-teacher', '--steps', '4', '--out', teacher, ...TINY],
    ['distill', '--teacher', teacher, '--steps', '3', '--out', scd, '--batch', '16', '--tangent-warmup', '2'],
    ['train-teacher', '--conditional', '--data', '8gaussians', '--steps', '2', '--out', condTeacher, ...TINY],
    ['distill', '--teacher', condTeacher, '--steps', '2', '--out', condScd, '--batch', '16'],
  ]) {
    const r = await scm(...argv);
    expect(r.code, r.stderr).toBe(0);
  }
});

function readCsv(path: string): Float32Array {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('x,y');
  return Float32Array.from(lines.slice(1).flatMap((l) => l.split(',').map(Number)));
}

async function sampleCsv(dir: string, name: string, ...argv: string[]): Promise<Float32Array> {
  const out = join(root, `${name}.csv`);
  const r = await scm('sample', '--run', dir, '--out', out, ...argv);
  expect(r.code, r.stderr).toBe(0);
  return readCsv(out);
}

/**
 * Every tensor of two runs' checkpoints agrees to `TOL`, each value relative to |e| + the mean |e| of
 * its group (params, EMA, optimiser state). The group's scale rather than the tensor's: with a
 * zero-initialised output layer and group norms, some biases start at zero and get gradients that
 * are mostly cancellation, which Adam normalises, so a near-zero tensor carries float32 noise that is
 * large next to itself (the wasm and cpu backends of TensorFlow.js differ by 3e-4 there, relative to
 * the tensor) but some 1e-5 next to the weights around it. The optimiser's moments are averages of
 * gradients, which carry that noise undamped (wasm and cpu differ by 1e-4 there after 6 steps): they
 * get `OPT_TOL`.
 */
function compareCheckpoints(a: string, b: string): number {
  const x = readCheckpoint(a);
  const y = readCheckpoint(b);
  expect(x.meta.step).toBe(y.meta.step);
  expect(x.meta.rng).toEqual(y.meta.rng);
  let worst = 0;
  for (const group of ['params', 'ema', 'opt'] as const) {
    expect(Object.keys(x.state[group]).sort()).toEqual(Object.keys(y.state[group]).sort());
    const expected = Object.values(y.state[group]);
    const count = expected.reduce((n, t) => n + t.data.length, 0);
    const floor = expected.reduce((sum, t) => t.data.reduce((s, v) => s + Math.abs(v), sum), 0) / count;
    for (const [name, t] of Object.entries(x.state[group])) {
      const e = y.state[group][name].data;
      let err = 0;
      for (let i = 0; i < e.length; i++) err = Math.max(err, Math.abs(t.data[i] - e[i]) / (Math.abs(e[i]) + floor));
      expect(err, `${group}.${name}`).toBeLessThan(group === 'opt' ? OPT_TOL : TOL);
      worst = Math.max(worst, err);
    }
  }
  return worst;
}

describe('scm export', () => {
  it('writes the sampler of a consistency run that onnxruntime-node runs, equal to scm sample on the same seed', async () => {
    const out = join(root, 'model.onnx');
    const r = await scm('export', '--run', scd, '--format', 'onnx', '--steps', '2', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/inputs:\n\s+z0\s+float32 \[batch, 2\]\n\s+z1\s+float32 \[batch, 2\]\noutputs:\n\s+x\s+float32 \[batch, 2\]/);
    expect(existsSync(`${out}.tmp`)).toBe(false);
    const bytes = new Uint8Array(readFileSync(out));
    expect(() => checkModel(bytes)).not.toThrow();

    // The noise scm sample draws for --seed 5: one normal draw of n x 2 per step, in order.
    const n = 64;
    const rng = new Rng(5);
    const [z0, z1] = [rng.normal(n * 2), rng.normal(n * 2)];
    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({ z0: new ort.Tensor('float32', z0, [n, 2]), z1: new ort.Tensor('float32', z1, [n, 2]) });
    await session.release();
    const eager = await sampleCsv(scd, 'export-eager', '--steps', '2', '--n', String(n), '--seed', '5');
    expect(relativeError(result.x.data as Float32Array, eager)).toBeLessThan(TOL);
  });

  it('exports an image run (models/mnist-scd): samples in data units [-1, 1], equal to scm sample on the same seed', async () => {
    const run = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'mnist-scd');
    const out = join(root, 'mnist.onnx');
    const r = await scm('export', '--run', run, '--steps', '1', '--guidance', '1.5', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/z0\s+float32 \[batch, 28, 28, 1\]\n\s+label\s+int64 \[batch\]\noutputs:\n\s+x\s+float32 \[batch, 28, 28, 1\]/);

    const n = 4;
    const z0 = new Rng(3).normal(n * 28 * 28);
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(out)));
    const result = await session.run({ z0: new ort.Tensor('float32', z0, [n, 28, 28, 1]), label: new ort.Tensor('int64', new BigInt64Array(n).fill(7n), [n]) });
    await session.release();
    const npy = join(root, 'sevens.npy');
    const s = await scm('sample', '--run', run, '--steps', '1', '--class', '7', '--guidance', '1.5', '--n', String(n), '--seed', '3', '--out', npy);
    expect(s.code, s.stderr).toBe(0);
    const eager = decodeNpy(new Uint8Array(readFileSync(npy)));
    expect(eager.shape).toEqual([n, 28, 28, 1]);
    // .npy images are clipped to [-1, 1]; the graph's x is not.
    const clipped = Float32Array.from(result.x.data as Float32Array, (v) => Math.min(1, Math.max(-1, v)));
    expect(relativeError(clipped, eager.data as Float32Array)).toBeLessThan(TOL);
  });

  it('a 1-step sampler at a fixed batch, and a conditional run\'s label and guidance inputs', async () => {
    const fixed = join(root, 'fixed.onnx');
    const r = await scm('export', '--run', scd, '--steps', '1', '--batch', '8', '--out', fixed);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/z0\s+float32 \[8, 2\]/);
    expect(r.stdout).not.toMatch(/z1/);
    const sampler = await OnnxSampler.create(ort, new Uint8Array(readFileSync(fixed)));
    const x = await sampler.run({ z0: new Rng(2).normal(16) }, 8);
    await sampler.release();
    const eager = await sampleCsv(scd, 'fixed-eager', '--steps', '1', '--n', '8', '--seed', '2');
    expect(relativeError(x, eager)).toBeLessThan(TOL);

    const cond = await scm('export', '--run', condScd, '--out', join(root, 'cond.onnx'));
    expect(cond.code, cond.stderr).toBe(0);
    expect(cond.stdout).toMatch(/label\s+int64 \[batch\]/);
    expect(cond.stdout).toMatch(/guidance\s+float32 \[batch\]/);
    const guided = await scm('export', '--run', condScd, '--guidance', '1.5', '--out', join(root, 'cond-fixed.onnx'));
    expect(guided.code, guided.stderr).toBe(0);
    expect(guided.stdout).not.toMatch(/guidance/);
  });

  it('--mid-t: the exported 2-step sampler is F composed around the moved time, as scm sample draws it on either backend', async () => {
    const moved = join(root, 'mid.onnx');
    const denoiser = join(root, 'mid-denoiser.onnx');
    const r = await scm('export', '--run', scd, '--steps', '2', '--mid-t', '0.3', '--out', moved);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2-step consistency sampler \(t_mid 0\.3\)/);
    expect((await scm('export', '--run', scd, '--denoiser', '--out', denoiser)).code).toBe(0);
    const sigmaD = readCheckpoint(scd).meta.train.sigmaD;
    const tMax = Math.atan(80 / sigmaD);
    const sampler = await OnnxSampler.create(ort, new Uint8Array(readFileSync(moved)));
    expect(JSON.parse(sampler.metadata['scm.times'])).toEqual([tMax, 0.3]);
    await sampler.release();

    // Reference: f(x, t) = cos t x - sin t sigma_d F(x / sigma_d, t), in float64 around the exported F.
    const n = 64;
    const rng = new Rng(5);
    const [z0, z1] = [rng.normal(n * 2), rng.normal(n * 2)];
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(denoiser)));
    const f = async (x: Float64Array, t: number) => {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x, (v) => v / sigmaD), [n, 2]), t: new ort.Tensor('float32', new Float32Array(n).fill(t), [n]) });
      const F = out.F.data as Float32Array;
      return x.map((v, i) => Math.cos(t) * v - Math.sin(t) * sigmaD * F[i]);
    };
    const x0 = await f(Float64Array.from(z0, (v) => v * sigmaD), tMax);
    const x = await f(x0.map((v, i) => Math.cos(0.3) * v + Math.sin(0.3) * sigmaD * z1[i]), 0.3);
    await session.release();
    const { affine } = toy2dSource('checkerboard', { sigmaD });
    const reference = Float32Array.from(x, (v, i) => v / affine!.scale + affine!.mean[i % 2]);

    const args = ['--steps', '2', '--n', String(n), '--seed', '5'];
    for (const backend of ['wasm', 'onnx']) {
      const drawn = await sampleCsv(scd, `mid-${backend}`, ...args, '--mid-t', '0.3', '--backend', backend);
      expect(relativeError(drawn, reference), backend).toBeLessThan(TOL);
    }
    // 0.3 is the 2-D default; the paper's 1.1 draws other points from the same noise.
    expect(relativeError(await sampleCsv(scd, 'mid-default', ...args), reference)).toBeLessThan(TOL);
    expect(relativeError(await sampleCsv(scd, 'mid-paper', ...args, '--mid-t', '1.1'), reference)).toBeGreaterThan(1e-2);
  });

  it('exports any run\'s denoiser with --denoiser', async () => {
    const r = await scm('export', '--run', teacher, '--denoiser', '--out', join(root, 'denoiser.onnx'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/x\s+float32 \[batch, 2\]\n\s+t\s+float32 \[batch\]\noutputs:\n\s+F\s+float32 \[batch, 2\]/);
    expect(() => checkModel(new Uint8Array(readFileSync(join(root, 'denoiser.onnx'))))).not.toThrow();
  });

  it('refuses a teacher run, an unknown --format and a missing --out with one line', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['export', '--run', teacher, '--out', join(root, 'x.onnx')], 2, /is a diffusion teacher run: only consistency \(sCD\/sCT\) runs export a sampler; export its denoiser with --denoiser/],
      [['export', '--run', scd, '--format', 'tflite', '--out', join(root, 'x.onnx')], 2, /unknown --format "tflite": choose one of onnx/],
      [['export', '--run', scd], 2, /missing --out/],
      [['export', '--run', scd, '--guidance', '1.5', '--out', join(root, 'x.onnx')], 2, /--guidance needs a class-conditional run/],
      [['export', '--run', teacher, '--denoiser', '--steps', '2', '--out', join(root, 'x.onnx')], 2, /--steps and --mid-t are for the sampler/],
      [['export', '--run', scd, '--steps', '1', '--mid-t', '0.3', '--out', join(root, 'x.onnx')], 2, /--mid-t is the intermediate time of 2 or more consistency steps/],
      [['export', '--run', join(root, 'nowhere'), '--out', join(root, 'x.onnx')], 1, /does not exist/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await scm(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(oneLine(r.stderr)).toMatch(message);
    }
    expect(existsSync(join(root, 'x.onnx'))).toBe(false);
    const h = await scm('export', '--help');
    expect(h.stdout).toContain('Usage: scm export');
    expect(h.stdout).toMatch(/--denoiser/);
  });
});

describe('scm sample --backend onnx', () => {
  it('equals --backend wasm on the same seed, over more than one noise chunk', async () => {
    const args = ['--steps', '2', '--n', '5000', '--seed', '11'];
    const onnx = await sampleCsv(scd, 'onnx', ...args, '--backend', 'onnx');
    const wasm = await sampleCsv(scd, 'wasm', ...args);
    expect(onnx).toHaveLength(10000);
    expect(relativeError(onnx, wasm)).toBeLessThan(TOL);
  });

  it('draws the same labels and applies the guidance input like the eager path', async () => {
    for (const extra of [[], ['--class', '3', '--guidance', '1.5']]) {
      const args = ['--steps', '1', '--n', '40', '--seed', '4', ...extra];
      const onnx = await sampleCsv(condScd, 'cond-onnx', ...args, '--backend', 'onnx');
      const wasm = await sampleCsv(condScd, 'cond-wasm', ...args);
      expect(relativeError(onnx, wasm), extra.join(' ')).toBeLessThan(TOL);
    }
  });

  it('samples a teacher run with its ODE sampler unrolled into one graph, as --backend wasm does', async () => {
    for (const [dir, extra] of [
      [teacher, ['--sampler', 'heun', '--nfe', '9']],
      [condTeacher, ['--sampler', 'ddim', '--nfe', '4', '--guidance', '2']],
    ] as const) {
      const args = ['--n', '300', '--seed', '2', ...extra];
      const onnx = await sampleCsv(dir, 'teacher-onnx', ...args, '--backend', 'onnx');
      const wasm = await sampleCsv(dir, 'teacher-wasm', ...args);
      expect(onnx).toHaveLength(600);
      expect(relativeError(onnx, wasm), extra.join(' ')).toBeLessThan(TOL);
    }
  });

  it('eval --backend onnx scores what --backend wasm scores, the raw weights too', async () => {
    const scores = async (...extra: string[]) => {
      const r = await scm('eval', '--run', teacher, '--n', '200', '--json', ...extra);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).rows.map((row: { energyDistance: number }) => row.energyDistance) as number[];
    };
    for (const weights of ['ema', 'params']) {
      const [onnx, wasm] = [await scores('--backend', 'onnx', '--weights', weights), await scores('--weights', weights)];
      expect(onnx).toHaveLength(6);
      for (const [i, v] of onnx.entries()) expect(Math.abs(v - wasm[i]), `${weights} row ${i}`).toBeLessThan(1e-4);
    }
  });
});

describe('training with --backend onnx', () => {
  it('train-teacher matches wasm to float32 tolerance, and wasm resumes its checkpoint', async () => {
    const onnx = join(root, 'teacher-onnx');
    const wasm = join(root, 'teacher-wasm');
    const o = await scm('train-teacher', '--steps', '4', '--seed', '3', '--out', onnx, '--backend', 'onnx', ...TINY);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stderr).toMatch(/onnxruntime-node \(\d+ threads\)/);
    expect(readFileSync(join(onnx, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([2, 4]);
    const w = await scm('train-teacher', '--steps', '4', '--seed', '3', '--out', wasm, '--backend', 'wasm', ...TINY);
    expect(w.code, w.stderr).toBe(0);
    compareCheckpoints(onnx, wasm);

    // Either engine continues the other's checkpoint.
    const resumed = await scm('train-teacher', '--resume', '--steps', '6', '--out', onnx, '--backend', 'wasm');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming');
    const back = await scm('train-teacher', '--resume', '--steps', '6', '--out', wasm, '--backend', 'onnx');
    expect(back.code, back.stderr).toBe(0);
    compareCheckpoints(onnx, wasm);
  });

  it('distill (sCD, the teacher baked into the compiled step) matches wasm', async () => {
    const common = ['--teacher', teacher, '--steps', '3', '--batch', '16', '--tangent-warmup', '2', '--log-every', '1'];
    const onnx = join(root, 'scd-onnx');
    const o = await scm('distill', ...common, '--out', onnx, '--backend', 'onnx');
    expect(o.code, o.stderr).toBe(0);
    compareCheckpoints(onnx, scd);
  });

  it('a model with dropout is refused with one line', async () => {
    const dir = join(root, 'dropout');
    expect((await scm('train-teacher', '--steps', '1', '--out', dir, ...TINY)).code).toBe(0);
    const file = join(dir, 'checkpoint.safetensors');
    const { meta, state } = decodeCheckpoint(new Uint8Array(readFileSync(file)));
    writeFileSync(file, encodeCheckpoint({ ...meta, model: { ...meta.model, dropout: 0.1 } }, state));
    const r = await scm('train-teacher', '--resume', '--steps', '2', '--out', dir, '--backend', 'onnx');
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--backend onnx cannot train this run: compileTrainStep: the model uses dropout/);
    expect(readCheckpoint(dir).meta.step).toBe(1);
  });
});
