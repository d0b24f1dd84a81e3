/**
 * bench/colour: training steps of the colour U-Net (models/emoji-teacher's network: 32x32x3, 9 classes)
 * compiled for ONNX Runtime (OnnxTrainer) against the PyTorch twin's eager steps on the same cores, as
 * bench/cpu measures the grayscale one. Teacher steps, and sCD steps of a student with the guidance input
 * (as the emoji students take), at batch 32 and 64 (TRAIN_BATCHES overrides); the grayscale U-Net
 * (models/mnist-scd's network) at batch 32 in the same run, so that the two compare under the same load.
 * Both sides start from the same random weights (a step's cost does not depend on their values) and draw
 * random images. Each case alternates one step of ours with one of PyTorch's per round, so that load on
 * the machine hits both alike.
 * Writes bench/results/colour.{json,md}. Run: npm run bench:colour (after npm run build; PYTHON names a
 * python3 with torch, as for bench:cpu).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createModel, Rng, type UnetConfig } from '@scm/core';
import { withoutGuidance, writeParams } from '../gpu/params-file.js';
import { alternate, compiledTrainer, timed, torchSteps, trainConfig, unetStep, type StepMode } from '../cpu/train-steps.js';
import { fmtMs, markdownTable, resultsDir, writeResults } from '../lib.js';

const PYTHON = process.env.PYTHON ?? 'python3';
const TRAIN_BATCHES = (process.env.TRAIN_BATCHES ?? '32,64').split(',').map(Number);
const threads = os.availableParallelism();
const loadAtStart = os.loadavg()[0];
const sessionOptions = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: threads } as const;
const tmp = mkdtempSync(join(os.tmpdir(), 'bench-colour-'));
const MODES: StepMode[] = ['teacher', 'scd'];
const ROUNDS = 7;

const nets = [
  { net: 'colour', run: 'models/emoji-teacher', batches: TRAIN_BATCHES },
  { net: 'grayscale', run: 'models/mnist-scd', batches: [32] },
].map(({ net, run, batches }) => {
  const model = (JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { model: UnetConfig }).model;
  const student: UnetConfig = { ...model, guidanceInput: true };
  const params = createModel(student).init(new Rng(1));
  const paramsPath = join(tmp, `${net}.safetensors`);
  writeParams(paramsPath, params);
  return { net, run, batches, student, params, paramsPath };
});
const cases = nets.flatMap((n) => n.batches.flatMap((batch) => MODES.map((mode) => ({ ...n, mode, batch, key: `${n.net}-${mode}@${batch}`, config: trainConfig(mode, batch, n.student.sigmaD) }))));

const planPath = join(tmp, 'plan.json');
const teacherOf = (student: UnetConfig): UnetConfig => ({ ...student, guidanceInput: false });
writeFileSync(
  planPath,
  JSON.stringify({
    threads,
    train: cases.map((c) => ({ key: c.key, train: c.config, model: c.mode === 'teacher' ? teacherOf(c.student) : c.student, teacherModel: teacherOf(c.student), params: c.paramsPath })),
  }),
);
const torch = await torchSteps(PYTHON, planPath);

const training: Record<string, { ours: number; torch: number; load: number }> = {};
for (const c of cases) {
  const compiled = await compiledTrainer(ort, unetStep(c.config, c.student, c.params, withoutGuidance(c.params)), sessionOptions);
  const [ours, theirs] = await alternate([timed(() => compiled.step()), () => torch.step(c.key)], { rounds: ROUNDS });
  await compiled.release();
  training[c.key] = { ours, torch: theirs, load: os.loadavg()[0] };
  console.log(`${c.key} step: ours ${fmtMs(ours)} ms, eager PyTorch ${fmtMs(theirs)} ms (${(ours / theirs).toFixed(2)}x), load ${training[c.key].load.toFixed(1)}`);
}
await torch.close();
rmSync(tmp, { recursive: true, force: true });

// ---- report ------------------------------------------------------------------------------------------
const loadAtEnd = os.loadavg()[0];
const ratio = (key: string) => training[key].ours / training[key].torch;
const rows = cases.map((c) => {
  const t = training[c.key];
  const net = c.net === 'colour' ? `colour U-Net (${c.run})` : `grayscale U-Net (${c.run})`;
  return [`${net} ${c.mode === 'scd' ? 'sCD' : 'teacher'} training step, batch ${c.batch}: compiled vs the twin's eager step`, `${fmtMs(t.ours)} ms`, `${fmtMs(t.torch)} ms`, `${ratio(c.key).toFixed(2)}x time`, t.load.toFixed(1)];
});
const cpu = JSON.parse(readFileSync(join(resultsDir, 'cpu.json'), 'utf8')) as { training: Record<string, { ours: number; torch: number }> };
const cpuRatio = (key: string) => (cpu.training[key].ours / cpu.training[key].torch).toFixed(2);
const colourVsGray = (side: 'ours' | 'torch', mode: StepMode) => (training[`colour-${mode}@32`][side] / training[`grayscale-${mode}@32`][side]).toFixed(2);
const markdown = [
  '# bench/colour: compiled training steps of the colour U-Net against PyTorch on the same CPU',
  '',
  `${os.cpus()[0]?.model ?? 'cpu'}, ${threads} threads on both sides (ONNX Runtime ${ort.env.versions?.common ?? ''}, PyTorch ${torch.torch} with ${torch.threads} threads), load average ${loadAtStart.toFixed(1)} at the start and ${loadAtEnd.toFixed(1)} at the end.`,
  "Networks: models/emoji-teacher's U-Net (32x32x3, 9 classes) and, for reference, models/mnist-scd's (28x28x1, 10 classes), same seeded random weights on both sides; " +
    'teacher steps without the guidance input, sCD steps with it (as the emoji students). ' +
    `Medians of ${ROUNDS} steps a side, ours and PyTorch's in alternation (one step each per round) after 2 warm-up steps each; "load" is the 1-minute load average after the case.`,
  '',
  markdownTable(['work', 'ours', 'PyTorch', 'ratio', 'load'], rows),
  '',
  // The grayscale U-Net runs at batch 32 only.
  TRAIN_BATCHES.includes(32)
    ? `At batch 32 the compiled colour steps take ${ratio('colour-teacher@32').toFixed(2)}x (teacher) and ${ratio('colour-scd@32').toFixed(2)}x (sCD) the twin's time, ` +
      `against ${ratio('grayscale-teacher@32').toFixed(2)}x and ${ratio('grayscale-scd@32').toFixed(2)}x for the grayscale U-Net in this run ` +
      `(bench/results/cpu.md, a quieter run without alternation: ${cpuRatio('teacher@32')}x and ${cpuRatio('scd@32')}x); ` +
      `a colour step costs ${colourVsGray('ours', 'teacher')}x / ${colourVsGray('ours', 'scd')}x a grayscale one on ONNX Runtime (teacher / sCD) and ${colourVsGray('torch', 'teacher')}x / ${colourVsGray('torch', 'scd')}x in PyTorch.`
    : '',
].join('\n');
writeResults('colour', { threads, loadAtStart, loadAtEnd, torch: torch.torch, torchThreads: torch.threads, training }, markdown);
console.log(markdown);
