/**
 * The one training driver behind train-teacher, distill and train-ct: start a run (or resume it
 * from its checkpoint, bit for bit), train to --steps in total, log every --log-every steps to
 * log.jsonl and the progress line, and write the checkpoint atomically every --checkpoint-every
 * steps and at the end; all while holding the folder's lock, and stopping a run that diverges.
 */
import {
  CONSISTENCY_PROPOSAL,
  createModel,
  disposeState,
  initState,
  makeOptimizer,
  restoreState,
  runLoop,
  snapshot,
  TEACHER_PROPOSAL,
  toDevice,
  type HostState,
  type RunInfo,
  type StepContext,
  type Teacher,
  type TrainMode,
  type TrainState,
} from '@scm/core';
import { flag, optInteger, optNumber, type BackendName, type OptionSpecs, type OptionValues } from '../options/args.js';
import { writeAtomic } from '../run/atomic-file.js';
import { openBackend, type Ops } from '../backends/backend.js';
import { DivergenceWatch } from './divergence.js';
import { engineFor, type TrainEngine } from '../backends/engines.js';
import { Interrupted, RunError, UsageError } from '../options/errors.js';
import { checkBatchFits } from '../run/limits.js';
import { lockRun } from '../run/run-lock.js';
import { StopOnSignal, StopSignals } from '../run/stop-signals.js';
import type { Io } from '../options/io.js';
import { formatDuration, Progress } from '../run/progress.js';
import { lrScheduleOption, optLrSchedule, type LrScheduleName } from '../recipe/lr-schedule.js';
import { IMAGE_RECIPE, TOY2D_RECIPE } from '../recipe/recipe.js';
import {
  appendLog,
  CHECKPOINT_FILE,
  checkpointPath,
  CONFIG_FILE,
  describeMode,
  hasCheckpoint,
  loadRun,
  prepareNewRunFolder,
  removeIfEmpty,
  readRunRecord,
  SAMPLES_FILE,
  unstartedRun,
  trimLog,
  writeCheckpoint,
  writeRunInfo,
} from '../run/run-folder.js';
import { dataOf, defaultSampler, describeSampler, drawSamples } from '../sampling/sampling.js';
import { scatterPng } from '../drawing/plot.js';
import { writeImagePreview } from '../sampling/grid.js';
import { describeData, isImageRun } from '../data/images.js';
import { describeModel, writeCard } from '../report/card.js';
import { writeCurves } from '../report/curves.js';
import { join, resolve } from 'node:path';

export const DEFAULT_STEPS = 2000;
export const DEFAULT_LOG_EVERY = 100;
export const DEFAULT_CHECKPOINT_EVERY = 500;
const PREVIEW_POINTS = 2000;

/** Options of every training command. */
export const TRAINING_OPTIONS: OptionSpecs = {
  out: { type: 'string', value: 'DIR', help: 'run folder to write (config.json, checkpoint.safetensors, log.jsonl)' },
  steps: {
    type: 'string',
    value: 'N',
    help:
      `total training steps (default ${DEFAULT_STEPS}; with --resume: the run's own total); 0 starts the run without training: ` +
      'config.json and a step-0 checkpoint, for --resume --steps N or another trainer to continue',
  },
  batch: { type: 'string', value: 'B', help: `batch size (default ${TOY2D_RECIPE.batch}; images: ${IMAGE_RECIPE.batch}; students: their teacher's on images)` },
  'log-every': { type: 'string', value: 'N', help: `log (log.jsonl and progress) every N steps (default ${DEFAULT_LOG_EVERY})` },
  'checkpoint-every': { type: 'string', value: 'N', help: `write the checkpoint every N steps and at the end (default ${DEFAULT_CHECKPOINT_EVERY})` },
  samples: {
    type: 'boolean',
    help: 'also write samples.png (2000 samples of the EMA weights) at every checkpoint; image runs always write a grid (samples.png, samples/step-N.png)',
  },
  resume: { type: 'boolean', help: 'continue the run in --out from its checkpoint, exactly (--steps is the total)' },
  'lr-schedule': lrScheduleOption('cosine'),
  'p-mean': {
    type: 'string',
    value: 'M',
    help:
      `mean of ln(sigma) of the training times, ln(sigma) ~ N(M, S^2) (default: teachers ${TEACHER_PROPOSAL.pMean}; ` +
      `2-D sCD ${TOY2D_RECIPE.distillProposal.pMean}; other students ${CONSISTENCY_PROPOSAL.pMean})`,
  },
  'p-std': {
    type: 'string',
    value: 'S',
    help: `its std (default: teachers ${TEACHER_PROPOSAL.pStd}; 2-D sCD ${TOY2D_RECIPE.distillProposal.pStd}; other students ${CONSISTENCY_PROPOSAL.pStd})`,
  },
};

/** The options of the training commands that every mode shares, parsed. */
export function trainingOptions(values: OptionValues) {
  const t = {
    steps: optInteger(values, 'steps', 0),
    batch: optInteger(values, 'batch'),
    logEvery: optInteger(values, 'log-every'),
    checkpointEvery: optInteger(values, 'checkpoint-every'),
    samples: flag(values, 'samples'),
    resume: flag(values, 'resume'),
    lr: optNumber(values, 'lr'),
    lrSchedule: optLrSchedule(values),
    pMean: optNumber(values, 'p-mean', {}),
    pStd: optNumber(values, 'p-std'),
  };
  if (t.steps === 0 && t.lrSchedule === 'cosine' && !t.resume) {
    throw new UsageError("--lr-schedule cosine decays over the run's total --steps, which --steps 0 leaves open: start the run with its total, or with the constant schedule");
  }
  return t;
}

/** A setting given on the command line, which a resumed run must already have. */
export interface Setting {
  readonly flag: string;
  readonly given: unknown;
  readonly stored: (info: RunInfo) => unknown;
}

/** The options every training command takes the same way. */
export interface RunOptions {
  readonly out: string;
  readonly steps?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly lrSchedule?: LrScheduleName;
  /** The time proposal's ln(sigma) mean and std (--p-mean, --p-std). */
  readonly pMean?: number;
  readonly pStd?: number;
  readonly seed?: number;
  readonly logEvery?: number;
  readonly checkpointEvery?: number;
  readonly samples?: boolean;
  readonly resume: boolean | 'auto';
  readonly backend: BackendName;
  readonly label?: string;
}

/** The fields of a TrainRequest that come straight from the shared options. */
export function loopFields(opts: RunOptions) {
  const { out, resume, steps, logEvery, checkpointEvery, samples, backend, label } = opts;
  return { out, resume, steps, logEvery, checkpointEvery, samples, backend, label };
}

/** The settings every training command has, for each command to list in its own order. */
export function sharedSettings(opts: RunOptions): Record<'batch' | 'lr' | 'lrSchedule' | 'pMean' | 'pStd' | 'seed', Setting> {
  return {
    batch: { flag: 'batch', given: opts.batch, stored: (i) => i.train.batch },
    lr: { flag: 'lr', given: opts.lr, stored: (i) => i.train.lr.lr },
    lrSchedule: { flag: 'lr-schedule', given: opts.lrSchedule, stored: (i) => i.train.lr.kind },
    pMean: { flag: 'p-mean', given: opts.pMean, stored: (i) => i.train.proposal.pMean },
    pStd: { flag: 'p-std', given: opts.pStd, stored: (i) => i.train.proposal.pStd },
    seed: { flag: 'seed', given: opts.seed, stored: (i) => i.train.seed },
  };
}

/** A new run: its settings, and its initial state, drawn once the driver has checked that a step fits memory. */
export interface NewRun {
  readonly info: RunInfo;
  readonly init: (o: Ops) => TrainState<unknown>;
}

export interface TrainRequest {
  /** The command's name, for messages. */
  readonly command: string;
  readonly mode: TrainMode;
  readonly out: string;
  /** true: continue the checkpoint in `out`; 'auto': continue it if there is one, else start. */
  readonly resume: boolean | 'auto';
  /** Total steps; default: DEFAULT_STEPS for a new run, the run's own total when resuming. */
  readonly steps?: number;
  readonly logEvery?: number;
  readonly checkpointEvery?: number;
  /** Write samples.png at every checkpoint. */
  readonly samples?: boolean;
  readonly backend: BackendName;
  readonly settings: readonly Setting[];
  /** A new run with `steps` total steps. */
  readonly create: (steps: number) => Promise<NewRun>;
  /**
   * What a resumed run records anew, and a note saying so: where a moved student's teacher now is.
   * Its settings are checked against the checkpoint's before.
   */
  readonly relocate?: (info: RunInfo) => { info: RunInfo; note?: string };
  /** The frozen teacher of an sCD run (new or resumed). */
  readonly teacher?: (o: Ops, info: RunInfo) => Promise<Teacher<unknown>>;
  /** Prefix of progress lines. */
  readonly label?: string;
}

export interface TrainResult {
  readonly dir: string;
  readonly mode: TrainMode;
  /** Steps completed in total. */
  readonly step: number;
  /** Steps trained by this call. */
  readonly trained: number;
  /** Wall time of the training loop, checkpoints included. */
  readonly seconds: number;
  readonly stepsPerSec: number;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkSettings(req: TrainRequest, info: RunInfo): void {
  for (const s of req.settings) {
    if (s.given === undefined) continue;
    const stored = s.stored(info);
    if (!sameValue(s.given, stored)) {
      throw new UsageError(
        `--${s.flag} ${String(s.given)} differs from the run's ${String(stored)}: a resumed run keeps its settings ` +
          '(only --steps, --log-every, --checkpoint-every, --samples and --backend may change)',
      );
    }
  }
}

/**
 * A run that stopped before its first checkpoint, begun again from its config.json: what --resume
 * does where there is nothing to resume but the config (the weights are drawn from its seed as the
 * first start drew them).
 */
async function restart(o: Ops, dir: string, info: RunInfo): Promise<TrainState<unknown>> {
  const init = info.train.mode === 'teacher' ? undefined : (await loadRun(resolve(dir, info.teacher ?? ''), 'teacher run')).state.ema;
  return initState(o, createModel(info.model), info.train, init);
}

interface Start {
  readonly info: RunInfo;
  readonly state: TrainState<unknown>;
  readonly resumed: boolean;
  /** The folder held a run stopped before its first checkpoint, which this one replaces. */
  readonly restarted: boolean;
  /** The command line that started the run: this one for a new run, else the one config.json recorded. */
  readonly command?: readonly string[];
  /** What relocate changed in a resumed run's record. */
  readonly note?: string;
}

async function start(o: Ops, req: TrainRequest, argv: readonly string[] | undefined): Promise<Start> {
  const exists = await hasCheckpoint(req.out);
  if (req.resume === false && exists) {
    throw new RunError(`${req.out} already holds a run (${checkpointPath(req.out)}); pass --resume to continue it, or choose another --out`);
  }
  if (!exists) {
    const unstarted = await unstartedRun(req.out);
    if (req.resume === true) {
      if (!unstarted) throw new RunError(`nothing to resume: ${checkpointPath(req.out)} does not exist`);
      if (unstarted.train.mode !== req.mode) throw new RunError(`${req.out} holds a ${describeMode(unstarted.train.mode)} run, which scm ${req.command} cannot resume`);
      checkSettings(req, unstarted);
      checkBatchFits(unstarted, req.backend);
      const { command } = await readRunRecord(req.out);
      return { info: unstarted, state: await restart(o, req.out, unstarted), resumed: false, restarted: true, command };
    }
    const fresh = await req.create(req.steps ?? DEFAULT_STEPS);
    checkBatchFits(fresh.info, req.backend);
    return { info: fresh.info, state: fresh.init(o), resumed: false, restarted: unstarted !== undefined, command: argv };
  }
  const run = await loadRun(req.out);
  const mode = run.meta.train.mode;
  if (mode !== req.mode) throw new RunError(`${req.out} holds a ${describeMode(mode)} run, which scm ${req.command} cannot resume`);
  const { format: _format, step: _step, skipped: _skipped, rng: _rng, ...stored } = run.meta;
  checkSettings(req, stored);
  const { info, note } = req.relocate?.(stored) ?? { info: stored };
  // A run may resume on another backend than it began on, with less memory.
  checkBatchFits(info, req.backend);
  const { command } = await readRunRecord(req.out);
  return { info, state: restoreState(o, run.meta, run.state), resumed: true, restarted: false, command, ...(note ? { note } : {}) };
}

/**
 * Readies and locks --out before anything is read or written there: a new run needs a missing or
 * empty folder; a resume needs the checkpoint. Returns the lock's release.
 */
async function claimFolder(req: TrainRequest): Promise<{ release: () => Promise<void>; created: boolean }> {
  const exists = await hasCheckpoint(req.out);
  if (req.resume === true && !exists && !(await unstartedRun(req.out))) throw new RunError(`nothing to resume: ${checkpointPath(req.out)} does not exist`);
  const { created } = exists ? { created: false } : await prepareNewRunFolder(req.out);
  return { release: await lockRun(req.out), created };
}

export async function runTraining(req: TrainRequest, io: Io): Promise<TrainResult> {
  const o = await openBackend(req.backend);
  const { release, created } = await claimFolder(req);
  const signals = new StopSignals(io);
  let failed = true;
  try {
    const result = await train(o, req, io, signals);
    failed = false;
    return result;
  } finally {
    signals.dispose();
    await release();
    // A start refused before it wrote anything (a usage error found late) leaves no empty folder behind.
    if (failed && created) await removeIfEmpty(req.out);
  }
}

/**
 * --steps 0: what a run holds before its first step (config.json; initial weights, EMA, zero Adam
 * moments and the seeded RNG in the checkpoint), so that a resume or an external trainer continues
 * it exactly as the run would have gone on.
 */
async function writeStart(o: Ops, dir: string, info: RunInfo, state: TrainState<unknown>, command: readonly string[] | undefined): Promise<void> {
  await writeRunInfo(dir, info, { command });
  await saveCheckpoint(dir, info, state, await snapshot(o, state));
}

/** The checkpoint, then what people read beside it: the curves of the log so far and the card. */
async function saveCheckpoint(dir: string, info: RunInfo, state: TrainState<unknown>, host: HostState): Promise<void> {
  await writeCheckpoint(dir, info, state, host);
  await writeCurves(dir);
  await writeCard(dir, info, state.step);
}

async function train(o: Ops, req: TrainRequest, io: Io, signals: StopSignals): Promise<TrainResult> {
  const { info: startInfo, state: initial, resumed, restarted, command, note } = await start(o, req, io.argv);
  // A new run's config holds its --steps (or the default): the total of new, restarted and resumed runs alike.
  const steps = req.steps ?? startInfo.train.steps;
  const progress = new Progress(io, req.label ?? '');
  const result = (trained: number, seconds: number): TrainResult => ({
    dir: req.out,
    mode: req.mode,
    step: initial.step + trained,
    trained,
    seconds,
    stepsPerSec: seconds > 0 ? trained / seconds : 0,
  });
  if (initial.step > steps) {
    disposeState(o, initial);
    throw new UsageError(`--steps ${steps} is below the ${initial.step} steps ${req.out} has done (--steps is the total, not the steps to add)`);
  }
  const schedule = startInfo.train.lr;
  if (schedule.kind === 'cosine' && steps > schedule.decaySteps) {
    disposeState(o, initial);
    throw new UsageError(`--steps ${steps} is past step ${schedule.decaySteps}, where ${req.out}'s cosine lr schedule ends: it cannot train further`);
  }
  if (initial.step === steps) {
    try {
      if (!resumed) await writeStart(o, req.out, startInfo, initial, command);
    } finally {
      disposeState(o, initial);
    }
    progress.note(
      resumed
        ? `${req.out} is already at step ${steps} of ${steps}: nothing to train${steps === 0 ? ' (give --steps N, the total to train to)' : ''}`
        : `started ${describeMode(req.mode)} in ${req.out} at step 0 (${CONFIG_FILE}, ${CHECKPOINT_FILE}); continue it with --resume --steps N`,
    );
    return result(0, 0);
  }

  const info: RunInfo = { ...startInfo, train: { ...startInfo.train, steps } };
  const model = createModel(info.model);
  const teacher = req.teacher ? await req.teacher(o, info) : undefined;
  const ctx: StepContext<unknown> = {
    model,
    config: info.train,
    data: dataOf(info),
    optimizer: makeOptimizer(info.train),
    ...(teacher ? { teacher } : {}),
  };
  // The backend's stepper (eager on `o`, or compiled on ONNX Runtime); it takes over `initial`.
  let engine: TrainEngine;
  try {
    engine = await engineFor(req.backend)(o, ctx, initial);
  } catch (e) {
    if (teacher) o.dispose(Object.values(teacher.params));
    throw e;
  }
  await writeRunInfo(req.out, info, { command, backend: engine.name });
  await trimLog(req.out, initial.step);
  if (restarted) progress.note(`${req.out} stopped before its first checkpoint: starting it again from step 0`);
  if (note) progress.note(note);
  progress.note(
    `${resumed ? 'resuming' : 'training'} ${describeMode(req.mode)} in ${req.out}: ` +
      `${resumed ? `step ${initial.step} to ${steps}` : `${steps} steps`}, batch ${info.train.batch}, ` +
      `${describeData(info.data)}${info.data.conditional ? ' (conditional)' : ''}, ${describeModel(info.model)}, ${engine.name}`,
  );

  const began = performance.now();
  let saved = resumed ? initial.step : undefined;
  const kept = () => (saved === undefined ? 'before its first checkpoint' : `keeping the checkpoint of step ${saved}`);
  const watch = new DivergenceWatch(engine.stepper, kept);
  // On SIGINT/SIGTERM the loop stops between steps and the state reached is saved, unless steps
  // are being skipped (then the last good checkpoint stays, as when a run diverges).
  const saveOnStop = async (e: Interrupted) => {
    const s = await engine.hostState();
    if (!watch.skipping && s.step !== saved) {
      await saveCheckpoint(req.out, info, s, s);
      saved = s.step;
    }
    return new Interrupted(e.signal, `${e.signal}: stopped at step ${s.step} of ${steps}, ${kept()}; continue it with --resume`);
  };
  let final: { step: number };
  try {
    final = await runLoop(new StopOnSignal(watch, signals), {
      until: steps,
      logEvery: req.logEvery ?? DEFAULT_LOG_EVERY,
      checkpointEvery: req.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
      onLog: (entry) => {
        appendLog(req.out, entry);
        progress.step(entry, steps);
      },
      onCheckpoint: async ({ step }) => {
        if (watch.skipping && step < steps) return;
        const s = await engine.hostState();
        await saveCheckpoint(req.out, info, s, s);
        saved = s.step;
        if (req.samples || isImageRun(info)) {
          const ema = toDevice(o, s.ema);
          try {
            if (isImageRun(info)) {
              await writeImagePreview(o, req.out, { info, model, params: ema, data: ctx.data }, req.mode, s.step);
            } else {
              const sampler = defaultSampler(req.mode);
              const points = await drawSamples(o, { info, model, params: ema, data: ctx.data }, { ...sampler, n: PREVIEW_POINTS, seed: 0 });
              const title = `${describeSampler(sampler)}, step ${s.step} of ${steps} (EMA)`;
              await writeAtomic(join(req.out, SAMPLES_FILE), scatterPng(points, { title }));
            }
          } finally {
            o.dispose(Object.values(ema));
          }
        }
      },
    });
  } catch (e) {
    throw e instanceof Interrupted ? await saveOnStop(e) : e;
  } finally {
    progress.done();
    await engine.close();
    if (teacher) o.dispose(Object.values(teacher.params));
  }
  const seconds = (performance.now() - began) / 1000;
  const done = result(final.step - initial.step, seconds);
  progress.note(
    `trained ${done.trained} steps in ${formatDuration(seconds)} (${done.stepsPerSec.toFixed(1)} steps/s); ` +
      `checkpoint at step ${done.step}: ${checkpointPath(req.out)}`,
  );
  return done;
}
