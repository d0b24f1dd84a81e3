/**
 * Setting up sCD (distill) and sCT (train-ct) runs from a teacher run: the student starts from the
 * teacher's EMA weights with a re-initialised logvar head (initState does that). For a
 * class-conditional teacher, the sCD student also takes the guidance scale as an input
 * (guidanceInput, s ~ U[1, 2] in training); its guidance layer starts at zero, so the student
 * starts out computing exactly the teacher's function.
 */
import { relative, resolve } from 'node:path';
import {
  createModel,
  defaultTrainConfig,
  initState,
  toDevice,
  type ModelConfig,
  type RunInfo,
  type Teacher,
} from '@scm/core';
import { BACKENDS, commonOptions, optInteger, requireStr, str, type CommandHelp, type OptionValues } from '../options/args.js';
import type { Ops } from '../backends/backend.js';
import { RunError, UsageError } from '../options/errors.js';
import { classifierField, recordedClassifier } from './image-runs.js';
import { weightsFingerprint } from '../run/fingerprint.js';
import { isImageRun } from '../data/images.js';
import type { Io } from '../options/io.js';
import { describeMode, loadRun, type LoadedRun } from '../run/run-folder.js';
import { dataKind, IMAGE_RECIPE, recipeLr, recipeProposal, TOY2D_RECIPE } from '../recipe/recipe.js';
import { loopFields, runTraining, sharedSettings, TRAINING_OPTIONS, trainingOptions, type RunOptions, type TrainResult } from './training.js';

export const GUIDANCE_MAX = 2;

export interface ConsistencyOptions extends RunOptions {
  readonly mode: 'scd' | 'sct';
  /** The teacher run folder (--teacher for distill, --init for train-ct); optional on resume. */
  readonly teacher?: string;
  readonly tangentWarmup?: number;
  /** Image runs: the classifier run scm eval uses (default: the teacher's). */
  readonly classifier?: string;
}

/** Loads a teacher run folder, refusing anything else. */
export async function loadTeacherRun(dir: string, flag: string): Promise<LoadedRun> {
  const run = await loadRun(dir, 'teacher run');
  if (run.meta.train.mode !== 'teacher') {
    throw new RunError(`${flag} ${dir} is not a teacher run: it holds a ${describeMode(run.meta.train.mode)} run; train a teacher with scm train-teacher`);
  }
  return run;
}

export async function trainConsistency(opts: ConsistencyOptions, io: Io): Promise<TrainResult> {
  const command = opts.mode === 'scd' ? 'distill' : 'train-ct';
  const teacherFlag = opts.mode === 'scd' ? '--teacher' : '--init';
  const teacherRuns = new Map<string, Promise<LoadedRun>>();
  const teacherRun = (dir: string) => {
    if (!teacherRuns.has(dir)) teacherRuns.set(dir, loadTeacherRun(dir, teacherFlag));
    return teacherRuns.get(dir)!;
  };
  const given = opts.teacher === undefined ? undefined : resolve(opts.teacher);
  const givenFingerprint = given === undefined ? undefined : weightsFingerprint((await teacherRun(given)).state.ema);
  // The teacher is recorded relative to the run folder, so the two can move together; a student
  // moved alone finds it again through an explicit teacher whose weights are the recorded ones.
  const teacherDir = (info: RunInfo) =>
    given !== undefined && info.teacherFingerprint !== undefined && info.teacherFingerprint === givenFingerprint ? given : resolve(opts.out, info.teacher ?? '');
  const shared = sharedSettings(opts);
  return runTraining(
    {
      command,
      mode: opts.mode,
      ...loopFields(opts),
      // Recorded again from where a moved student found its teacher, so that later resumes need no flag.
      relocate: (info) => {
        const now = relative(resolve(opts.out), teacherDir(info)) || '.';
        return now === info.teacher ? { info } : { info: { ...info, teacher: now }, note: `the teacher is now recorded as ${now} (was ${info.teacher ?? 'not recorded'})` };
      },
      settings: [
        { flag: teacherFlag.slice(2), given, stored: teacherDir },
        shared.batch,
        shared.lr,
        shared.lrSchedule,
        shared.pMean,
        shared.pStd,
        { flag: 'tangent-warmup', given: opts.tangentWarmup, stored: (i) => i.train.tangentWarmup },
        shared.seed,
      ],
      create: async (steps) => {
        if (opts.teacher === undefined) throw new RunError(`missing ${teacherFlag}: the teacher run to start from`);
        const teacher = await teacherRun(resolve(opts.teacher));
        if (opts.classifier !== undefined && !isImageRun(teacher.meta)) {
          throw new UsageError(`--classifier is for image runs (scm eval scores images with it); ${opts.teacher} is a 2-D run`);
        }
        const conditional = teacher.meta.model.numClasses > 0;
        const guided = opts.mode === 'scd' && conditional;
        if (steps === 0 && opts.tangentWarmup === undefined && isImageRun(teacher.meta)) {
          throw new UsageError("an image student's tangent warmup spans its total --steps, which --steps 0 leaves open: give --tangent-warmup H");
        }
        // The full config with every default filled in: a stored config that lacks a later setting
        // (the guidance gain) is read as a run from before that setting existed.
        const model: ModelConfig = createModel({ ...teacher.meta.model, guidanceInput: guided }).config;
        const train = defaultTrainConfig(opts.mode, {
          steps,
          seed: opts.seed ?? 0,
          sigmaD: teacher.meta.train.sigmaD,
          guidanceMax: guided ? GUIDANCE_MAX : 0,
          // An image student trains at its teacher's batch unless told otherwise (the 2-D default is far too big).
          ...(opts.batch !== undefined ? { batch: opts.batch } : isImageRun(teacher.meta) ? { batch: teacher.meta.train.batch } : {}),
          lr: recipeLr(dataKind(teacher.meta), 'student', opts, steps),
          proposal: recipeProposal(dataKind(teacher.meta), opts.mode, opts),
          // Image students (U-Nets) collapsed after about 100 steps at full tangent (r = 1) on MNIST, while
          // every checkpoint at r < 1 was good (models/mnist-scd/README.md): their warmup spans the run.
          tangentWarmup: opts.tangentWarmup ?? (isImageRun(teacher.meta) ? steps : TOY2D_RECIPE.tangentWarmup),
        });
        const classifier = opts.classifier ?? recordedClassifier(resolve(opts.teacher), teacher.meta);
        const info: RunInfo = {
          model,
          train,
          data: teacher.meta.data,
          teacher: relative(resolve(opts.out), resolve(opts.teacher)) || '.',
          teacherFingerprint: weightsFingerprint(teacher.state.ema),
          ...classifierField(opts.out, classifier),
        };
        return { info, init: (o) => initState(o, createModel(model), train, teacher.state.ema) };
      },
      ...(opts.mode === 'scd'
        ? {
            teacher: async (o: Ops, info: RunInfo): Promise<Teacher<unknown>> => {
              const run = await teacherRun(teacherDir(info));
              if (info.teacherFingerprint !== undefined && weightsFingerprint(run.state.ema) !== info.teacherFingerprint) {
                throw new RunError(
                  `the teacher run ${teacherDir(info)} has changed since this student began (its weights, now at step ${run.meta.step}, differ): ` +
                    'a resumed sCD run must keep its teacher; distil the new teacher in a new run',
                );
              }
              return { model: createModel(run.meta.model), params: toDevice(o, run.state.ema) };
            },
          }
        : {}),
    },
    io,
  );
}

// ---- the distill and train-ct commands: the same options but the teacher flag ----------------

const TEACHER_FLAG = { scd: 'teacher', sct: 'init' } as const;

export function consistencyHelp(mode: 'scd' | 'sct'): CommandHelp {
  const teacherFlag = TEACHER_FLAG[mode];
  const scd = mode === 'scd';
  return {
    name: scd ? 'distill' : 'train-ct',
    summary: scd
      ? 'Distil a teacher run into a consistency model (sCD).\n' +
        'The student starts from the teacher\'s EMA weights (logvar head re-initialised) and learns the teacher\'s\n' +
        'probability-flow ODE. A class-conditional teacher gives a student with a guidance input (scale 1..2).'
      : 'Train a consistency model from data (sCT), starting from a teacher\'s EMA weights.',
    usage: `--${teacherFlag} DIR --out DIR [--steps N] [options]`,
    backends: BACKENDS,
    options: {
      [teacherFlag]: { type: 'string', value: 'DIR', help: `teacher run folder (from scm train-teacher); its EMA weights ${scd ? 'are the teacher and ' : ''}initialise the student` },
      ...TRAINING_OPTIONS,
      lr: { type: 'string', value: 'LR', help: `Adam learning rate (default ${TOY2D_RECIPE.distillLr}; image runs: ${IMAGE_RECIPE.distillLr})` },
      'tangent-warmup': { type: 'string', value: 'H', help: `tangent warmup steps, r = min(1, step / H); 0 switches it off (default ${TOY2D_RECIPE.tangentWarmup}; image runs: --steps, so --steps 0 needs it)` },
      classifier: { type: 'string', value: 'DIR', help: "image runs: classifier run for scm eval, recorded in config.json (default: the teacher's)" },
    },
    notes: [`Example: scm ${scd ? 'distill --teacher' : 'train-ct --init'} runs/cb-teacher --steps 2000 --out runs/cb-${mode}`],
  };
}

export async function runConsistency(mode: 'scd' | 'sct', values: OptionValues, io: Io): Promise<void> {
  const common = commonOptions(values, consistencyHelp(mode));
  const t = trainingOptions(values);
  const teacher = str(values, TEACHER_FLAG[mode]);
  if (teacher === undefined && !t.resume) throw new UsageError(`missing --${TEACHER_FLAG[mode]} (see scm ${consistencyHelp(mode).name} --help)`);
  await trainConsistency(
    {
      mode,
      teacher,
      out: requireStr(values, 'out', consistencyHelp(mode).name),
      tangentWarmup: optInteger(values, 'tangent-warmup', 0),
      classifier: str(values, 'classifier'),
      ...t,
      seed: common.seedGiven ? common.seed : undefined,
      backend: common.backend,
    },
    io,
  );
}
