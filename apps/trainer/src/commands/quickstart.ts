/**
 * scm quickstart: the whole pipeline in a few minutes on a laptop CPU. Trains a checkerboard
 * teacher, distils it with sCD, writes sample plots (teacher Heun 35 NFE, sCD 1-step and 2-step)
 * and prints the evaluation of both runs. Run again, it continues (or skips) the runs it finds.
 */
import { basename, join } from 'node:path';
import { TOY2D_RECIPE } from '@scm/core';
import { BACKENDS, commonOptions, optInteger, str, type CommandHelp, type OptionSpecs, type OptionValues } from '../options/args.js';
import { openBackend } from '../backends/backend.js';
import { trainConsistency } from '../training/consistency.js';
import type { Io } from '../options/io.js';
import { scatterPng } from '../drawing/plot.js';
import { formatDuration, Progress } from '../run/progress.js';
import { writeAtomic, writeJson } from '../run/atomic-file.js';
import { loadRun } from '../run/run-folder.js';
import { describeSampler, drawSamples, openForSampling, type SamplerChoice } from '../sampling/sampling.js';
import type { TrainResult } from '../training/training.js';
import { evaluateAndSave, formatEvalTable, type EvalReport } from './eval.js';
import { trainTeacher } from './train-teacher.js';

/** Measured on 2 CPU cores, training on ONNX Runtime, to finish in a few minutes (see the README): core's 2-D recipe, 4000 + 8000 steps. */
export const QUICKSTART = {
  ...TOY2D_RECIPE,
  data: 'checkerboard',
  teacherSteps: 4000,
  distillSteps: 8000,
  samplePoints: 10000,
  evalPoints: 5000,
} as const;

const OPTIONS: OptionSpecs = {
  out: { type: 'string', value: 'DIR', help: 'folder for the runs, plots and summary (default runs/quickstart)' },
  'teacher-steps': { type: 'string', value: 'N', help: `teacher training steps (default ${QUICKSTART.teacherSteps})` },
  'distill-steps': { type: 'string', value: 'N', help: `sCD steps (default ${QUICKSTART.distillSteps})` },
  n: { type: 'string', value: 'N', help: `samples per evaluation row (default ${QUICKSTART.evalPoints})` },
};

export const help: CommandHelp = {
  name: 'quickstart',
  summary: 'Train a checkerboard teacher, distil it with sCD, plot samples and evaluate both: a few minutes on a CPU.',
  usage: '[--out DIR] [options]',
  options: OPTIONS,
  backends: BACKENDS,
  notes: [
    'Writes DIR/teacher and DIR/scd (run folders), DIR/teacher-heun35.png, DIR/scd-1step.png, DIR/scd-2step.png\n' +
      'and DIR/summary.json. Run again, it continues unfinished runs and skips finished ones.\n' +
      'Trains on the default backend (onnx where onnxruntime-node loads, see --backend); samples and evaluates on wasm.',
  ],
};

interface Phase {
  readonly name: string;
  readonly seconds: number;
  readonly detail: string;
}

async function timed<R>(phases: Phase[], name: string, detail: (r: R) => string, work: () => Promise<R>): Promise<R> {
  const began = performance.now();
  const r = await work();
  phases.push({ name, seconds: (performance.now() - began) / 1000, detail: detail(r) });
  return r;
}

const trainDetail = (r: TrainResult) => (r.trained > 0 ? `${r.trained} steps, ${r.stepsPerSec.toFixed(1)} steps/s` : `already at step ${r.step}`);

export async function run(values: OptionValues, io: Io): Promise<void> {
  // Training runs on ONNX Runtime unless told otherwise: its compiled MLP steps are about three
  // times as fast as TensorFlow.js on wasm, which buys the longer runs that draw sharp cell edges.
  const common = commonOptions(values, help);
  const backend = common.backend;
  const out = str(values, 'out') ?? join('runs', 'quickstart');
  const teacherSteps = optInteger(values, 'teacher-steps') ?? QUICKSTART.teacherSteps;
  const distillSteps = optInteger(values, 'distill-steps') ?? QUICKSTART.distillSteps;
  const n = optInteger(values, 'n') ?? QUICKSTART.evalPoints;
  const seed = common.seedGiven ? common.seed : undefined;
  const teacherDir = join(out, 'teacher');
  const scdDir = join(out, 'scd');
  const logEvery = 50;
  const phases: Phase[] = [];
  const began = performance.now();

  await timed(phases, 'teacher', trainDetail, () =>
    trainTeacher(
      {
        out: teacherDir,
        data: QUICKSTART.data,
        steps: teacherSteps,
        batch: QUICKSTART.batch,
        lr: QUICKSTART.teacherLr,
        lrSchedule: QUICKSTART.lrSchedule,
        width: QUICKSTART.width,
        blocks: QUICKSTART.blocks,
        inputFeatures: QUICKSTART.inputFeatures,
        inputFeatureScale: QUICKSTART.inputFeatureScale,
        seed,
        logEvery,
        checkpointEvery: 1000,
        resume: 'auto',
        backend,
        label: '[teacher] ',
      },
      io,
    ),
  );
  await timed(phases, 'sCD', trainDetail, () =>
    trainConsistency(
      {
        mode: 'scd',
        teacher: teacherDir,
        out: scdDir,
        steps: distillSteps,
        batch: QUICKSTART.batch,
        lr: QUICKSTART.distillLr,
        lrSchedule: QUICKSTART.lrSchedule,
        tangentWarmup: QUICKSTART.tangentWarmup,
        seed,
        logEvery,
        checkpointEvery: 500,
        resume: 'auto',
        backend,
        label: '[sCD] ',
      },
      io,
    ),
  );

  const o = await openBackend(backend);
  const teacher = await loadRun(teacherDir);
  const scd = await loadRun(scdDir);
  const plots: Array<[typeof teacher, SamplerChoice, string]> = [
    [teacher, { sampler: 'heun', nfe: 35 }, 'teacher-heun35.png'],
    [scd, { sampler: 'consistency', steps: 1 }, 'scd-1step.png'],
    [scd, { sampler: 'consistency', steps: 2, midT: QUICKSTART.midT }, 'scd-2step.png'],
  ];
  const written = await timed(phases, 'plots', (files: string[]) => `${files.length} PNGs, ${QUICKSTART.samplePoints} samples each`, async () => {
    const files: string[] = [];
    for (const [runFolder, choice, file] of plots) {
      const s = openForSampling(o, runFolder);
      try {
        new Progress(io).note(`plotting ${describeSampler(choice)} samples of ${runFolder.dir}`);
        const points = await drawSamples(o, s, { ...choice, n: QUICKSTART.samplePoints, seed: common.seed });
        await writeAtomic(join(out, file), scatterPng(points, { title: `${basename(runFolder.dir)}: ${describeSampler(choice)}, ${QUICKSTART.samplePoints} samples` }));
        files.push(join(out, file));
      } finally {
        o.dispose(Object.values(s.params));
      }
    }
    return files;
  });
  const reports = await timed(phases, 'eval', (r: EvalReport[]) => `${r.length} runs, ${n} samples per row`, async () => [
    await evaluateAndSave(o, teacher, { n, seed: common.seed }, io),
    await evaluateAndSave(o, scd, { n, seed: common.seed, steps: [1, 2], midT: QUICKSTART.midT }, io),
  ]);
  const total = (performance.now() - began) / 1000;

  await writeJson(join(out, 'summary.json'), { backend, phases, totalSeconds: total, plots: written, eval: reports });
  const width = Math.max(...phases.map((p) => p.name.length));
  io.out(
    [
      '',
      ...reports.map(formatEvalTable),
      `Plots: ${written.join(', ')}`,
      '',
      `Timings (training: ${backend === 'onnx' ? 'ONNX Runtime' : o.name}; sampling and evaluation: ${o.name}):`,
      ...phases.map((p) => `  ${p.name.padEnd(width)}  ${formatDuration(p.seconds).padStart(6)}  ${p.detail}`),
      `  ${'total'.padEnd(width)}  ${formatDuration(total).padStart(6)}`,
      '',
    ].join('\n'),
  );
}
