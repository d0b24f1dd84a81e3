/** The command line's front matter: --version, help that lists only what a command takes, and the default backend. */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOY2D_RECIPE } from '@scm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, TFJS_BACKENDS } from '../src/options/args.js';
import { defaultBackend } from '../src/options/backend-choice.js';
import { QUICKSTART } from '../src/commands/quickstart.js';
import { coarsestResolution, imageUnetRecipe } from '../src/recipe/recipe.js';
import { BIN, scm, tempDir } from './helpers.js';

const root = tempDir();
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('scm --version', () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    const r = await scm('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });
});

describe('help lists only what applies', () => {
  it('export and package take neither --seed nor --backend, and do not list them', async () => {
    for (const name of ['export', 'package']) {
      const h = await scm(name, '--help');
      expect(h.stdout).not.toMatch(/--seed|--backend/);
      expect(h.stdout).not.toMatch(/do not apply/);
    }
  });

  it("eval's description names the image metrics beside the 2-D ones", async () => {
    const h = await scm('--help');
    expect(h.stdout).toMatch(/eval +.*Frechet/);
  });
});

describe('the default backend', () => {
  it('is onnx where the command runs on it and onnxruntime-node loads, else wasm', () => {
    expect(defaultBackend(BACKENDS, () => true)).toBe('onnx');
    expect(defaultBackend(BACKENDS, () => false)).toBe('wasm');
    expect(defaultBackend(TFJS_BACKENDS, () => true)).toBe('wasm');
  });

  it('falls back to wasm when onnxruntime-node cannot load, and --help says which it is', () => {
    // A preload that makes every require of onnxruntime-node fail, as on a platform without its binary.
    const preload = join(root, 'no-onnxruntime.cjs');
    writeFileSync(
      preload,
      "const Module = require('node:module'); const load = Module._load;\n" +
        "Module._load = function (request, ...rest) { if (request === 'onnxruntime-node') throw new Error('no binary here'); return load.call(this, request, ...rest); };\n",
    );
    const help = (...pre: string[]) => spawnSync(process.execPath, [...pre, BIN, 'train-teacher', '--help'], { encoding: 'utf8', timeout: 60_000 }).stdout;
    expect(help('--require', preload)).toMatch(/\(here: wasm\)/);
    expect(help()).toMatch(/\(here: onnx\)/);
  });
});

describe('a run with no flags takes the best-known recipe', () => {
  it("2-D: the quick start's network, rates, warmup and 2-step intermediate time", async () => {
    const teacher = join(root, 'teacher');
    const scd = join(root, 'scd');
    expect((await scm('train-teacher', '--steps', '1', '--backend', 'wasm', '--out', teacher)).code).toBe(0);
    expect((await scm('distill', '--teacher', teacher, '--steps', '1', '--backend', 'wasm', '--out', scd)).code).toBe(0);
    const [t, s] = [teacher, scd].map((dir) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
    const { width, blocks, inputFeatures, inputFeatureScale } = TOY2D_RECIPE;
    expect(t.model).toMatchObject({ kind: 'mlp', width, blocks, inputFeatures, inputFeatureScale });
    expect(t.train).toMatchObject({ batch: TOY2D_RECIPE.batch, lr: { kind: TOY2D_RECIPE.lrSchedule, lr: TOY2D_RECIPE.teacherLr, decaySteps: 1 } });
    expect(s.train).toMatchObject({ batch: TOY2D_RECIPE.batch, tangentWarmup: TOY2D_RECIPE.tangentWarmup, lr: { kind: TOY2D_RECIPE.lrSchedule, lr: TOY2D_RECIPE.distillLr } });
    // The teacher draws its times from the paper's proposal (P_mean -0.8, P_std 1.6); the 2-D student from the recipe's.
    expect(t.train.proposal).toEqual({ pMean: -0.8, pStd: 1.6 });
    expect(s.train.proposal).toEqual(TOY2D_RECIPE.distillProposal);
    const report = JSON.parse((await scm('eval', '--run', scd, '--steps', '2', '--n', '20', '--backend', 'wasm', '--json')).stdout);
    expect(report.rows[1]).toMatchObject({ steps: 2, midT: TOY2D_RECIPE.midT });
  });

  it('the quick start is that recipe', () => {
    for (const [key, value] of Object.entries(TOY2D_RECIPE)) expect(QUICKSTART).toHaveProperty(key, value);
  });

  it("--p-mean and --p-std set a run's time proposal, which sCT takes from the paper otherwise and a resume keeps", async () => {
    const teacher = join(root, 'teacher');
    const scd = join(root, 'scd-proposal');
    const sct = join(root, 'sct-proposal');
    expect((await scm('distill', '--teacher', teacher, '--steps', '1', '--p-mean', '-2', '--p-std', '0.5', '--backend', 'wasm', '--out', scd)).code).toBe(0);
    expect((await scm('train-ct', '--init', teacher, '--steps', '1', '--backend', 'wasm', '--out', sct)).code).toBe(0);
    const proposal = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).train.proposal;
    expect(proposal(scd)).toEqual({ pMean: -2, pStd: 0.5 });
    expect(proposal(sct)).toEqual({ pMean: -1, pStd: 1.4 });
    const resumed = await scm('distill', '--resume', '--steps', '2', '--p-mean', '-1', '--backend', 'wasm', '--out', scd);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toMatch(/--p-mean -1 differs from the run's -2/);
    // An option's value may also look like an option only where it is not a number.
    const flagAsValue = await scm('distill', '--resume', '--steps', '2', '--p-mean', '--seed', '--out', scd);
    expect(flagAsValue.code).toBe(2);
    expect(flagAsValue.stderr).toMatch(/--p-mean got a value starting with "-"/);
    const bad = await scm('distill', '--teacher', teacher, '--steps', '1', '--p-std', '0', '--backend', 'wasm', '--out', join(root, 'scd-bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--p-std must be a positive number, got "0"/);
  });

  it('--steps 0 asks for a schedule that does not need the total', async () => {
    const r = await scm('train-teacher', '--steps', '0', '--out', join(root, 'open'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the default --lr-schedule, cosine, decays over the run's total --steps, which --steps 0 leaves open: give --lr-schedule constant/);
  });

  it('images: the committed models\' U-Net, scaled to the size', () => {
    expect(imageUnetRecipe(28).channelMult).toEqual([1, 2, 2]);
    expect(coarsestResolution(28, [1, 2, 2])).toBe(7);
    expect(imageUnetRecipe(10).channelMult).toEqual([1, 2]);
    expect(imageUnetRecipe(7).channelMult).toEqual([1]);
  });
});
