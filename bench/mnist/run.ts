/**
 * bench/mnist: a class-conditional MNIST teacher, its sCD student and an sCT run, trained and scored
 * with the `scm` command line exactly as a user would run it; writes bench/results/mnist.{json,md} and
 * sample grids in bench/results/mnist/. Run: npm run bench:mnist (after npm run build). About 45
 * minutes on an idle 2-core machine. SCALE=0.05 npm run bench:mnist is a smoke run (results go to
 * bench/results/tmp/ then, so committed results are never overwritten by one).
 *
 * Every row is scored by `scm eval` at the same n against the same held-out digits, with the
 * committed classifier models/mnist-classifier (Frechet distance in its feature space; its
 * 600-step training is not part of this budget).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, resultsDir, writeResults } from '../lib.js';

const SCALE = Number(process.env.SCALE ?? 1);
const smoke = SCALE < 1;
const steps = (n: number) => Math.max(4, Math.round(n * SCALE));
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'apps/trainer/bin/scm.js');
const runs = join(root, 'runs/bench-mnist');
const outDir = smoke ? join(resultsDir, 'tmp') : resultsDir;
const gridDir = join(outDir, 'mnist');
const classifier = join(root, 'models/mnist-classifier');

const BATCH = 32;
const GUIDANCE = 1.5;
const EVAL_N = smoke ? 100 : 300;
const plan = {
  teacher: { steps: steps(1400), lr: 2e-3 },
  scd: { steps: steps(300), lr: 1e-4, tangentWarmup: steps(300) },
  sct: { steps: steps(500), lr: 1e-4, tangentWarmup: steps(500) },
};

function scm(args: (string | number)[]): { seconds: number; stdout: string } {
  const began = performance.now();
  process.stderr.write(`$ scm ${args.join(' ')}\n`);
  const stdout = execFileSync(process.execPath, [cli, ...args.map(String)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  return { seconds: (performance.now() - began) / 1000, stdout };
}

interface EvalRow {
  sampler: string;
  steps?: number;
  nfe: number;
  guidance?: number;
  /** Guidance applied as CFG: two network evaluations per step (teacher; sCT, which has no guidance input). */
  cfg?: boolean;
  fd: number;
  accuracy: number;
  coverage: number;
  seconds: number;
}

function evaluate(dir: string): EvalRow[] {
  // Exported sampler graphs on ONNX Runtime: the teacher's Heun + CFG row took minutes per 100 samples on wasm.
  const { stdout } = scm(['eval', '--run', dir, '--n', EVAL_N, '--guidance', GUIDANCE, '--backend', 'onnx', '--json']);
  return (JSON.parse(stdout) as { rows: EvalRow[] }).rows;
}

function grid(dir: string, name: string, sampler: (string | number)[]): string {
  const file = join(gridDir, `${name}.png`);
  scm(['sample', '--run', dir, ...sampler, '--guidance', GUIDANCE, '--n', 100, '--seed', 1, '--backend', 'onnx', '--out', file]);
  return `mnist/${name}.png`;
}

rmSync(runs, { recursive: true, force: true });
mkdirSync(gridDir, { recursive: true });
const common = ['--batch', BATCH, '--backend', 'onnx', '--log-every', 50];
const teacherDir = join(runs, 'teacher');
const scdDir = join(runs, 'scd');
const sctDir = join(runs, 'sct');

const timings: Record<string, number> = {};
timings.teacher = scm(['train-teacher', '--data', 'mnist', '--conditional', '--steps', plan.teacher.steps, '--lr', plan.teacher.lr, '--checkpoint-every', plan.teacher.steps, '--classifier', classifier, ...common, '--out', teacherDir]).seconds;
timings.scd = scm(['distill', '--teacher', teacherDir, '--steps', plan.scd.steps, '--lr', plan.scd.lr, '--tangent-warmup', plan.scd.tangentWarmup, '--checkpoint-every', plan.scd.steps, ...common, '--out', scdDir]).seconds;
timings.sct = scm(['train-ct', '--init', teacherDir, '--steps', plan.sct.steps, '--lr', plan.sct.lr, '--tangent-warmup', plan.sct.tangentWarmup, '--checkpoint-every', plan.sct.steps, ...common, '--out', sctDir]).seconds;

const teacherRows = evaluate(teacherDir);
const rows = [
  { run: 'data: training vs held-out digits', ...teacherRows.find((r) => r.sampler === 'data')! },
  { run: 'teacher, Heun', ...teacherRows.find((r) => r.sampler !== 'data')! },
  ...evaluate(scdDir).filter((r) => r.sampler !== 'data').map((r) => ({ run: `sCD ${r.steps}-step`, ...r })),
  ...evaluate(sctDir).filter((r) => r.sampler !== 'data').map((r) => ({ run: `sCT ${r.steps}-step`, ...r })),
].map((r) => (r.cfg ? { ...r, run: `${r.run} + CFG` } : r));
const grids = {
  teacher: grid(teacherDir, 'teacher-heun35', ['--sampler', 'heun', '--nfe', 35]),
  scd1: grid(scdDir, 'scd-1step', ['--steps', 1]),
  scd2: grid(scdDir, 'scd-2step', ['--steps', 2]),
  sct1: grid(sctDir, 'sct-1step', ['--steps', 1]),
  sct2: grid(sctDir, 'sct-2step', ['--steps', 2]),
};

const teacherFd = rows[1].fd;
const ratio = (fd: number) => fd / teacherFd;
const log = (dir: string) => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; skipped: number });
const skipped = Object.fromEntries([['teacher', teacherDir], ['scd', scdDir], ['sct', sctDir]].map(([k, d]) => [k, log(d).at(-1)!.skipped]));

const f = (v: number, d = 3) => v.toFixed(d);
const md = [
  '# bench/mnist',
  '',
  `Class-conditional MNIST (28x28, the \`mnist\` package's 9000 training digits), U-Net base 16 x [1, 2] (182k parameters), batch ${BATCH}, ONNX Runtime (compiled training steps and exported sampler graphs, 2 threads). ` +
    `Teacher ${plan.teacher.steps} steps (lr ${plan.teacher.lr}); sCD ${plan.scd.steps} steps (lr ${plan.scd.lr}, tangent warmup ${plan.scd.tangentWarmup}, s ~ U[1, 2]); ` +
    `sCT ${plan.sct.steps} steps (lr ${plan.sct.lr}, tangent warmup ${plan.sct.tangentWarmup}); both students start from the teacher's EMA weights. ` +
    `Each row: ${EVAL_N} samples (class i mod 10) at guidance ${GUIDANCE} against ${EVAL_N} held-out digits, scored by \`scm eval\` with models/mnist-classifier. ` +
    'FD is the Frechet distance in that classifier\'s 64-d feature space (not an FID; it depends on n, so compare rows only with each other).',
  '',
  markdownTable(
    ['run', 'NFE', 'FD', 'FD / teacher', 'class accuracy', 'coverage', 'sampling s'],
    rows.map((r) => [r.run, r.cfg ? `${r.nfe} x 2` : r.nfe, f(r.fd), r.sampler === 'data' ? '' : f(ratio(r.fd), 2), f(r.accuracy), f(r.coverage, 2), f(r.seconds, 1)]),
  ),
  '',
  `Paper's claim: 2-step sCD within 10% of the teacher's FD (ratio <= 1.10), 1-step within 25% (<= 1.25). ` +
    '"+ CFG": the guidance is applied as classifier-free guidance, the network evaluated on the label and the null label at every step (NFE x 2); ' +
    'the sCD student takes the scale as an input instead (one evaluation per step), sCT has no such input.',
  '',
  markdownTable(['run', 'steps', 'wall s', 'skipped (non-finite) steps'], [
    ['teacher', plan.teacher.steps, f(timings.teacher, 0), skipped.teacher],
    ['sCD', plan.scd.steps, f(timings.scd, 0), skipped.scd],
    ['sCT', plan.sct.steps, f(timings.sct, 0), skipped.sct],
  ]),
  '',
  'Grids (100 samples, seed 1, classes drawn uniformly): ' + Object.values(grids).map((g) => `[${g}](${g})`).join(', ') + '.',
].join('\n');
writeResults(smoke ? 'tmp/mnist' : 'mnist', { scale: SCALE, batch: BATCH, guidance: GUIDANCE, evalN: EVAL_N, plan, timings, skipped, rows, grids }, md);
console.log(md);
