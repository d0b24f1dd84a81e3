import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy } from '@scm/datasets';
import { TOY2D_RECIPE } from '@scm/core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointTensors, oneLine, readCheckpoint, scm, spawnScm, tempDir, TINY, TINY_NET } from './helpers.js';

const root = tempDir();
const teacher = join(root, 'teacher');
const scd = join(root, 'scd');
const sct = join(root, 'sct');

function decodePng(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const t = await scm('train-teacher', '--data', 'checkerboard', '--steps', '6', '--out', teacher, '--samples', ...TINY);
  expect(t.code, t.stderr).toBe(0);
  const d = await scm('distill', '--teacher', teacher, '--steps', '4', '--out', scd, ...TINY.slice(4));
  expect(d.code, d.stderr).toBe(0);
});

describe('help', () => {
  it('lists the commands and documents the common options of each', async () => {
    const r = await scm('--help');
    expect(r.code).toBe(0);
    for (const name of ['train-teacher', 'distill', 'train-ct', 'sample', 'eval', 'quickstart']) {
      expect(r.stdout).toContain(name);
      const h = await scm(name, '--help');
      expect(h.code).toBe(0);
      expect(h.stdout).toContain(`Usage: scm ${name}`);
      expect(h.stdout).toMatch(/--seed N/);
      expect(h.stdout).toMatch(/--backend NAME.*WebAssembly/);
    }
  });

  it('works through the built entry point', () => {
    const r = spawnScm('sample', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: scm sample');
  });
});

describe('train-teacher, distill, train-ct', () => {
  it('write config.json, the checkpoint, log.jsonl and samples.png', () => {
    const config = JSON.parse(readFileSync(join(teacher, 'config.json'), 'utf8'));
    expect(config.train.mode).toBe('teacher');
    expect(config.train.steps).toBe(6);
    expect(config.model.width).toBe(16);
    expect(config.data).toEqual({ name: 'checkerboard', conditional: false });
    const { meta } = readCheckpoint(teacher);
    expect(meta.step).toBe(6);
    const log = readFileSync(join(teacher, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((e) => e.step)).toEqual([2, 4, 6]);
    for (const key of ['step', 'loss', 'gradNorm', 'lr', 'skipped', 'stepsPerSec', 'elapsedSec', 'etaSec']) expect(log[0]).toHaveProperty(key);
    const png = decodePng(join(teacher, 'samples.png'));
    expect([png.width, png.height]).toEqual([512, 512]);
    expect(existsSync(join(teacher, 'checkpoint.safetensors.tmp'))).toBe(false);
  });

  it('distill starts from the teacher and records it relative to the run folder', () => {
    const { meta } = readCheckpoint(scd);
    expect(meta.train.mode).toBe('scd');
    expect(meta.step).toBe(4);
    expect(meta.teacher).toBe('../teacher');
    expect(meta.model).toMatchObject({ kind: 'mlp', width: 16 });
  });

  it('--input-features K widens the first layer by K (cos, sin) pairs; a student inherits them', async () => {
    const dir = join(root, 'features');
    const r = await scm('train-teacher', '--steps', '2', '--input-features', '3', '--input-feature-scale', '0.5', '--out', dir, ...TINY);
    expect(r.code, r.stderr).toBe(0);
    expect(readCheckpoint(dir).meta.model).toMatchObject({ inputFeatures: 3, inputFeatureScale: 0.5 });
    expect(readCheckpoint(dir).state.params['in.weight'].shape).toEqual([2 + 2 * 3, 16]);
    const student = join(root, 'features-scd');
    const d = await scm('distill', '--teacher', dir, '--steps', '1', '--out', student, ...TINY.slice(4));
    expect(d.code, d.stderr).toBe(0);
    expect(readCheckpoint(student).state.params['in.weight'].shape).toEqual([8, 16]);
    const bad = await scm('train-teacher', '--input-feature-scale', '0', '--out', join(root, 'features-bad'));
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toContain('--input-feature-scale must be a positive number, got "0"');
  });

  it('train-ct trains an sCT run from the teacher', async () => {
    const r = await scm('train-ct', '--init', teacher, '--steps', '3', '--out', sct, '--batch', '16');
    expect(r.code, r.stderr).toBe(0);
    expect(readCheckpoint(sct).meta.train.mode).toBe('sct');
    expect(r.stderr).toMatch(/step 3\/3 {2}loss -?\d+\.\d{4} {2}[\d.]+ steps\/s/);
  });

  it('resume continues bit for bit: 3 steps + resume to 6 equals 6 steps straight', async () => {
    const straight = join(root, 'straight');
    const split = join(root, 'split');
    for (const [dir, steps] of [[straight, '6'], [split, '3']] as const) {
      // TINY's constant rate: the default cosine schedule would end at the first --steps, which a resume to 6 passes.
      const r = await scm('train-teacher', '--steps', steps, '--out', dir, '--seed', '7', ...TINY);
      expect(r.code, r.stderr).toBe(0);
    }
    const resumed = await scm('train-teacher', '--resume', '--steps', '6', '--log-every', '2', '--out', split);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming');
    const a = checkpointTensors(straight);
    const b = checkpointTensors(split);
    expect(Object.keys(a).some((k) => k.startsWith('opt.'))).toBe(true);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(Buffer.from(b[k]).equals(Buffer.from(a[k])), k).toBe(true);
    expect(readCheckpoint(split).meta.rng).toEqual(readCheckpoint(straight).meta.rng);
    const log = readFileSync(join(split, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(log).toEqual([2, 3, 4, 6]);
  });

  it('resume of an sCD run reloads its teacher and continues bit for bit', async () => {
    const straight = join(root, 'scd-straight');
    const split = join(root, 'scd-split');
    const common = ['--teacher', teacher, '--batch', '16', '--tangent-warmup', '3', '--lr-schedule', 'constant'];
    expect((await scm('distill', ...common, '--steps', '4', '--out', straight)).code).toBe(0);
    expect((await scm('distill', ...common, '--steps', '2', '--out', split)).code).toBe(0);
    const r = await scm('distill', '--resume', '--steps', '4', '--out', split);
    expect(r.code, r.stderr).toBe(0);
    const a = checkpointTensors(straight);
    const b = checkpointTensors(split);
    for (const k of Object.keys(a)) expect(Buffer.from(b[k]).equals(Buffer.from(a[k])), k).toBe(true);
  });

  it('--lr-schedule cosine records a schedule that ends at --steps, and a resume past it is refused', async () => {
    const dir = join(root, 'cosine');
    const r = await scm('train-teacher', '--steps', '4', '--lr', '0.004', '--lr-schedule', 'cosine', '--out', dir, ...TINY_NET);
    expect(r.code, r.stderr).toBe(0);
    expect(readCheckpoint(dir).meta.train.lr).toEqual({ kind: 'cosine', lr: 0.004, decaySteps: 4, warmupSteps: 0 });
    const past = await scm('train-teacher', '--resume', '--steps', '6', '--out', dir);
    expect(past.code).toBe(2);
    expect(oneLine(past.stderr)).toMatch(/--steps 6 is past step 4, where .*cosine lr schedule ends/);
    const changed = await scm('train-teacher', '--resume', '--lr-schedule', 'constant', '--out', dir);
    expect(changed.code).toBe(2);
    expect(oneLine(changed.stderr)).toMatch(/--lr-schedule constant differs from the run's cosine/);
    const student = join(root, 'cosine-scd');
    const d = await scm('distill', '--teacher', teacher, '--steps', '3', '--lr-schedule', 'cosine', '--batch', '16', '--out', student);
    expect(d.code, d.stderr).toBe(0);
    expect(readCheckpoint(student).meta.train.lr).toEqual({ kind: 'cosine', lr: TOY2D_RECIPE.distillLr, decaySteps: 3, warmupSteps: 0 });
  });

  it('a class-conditional teacher gives an sCD student with a guidance input', async () => {
    const condTeacher = join(root, 'cond-teacher');
    const condScd = join(root, 'cond-scd');
    expect((await scm('train-teacher', '--conditional', '--steps', '2', '--out', condTeacher, ...TINY)).code).toBe(0);
    const d = await scm('distill', '--teacher', condTeacher, '--steps', '2', '--out', condScd, '--batch', '16');
    expect(d.code, d.stderr).toBe(0);
    const { meta } = readCheckpoint(condScd);
    expect(meta.model.numClasses).toBe(8);
    expect(meta.model.guidanceInput).toBe(true);
    expect(meta.train.guidanceMax).toBe(2);
    const out = join(root, 'cond.csv');
    const s = await scm('sample', '--run', condScd, '--n', '20', '--class', '3', '--guidance', '1.5', '--out', out);
    expect(s.code, s.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(21);
    // 2-D conditional runs take --class rows too: the labels file says which class each point is.
    const rows = await scm('sample', '--run', condScd, '--n', '16', '--class', 'rows', '--out', join(root, 'cond.npy'));
    expect(rows.code, rows.stderr).toBe(0);
    expect([...decodeNpy(new Uint8Array(readFileSync(join(root, 'cond.labels.npy')))).data]).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
    const bad = await scm('sample', '--run', condScd, '--class', '8', '--out', out);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/--class 8 is out of range/);
  });
});

describe('sample', () => {
  it('--class rows refuses an unconditional run', async () => {
    const r = await scm('sample', '--run', scd, '--class', 'rows', '--out', join(root, 'rows.csv'));
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--class rows needs a class-conditional run; .* is unconditional/);
  });

  it('writes a CSV with header x,y and one row per sample, in data coordinates', async () => {
    const out = join(root, 's.csv');
    const r = await scm('sample', '--run', scd, '--steps', '2', '--n', '50', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('x,y');
    expect(lines).toHaveLength(51);
    for (const line of lines.slice(1)) {
      const [x, y] = line.split(',').map(Number);
      expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
    }
  });

  it('is reproducible with --seed and writes a PNG scatter plot of the right size', async () => {
    const [a, b, c] = ['a.csv', 'b.csv', 'c.csv'].map((f) => join(root, f));
    await scm('sample', '--run', teacher, '--nfe', '3', '--n', '10', '--seed', '5', '--out', a);
    await scm('sample', '--run', teacher, '--sampler', 'heun', '--nfe', '3', '--n', '10', '--seed', '5', '--out', b);
    await scm('sample', '--run', teacher, '--nfe', '3', '--n', '10', '--seed', '6', '--out', c);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(readFileSync(a, 'utf8')).not.toBe(readFileSync(c, 'utf8'));
    const png = join(root, 's.png');
    const r = await scm('sample', '--run', teacher, '--sampler', 'ddim', '--nfe', '2', '--n', '300', '--out', png);
    expect(r.code, r.stderr).toBe(0);
    const img = decodePng(png);
    expect([img.width, img.height]).toEqual([512, 512]);
    expect(img.data.some((v, i) => i % 4 === 0 && v < 128)).toBe(true);
  });

  it('runs on the cpu backend too', async () => {
    const out = join(root, 'cpu.csv');
    const r = await scm('sample', '--run', scd, '--steps', '1', '--n', '5', '--backend', 'cpu', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(6);
  });
});

describe('eval', () => {
  it('scores a teacher run with DDIM 1, 2, 4, 8 and Heun 35 against a data baseline, as JSON', async () => {
    const r = await scm('eval', '--run', teacher, '--n', '40', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rows.map((row: { sampler: string; nfe: number }) => `${row.sampler}${row.nfe}`)).toEqual(['data0', 'ddim1', 'ddim2', 'ddim4', 'ddim8', 'heun35']);
    for (const row of report.rows) {
      expect(Number.isFinite(row.energyDistance) && Number.isFinite(row.slicedW2)).toBe(true);
      expect(row.inSupport).toBeGreaterThanOrEqual(0);
    }
    expect(report.rows[0].inSupport).toBe(1);
    expect(JSON.parse(readFileSync(join(teacher, 'eval.json'), 'utf8'))).toEqual(report);
  });

  it("measures the energy distance's noise at n with independent data draws, and says that closer rows are not ranked", async () => {
    const noise = async (n: number) => {
      const r = await scm('eval', '--run', teacher, '--n', String(n), '--json');
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      // The data row is one of those draws.
      expect(report.energyNoise).toBeGreaterThanOrEqual(Math.abs(report.rows[0].energyDistance));
      return report.energyNoise as number;
    };
    const [small, large] = [await noise(40), await noise(400)];
    expect(small).toBeGreaterThan(0);
    // Its noise falls about as 1/n: 10 times the points, well under half of it.
    expect(large).toBeLessThan(small / 2);
    const table = await scm('eval', '--run', teacher, '--n', '40');
    expect(table.stdout).toMatch(new RegExp(`independent data draws score up to ${small.toFixed(5)} against the reference, so closer rows are not ranked by it at n 40`));
  });

  it('scores a consistency run at each --steps and prints a table', async () => {
    const r = await scm('eval', '--run', scd, '--steps', '1,2,3', '--n', '30');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/energy dist/);
    expect(r.stdout).toMatch(/consistency 3-step/);
    const saved = JSON.parse(readFileSync(join(scd, 'eval.json'), 'utf8'));
    expect(saved.rows.map((row: { steps?: number }) => row.steps)).toEqual([undefined, 1, 2, 3]);
  });

  it('--mid-t moves the intermediate time of the rows with 2 or more steps (2-D default: the recipe\'s), and the table names it', async () => {
    const moved = await scm('eval', '--run', scd, '--steps', '1,2', '--n', '30', '--mid-t', '0.8', '--json');
    expect(moved.code, moved.stderr).toBe(0);
    const plain = await scm('eval', '--run', scd, '--steps', '1,2', '--n', '30', '--json');
    const [a, b] = [JSON.parse(moved.stdout).rows, JSON.parse(plain.stdout).rows];
    expect(a.map((row: { midT?: number }) => row.midT)).toEqual([undefined, undefined, 0.8]);
    expect(b.map((row: { midT?: number }) => row.midT)).toEqual([undefined, undefined, TOY2D_RECIPE.midT]);
    expect(a[1]).toEqual({ ...b[1], seconds: a[1].seconds });
    expect(a[2].energyDistance).not.toBe(b[2].energyDistance);
    const table = await scm('eval', '--run', scd, '--steps', '2', '--n', '30', '--mid-t', '0.8');
    expect(table.stdout).toMatch(/consistency 2-step, t_mid 0\.8/);
  });

  it('--weights params scores the raw weights into eval.params.json, beside the EMA report', async () => {
    const ema = await scm('eval', '--run', scd, '--steps', '1', '--n', '30', '--json');
    expect(ema.code, ema.stderr).toBe(0);
    const raw = await scm('eval', '--run', scd, '--steps', '1', '--n', '30', '--weights', 'params', '--json');
    expect(raw.code, raw.stderr).toBe(0);
    const [emaReport, rawReport] = [JSON.parse(ema.stdout), JSON.parse(raw.stdout)];
    expect([emaReport.weights, rawReport.weights]).toEqual(['ema', 'params']);
    expect(JSON.parse(readFileSync(join(scd, 'eval.params.json'), 'utf8'))).toEqual(rawReport);
    expect(JSON.parse(readFileSync(join(scd, 'eval.json'), 'utf8'))).toEqual(emaReport);
    // Same data row and seed; the samples differ, as the EMA lags the raw weights after a few steps.
    expect(rawReport.rows[0]).toEqual(emaReport.rows[0]);
    expect(rawReport.rows[1].energyDistance).not.toBe(emaReport.rows[1].energyDistance);
    const table = await scm('eval', '--run', scd, '--steps', '1', '--n', '30', '--weights', 'params');
    expect(table.stdout).toMatch(/step \d+, raw weights,/);
  });
});

describe('bad input exits non-zero with a one-line message naming the problem', () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    ['unknown command', ['trian'], 2, /unknown command "trian"/],
    ['unknown option', ['sample', '--run', 'x', '--out', 'y.csv', '--bogus'], 2, /unknown option --bogus/],
    ['unknown data', ['train-teacher', '--data', 'spiral', '--out', 'z'], 2, /unknown data "spiral"/],
    ['negative --steps', ['train-teacher', '--steps=-1', '--out', 'z'], 2, /--steps must be a non-negative integer, got "-1"/],
    ['--steps 0 with a cosine schedule', ['train-teacher', '--steps', '0', '--lr-schedule', 'cosine', '--out', 'z'], 2, /cosine decays over the run's total --steps, which --steps 0 leaves open/],
    ['negative --n', ['sample', '--run', 'x', '--n', '-3', '--out', 'y.csv'], 2, /--n/],
    ['unknown backend', ['eval', '--run', 'x', '--backend', 'gpu'], 2, /unknown backend "gpu"/],
    ['missing --out', ['train-teacher', '--steps', '5'], 2, /missing --out/],
    ['bad output format', ['sample', '--run', 'x', '--out', 'y.txt'], 2, /must end in \.csv, \.png or \.npy/],
    ['unknown weights', ['eval', '--run', 'x', '--weights', 'last'], 2, /unknown --weights "last": choose one of ema, params/],
    ['unknown lr schedule', ['train-teacher', '--lr-schedule', 'linear', '--out', 'z'], 2, /unknown lr schedule "linear": choose one of constant, cosine/],
    ['a misspelt command', ['distil', '--teacher', 'x'], 2, /unknown command "distil" \(did you mean distill\?\): choose one of/],
    ['a misspelt option', ['train-teacher', '--stpes', '5', '--out', 'z'], 2, /unknown option --stpes \(did you mean --steps\?\)/],
    ['a misspelt choice', ['train-teacher', '--data', 'checkerbord', '--out', 'z'], 2, /unknown data "checkerbord" \(did you mean checkerboard\?\): choose one of/],
    ['an option given twice', ['train-teacher', '--steps', '2', '--steps', '3', '--out', 'z'], 2, /--steps is given more than once/],
    ['a flag given twice', ['train-teacher', '--resume', '--resume', '--out', 'z'], 2, /--resume is given more than once/],
    ['a signed integer', ['train-teacher', '--steps', '+5', '--out', 'z'], 2, /--steps must be a non-negative integer, got "\+5"/],
    ['an integer with spaces', ['train-teacher', '--steps', ' 5', '--out', 'z'], 2, /--steps must be a non-negative integer, got " 5"/],
    ['an integer with a leading zero', ['train-teacher', '--seed', '07', '--out', 'z'], 2, /--seed must be a non-negative integer, got "07"/],
    ['a signed number', ['train-teacher', '--lr', '+0.1', '--out', 'z'], 2, /--lr must be a positive number, got "\+0.1"/],
    ['--seed on export', ['export', '--run', 'x', '--out', 'y.onnx', '--seed', '1'], 2, /--seed does not apply to export/],
    ['--backend on export', ['export', '--run', 'x', '--out', 'y.onnx', '--backend', 'wasm'], 2, /--backend does not apply to export/],
    ['--classifier on 2-D data', ['train-teacher', '--data', 'moons', '--classifier', 'c', '--out', 'z'], 2, /--classifier is for image runs/],
    ['--classifier with a 2-D teacher', ['distill', '--teacher', teacher, '--classifier', 'c', '--out', join(root, 'never')], 2, /--classifier is for image runs .* is a 2-D run/],
    ['--nfe on a consistency run', ['sample', '--run', scd, '--nfe', '8', '--out', join(root, 'never.csv')], 2, /--nfe is for teacher samplers; .* is a consistency run/],
  ];
  for (const [name, argv, code, message] of cases) {
    it(name, async () => {
      const r = await scm(...argv);
      expect(r.code).toBe(code);
      expect(oneLine(r.stderr)).toMatch(message);
    });
  }

  it('a missing run folder or checkpoint', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const r = await scm('sample', '--run', empty, '--out', join(root, 'x.csv'));
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/empty holds no model: neither a model's config\.json nor a run's checkpoint\.safetensors/);
    const gone = await scm('eval', '--run', join(root, 'nowhere'));
    expect(gone.code).toBe(1);
    expect(oneLine(gone.stderr)).toMatch(/run folder .*nowhere does not exist/);
    const resume = await scm('train-teacher', '--resume', '--out', empty);
    expect(resume.code).toBe(1);
    expect(oneLine(resume.stderr)).toMatch(/nothing to resume/);
  });

  it('a corrupt (truncated) checkpoint', async () => {
    const dir = join(root, 'corrupt');
    expect((await scm('train-teacher', '--steps', '1', '--out', dir, ...TINY)).code).toBe(0);
    const file = join(dir, 'checkpoint.safetensors');
    truncateSync(file, statSync(file).size - 100);
    const r = await scm('sample', '--run', dir, '--out', join(root, 'x.csv'));
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/checkpoint\.safetensors is corrupt/);
  });

  it('--teacher pointing at a consistency run', async () => {
    const r = await scm('distill', '--teacher', scd, '--out', join(root, 'student'));
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/--teacher .*scd is not a teacher run: it holds a sCD/);
  });

  it('the wrong sampler for the run', async () => {
    const r = await scm('sample', '--run', teacher, '--steps', '2', '--out', join(root, 'x.csv'));
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/is a diffusion teacher run: sample it with --sampler ddim\|heun\|dpm2/);
  });

  it('--mid-t outside (0, t_max), without a second step, or for a teacher', async () => {
    const out = join(root, 'x.csv');
    const cases: Array<[string[], RegExp]> = [
      [['sample', '--run', scd, '--mid-t', '2', '--out', out], /--mid-t must be a time in \(0, pi\/2\), got 2/],
      [['sample', '--run', scd, '--mid-t', '1.567', '--out', out], /--mid-t must come after t_max = 1\.5645 \(sigma_d 0\.5\), got 1\.567/],
      [['sample', '--run', scd, '--steps', '1', '--mid-t', '0.3', '--out', out], /--mid-t is the intermediate time of 2 or more consistency steps/],
      [['sample', '--run', teacher, '--nfe', '3', '--mid-t', '0.3', '--out', out], /--mid-t is the intermediate time of consistency sampling; teacher samplers walk a fixed grid/],
      [['eval', '--run', teacher, '--mid-t', '0.3'], /--mid-t is for consistency runs; .*teacher is a teacher run/],
      [['eval', '--run', scd, '--steps', '1', '--mid-t', '0.3'], /--mid-t is the intermediate time of 2 or more consistency steps/],
    ];
    for (const [argv, message] of cases) {
      const r = await scm(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('an existing run without --resume, and a resume that changes a setting', async () => {
    const again = await scm('train-teacher', '--steps', '6', '--out', teacher);
    expect(again.code).toBe(1);
    expect(oneLine(again.stderr)).toMatch(/already holds a run .*pass --resume/);
    const changed = await scm('train-teacher', '--resume', '--steps', '8', '--lr', '0.01', '--out', teacher);
    expect(changed.code).toBe(2);
    expect(oneLine(changed.stderr)).toMatch(/--lr 0\.01 differs from the run's 0\.002/);
  });

  it('through the built entry point: exit code and one line on stderr, no stack trace', () => {
    const r = spawnScm('train-teacher', '--data', 'spiral', '--out', join(root, 'never'));
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^scm train-teacher: unknown data "spiral"/);
    const missing = spawnScm('eval', '--run', join(root, 'nowhere'));
    expect(missing.code).toBe(1);
    expect(oneLine(missing.stderr)).toMatch(/does not exist/);
  });
});
