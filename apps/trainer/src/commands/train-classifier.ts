/**
 * scm train-classifier: the image classifier whose features the Frechet distance of scm eval uses
 * (and whose predictions give its class accuracy and coverage). Adam on cross-entropy over the
 * training images; reports the accuracy on held-out images and writes a classifier run folder.
 */
import { join } from 'node:path';
import { commonOptions, flag, optInteger, optNumber, requireStr, type CommandHelp, type OptionSpecs, type OptionValues } from '../options/args.js';
import { openBackend } from '../backends/backend.js';
import { MAX_STAGES, trainClassifier } from '../evaluation/classifier.js';
import { UsageError } from '../options/errors.js';
import { DATA_HELP, IMAGE_DATA_OPTIONS, imageDataSpec } from '../data/images.js';
import type { Io } from '../options/io.js';
import { formatDuration, formatLoss, Progress } from '../run/progress.js';
import { CONFIG_FILE, hasCheckpoint, prepareNewRunFolder } from '../run/run-folder.js';
import { lrScheduleOption, optLrSchedule } from '../recipe/lr-schedule.js';

export const CLASSIFIER_DEFAULTS = { steps: 500, batch: 64, lr: 1e-2, width: 16, shift: 0 } as const;
/**
 * MNIST and Fashion-MNIST classifiers see the 28x28 images padded to 32x32 (as scm eval pads the
 * samples): three pooling stages then reach 4x4 and a wide receptive field, which learns far faster
 * than two stages ending in a 7x7 global average.
 */
export const DATASET_CLASSIFIER_SIZE = 32;

const OPTIONS: OptionSpecs = {
  data: { type: 'string', value: 'NAME', help: DATA_HELP.replace(/^toy data \([^)]*\), /, '') + ' with classes (folders: one sub-folder per class)' },
  ...IMAGE_DATA_OPTIONS,
  out: { type: 'string', value: 'DIR', help: 'classifier run folder to write (config.json, checkpoint.safetensors)' },
  steps: { type: 'string', value: 'N', help: `training steps (default ${CLASSIFIER_DEFAULTS.steps})` },
  batch: { type: 'string', value: 'B', help: `batch size (default ${CLASSIFIER_DEFAULTS.batch})` },
  lr: { type: 'string', value: 'LR', help: `Adam learning rate (default ${CLASSIFIER_DEFAULTS.lr})` },
  'lr-schedule': lrScheduleOption('constant'),
  shift: {
    type: 'string',
    value: 'P',
    help: `augmentation: move each training image by a random whole-pixel offset of up to P pixels per axis (default ${CLASSIFIER_DEFAULTS.shift})`,
  },
  width: { type: 'string', value: 'W', help: `channels of the first stage, doubling per stage (default ${CLASSIFIER_DEFAULTS.width})` },
  stages: {
    type: 'string',
    value: 'N',
    help: `conv + pool stages; features have width x 2^(N-1) channels (default: as many as halve the size evenly, at most ${MAX_STAGES})`,
  },
  'log-every': { type: 'string', value: 'N', help: 'progress every N steps (default 50)' },
  json: { type: 'boolean', help: 'print the classifier run (config.json) as JSON' },
};

export const help: CommandHelp = {
  name: 'train-classifier',
  summary:
    'Train the image classifier that scm eval uses as the feature network of its Frechet distance.\n' +
    'Reports the accuracy on held-out images (MNIST: the test split; folders: 10% held out).',
  usage: '--data NAME|folder:PATH --out DIR [--steps N] [options]',
  options: OPTIONS,
  notes: [
    'Example: scm train-classifier --data mnist --steps 500 --out runs/mnist-clf\n' +
      '         scm train-teacher --data mnist --conditional --classifier runs/mnist-clf --out runs/mnist-teacher',
  ],
};

export async function run(values: OptionValues, io: Io): Promise<void> {
  const common = commonOptions(values, help);
  const out = requireStr(values, 'out', help.name);
  const given = imageDataSpec({ ...values, conditional: true });
  const spec = given && given.dir === undefined && given.size === undefined ? { ...given, size: DATASET_CLASSIFIER_SIZE } : given;
  if (spec === undefined) throw new UsageError(`--data: a classifier needs labelled images (mnist, fashion-mnist, emoji or folder:PATH), got ${String(values.data ?? 'none')}`);
  const steps = optInteger(values, 'steps') ?? CLASSIFIER_DEFAULTS.steps;
  const batch = optInteger(values, 'batch') ?? CLASSIFIER_DEFAULTS.batch;
  const lr = optNumber(values, 'lr') ?? CLASSIFIER_DEFAULTS.lr;
  const lrSchedule = optLrSchedule(values) ?? 'constant';
  const shift = optInteger(values, 'shift', 0) ?? CLASSIFIER_DEFAULTS.shift;
  const width = optInteger(values, 'width') ?? CLASSIFIER_DEFAULTS.width;
  const stages = optInteger(values, 'stages');
  const logEvery = optInteger(values, 'log-every') ?? 50;
  // A classifier run is replaced by a new one; a folder of anything else is never written to.
  if (!(await hasCheckpoint(out))) await prepareNewRunFolder(out);
  const o = await openBackend(common.backend);
  const progress = new Progress(io);
  const began = performance.now();
  progress.note(`training a classifier on ${spec.dir ?? spec.name} in ${out}: ${steps} steps, batch ${batch}, width ${width}, ${o.name}`);
  const info = await trainClassifier(o, {
    data: spec,
    out,
    steps,
    batch,
    lr,
    lrSchedule,
    shift,
    width,
    stages,
    seed: common.seed,
    logEvery,
    onLog: (step, loss) => {
      const elapsed = (performance.now() - began) / 1000;
      progress.update(`step ${step}/${steps}  loss ${formatLoss(loss)}  ${(step / elapsed).toFixed(1)} steps/s  ${step < steps ? `ETA ${formatDuration(((steps - step) * elapsed) / step)}` : `took ${formatDuration(elapsed)}`}`);
    },
  });
  progress.done();
  const pct = (100 * info.heldOut.accuracy).toFixed(1);
  progress.note(`held-out accuracy ${pct}% on ${info.heldOut.what} (${info.heldOut.images} images); classifier run: ${join(out, CONFIG_FILE)}`);
  io.out(flag(values, 'json') ? `${JSON.stringify(info, null, 2)}\n` : `held-out accuracy ${pct}% (${info.heldOut.images} images)\n`);
}
