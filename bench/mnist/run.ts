/**
 * bench/mnist: the committed class-conditional teacher distilled (sCD) and used to initialise an sCT
 * run, with the committed students' recipe, through the `scm` command line exactly as a user would
 * run it; every sampler scored by `scm eval` and drawn as a grid (class c in row c). Writes
 * bench/results/<data>.{json,md} and grids in bench/results/<data>/. Run: npm run bench:mnist (after
 * npm run build); DATA=fashion-mnist runs it on Fashion-MNIST (models/fashion-teacher). About 30
 * minutes on an idle 2-core machine. SCALE=0.05 is a smoke run whose results go to bench/results/tmp/,
 * so committed results are never overwritten by one.
 *
 * The teacher's own training (hours on 2 cores; its folder's README has the command and log) and the
 * classifier's are not part of this budget: the students are what the paper's ratios are about.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, resultsDir, SCALE, smoke, writeResults } from '../lib.js';

const DATASETS = {
  mnist: { teacher: 'models/mnist-teacher', classifier: 'models/mnist-classifier', what: "MNIST digits (the `mnist` package's 9000 training digits)" },
  'fashion-mnist': { teacher: 'models/fashion-teacher', classifier: 'models/fashion-classifier', what: "Fashion-MNIST (the `fashion-mnist` package's training split)" },
} as const;
const DATA = (process.env.DATA ?? 'mnist') as keyof typeof DATASETS;
if (!(DATA in DATASETS)) throw new Error(`DATA must be one of ${Object.keys(DATASETS).join(', ')}, not ${DATA}`);
const steps = (n: number) => Math.max(4, Math.round(n * SCALE));
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'apps/trainer/bin/scm.js');
const runs = join(root, `runs/bench-${DATA}`);
const outDir = smoke ? join(resultsDir, 'tmp') : resultsDir;
const gridDir = join(outDir, DATA);
const committedTeacher = join(root, DATASETS[DATA].teacher);
const classifier = join(root, DATASETS[DATA].classifier);

const BATCH = 64;
const EVAL_N = smoke ? 100 : 1000;
/** The committed students' recipe (models/mnist-scd, models/mnist-sct): r reaches 1 at the last step. */
const plan = {
  scd: { steps: steps(400), lr: 2e-4 },
  sct: { steps: steps(400), lr: 1e-4 },
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
  /** Guidance applied as CFG: two network evaluations per step. */
  cfg?: boolean;
  fd: number;
  accuracy: number;
  coverage: number;
  seconds: number;
}

/** What this bench reads of `scm eval --json`. */
interface EvalReport {
  rows: EvalRow[];
  classifier: { featureDim: number };
}

/** `scm eval` on ONNX Runtime at its defaults (teacher: Heun + CFG 1.5; sCD: guidance input 1.5; sCT: unguided). */
function evaluate(dir: string, extra: (string | number)[] = []): EvalReport {
  const { stdout } = scm(['eval', '--run', dir, '--n', EVAL_N, '--classifier', classifier, '--backend', 'onnx', '--json', ...extra]);
  return JSON.parse(stdout) as EvalReport;
}

function grid(dir: string, name: string, sampler: (string | number)[]): string {
  scm(['sample', '--run', dir, ...sampler, '--class', 'rows', '--backend', 'onnx', '--out', join(gridDir, `${name}.png`)]);
  return `${DATA}/${name}.png`;
}

rmSync(runs, { recursive: true, force: true });
mkdirSync(gridDir, { recursive: true });
// A copy of the teacher's run, so that `scm eval` writes its eval.json here, not into the committed folder.
const teacherDir = join(runs, 'teacher');
mkdirSync(teacherDir, { recursive: true });
for (const file of ['config.json', 'checkpoint.safetensors']) copyFileSync(join(committedTeacher, file), join(teacherDir, file));
const scdDir = join(runs, 'scd');
const sctDir = join(runs, 'sct');
const student = (p: { steps: number; lr: number }) => ['--steps', p.steps, '--batch', BATCH, '--lr', p.lr, '--lr-schedule', 'cosine', '--tangent-warmup', p.steps, '--log-every', 50, '--checkpoint-every', p.steps, '--backend', 'onnx', '--classifier', classifier];

const timings = {
  scd: scm(['distill', '--teacher', teacherDir, ...student(plan.scd), '--out', scdDir]).seconds,
  sct: scm(['train-ct', '--init', teacherDir, ...student(plan.sct), '--out', sctDir]).seconds,
};

const withoutData = (rows: EvalRow[]) => rows.filter((r) => r.sampler !== 'data');
const teacherReport = evaluate(teacherDir);
const teacherRows = teacherReport.rows;
const rows = [
  { run: 'data: training vs held-out images', ...teacherRows.find((r) => r.sampler === 'data')! },
  ...withoutData(teacherRows).map((r) => ({ run: 'teacher, Heun', ...r })),
  ...withoutData(evaluate(scdDir).rows).map((r) => ({ run: `sCD ${r.steps}-step`, ...r })),
  ...withoutData(evaluate(sctDir).rows).map((r) => ({ run: `sCT ${r.steps}-step`, ...r })),
  ...withoutData(evaluate(sctDir, ['--guidance', 1.5]).rows).map((r) => ({ run: `sCT ${r.steps}-step`, ...r })),
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
const skipped = { scd: log(scdDir).at(-1)!.skipped, sct: log(sctDir).at(-1)!.skipped };
const teacherModel = (JSON.parse(readFileSync(join(teacherDir, 'config.json'), 'utf8')) as { model: unknown }).model;

const f = (v: number, d = 3) => v.toFixed(d);
const rate = (p: { steps: number; lr: number }) => `${p.steps} steps (lr ${p.lr}, cosine decay, tangent warmup ${p.steps})`;
const md = [
  `# bench/mnist (${DATA})`,
  '',
  `Class-conditional ${DATASETS[DATA].what}, 28x28. Teacher: \`${DATASETS[DATA].teacher}\` (committed; its training is not part of this run). ` +
    `Students from its EMA weights, batch ${BATCH}, ONNX Runtime (compiled training steps and exported sampler graphs): sCD ${rate(plan.scd)}, s ~ U[1, 2]; sCT ${rate(plan.sct)}. ` +
    `Each row: ${EVAL_N} samples (class i mod 10) against ${EVAL_N} held-out test images, scored by \`scm eval\` with \`${DATASETS[DATA].classifier}\`. ` +
    `FD is the Frechet distance in that classifier's ${teacherReport.classifier.featureDim}-d feature space (not an FID; it depends on n, so compare rows only with each other). ` +
    'Teacher: Heun with CFG 1.5; sCD: guidance input 1.5 (one evaluation per step); sCT has no guidance input: unguided, and "+ CFG" at 1.5.',
  '',
  markdownTable(
    ['run', 'NFE', 'FD', 'FD / teacher', 'class accuracy', 'coverage', 'sampling s'],
    rows.map((r) => [r.run, r.cfg ? `${r.nfe} x 2` : r.nfe, f(r.fd, 4), r.sampler === 'data' ? '' : f(ratio(r.fd), 2), f(r.accuracy), f(r.coverage, 2), f(r.seconds, 1)]),
  ),
  '',
  "Paper's claim: 2-step sCD within 10% of the teacher's FD (ratio <= 1.10), 1-step within 25% (<= 1.25). " +
    '"+ CFG": the network evaluated on the label and the null label at every step (NFE x 2).',
  '',
  markdownTable(['run', 'steps', 'wall s', 'skipped (non-finite) steps'], [
    ['sCD', plan.scd.steps, f(timings.scd, 0), skipped.scd],
    ['sCT', plan.sct.steps, f(timings.sct, 0), skipped.sct],
  ]),
  '',
  'Grids (seed 0, class c in row c): ' + Object.values(grids).map((g) => `[${g}](${g})`).join(', ') + '.',
].join('\n');
writeResults(smoke ? `tmp/${DATA}` : DATA, { data: DATA, scale: SCALE, batch: BATCH, evalN: EVAL_N, teacher: DATASETS[DATA].teacher, model: teacherModel, plan, timings, skipped, rows, grids }, md);
console.log(md);
