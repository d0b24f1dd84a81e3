/** scm train-teacher: a TrigFlow diffusion teacher on toy 2-D data (an MLP) or images (a U-Net) (mode 'teacher'). */
import { createModel, defaultMlpConfig, defaultTrainConfig, initState, TOY2D_NAMES, toy2dSource, type MlpConfig, type RunInfo } from '@scm/core';
import {
  BACKENDS,
  commonOptions,
  flag,
  optInteger,
  optNumber,
  parseChoice,
  requireStr,
  str,
  type CommandHelp,
  type OptionSpecs,
  type OptionValues,
} from '../options/args.js';
import { UsageError } from '../options/errors.js';
import { createImageTeacher, dataName, imageSettings, rejectUnetOptions } from '../training/image-runs.js';
import { DATA_HELP, describeData, IMAGE_DATA_OPTIONS, imageDataSpec, UNET_OPTIONS, unetOptions, type ImageDataSpec, type UnetOptions } from '../data/images.js';
import type { Io } from '../options/io.js';
import { IMAGE_RECIPE, recipeBatch, recipeLr, recipeProposal, TOY2D_RECIPE } from '../recipe/recipe.js';
import { DEFAULT_STEPS, loopFields, runTraining, sharedSettings, TRAINING_OPTIONS, trainingOptions, type RunOptions, type TrainResult } from '../training/training.js';

const OPTIONS: OptionSpecs = {
  data: { type: 'string', value: 'NAME', help: DATA_HELP },
  conditional: {
    type: 'boolean',
    help: 'condition on class labels (2-D: the mixture component; images: the digit, or the sub-folder of a folder); trains with label dropout for CFG',
  },
  ...IMAGE_DATA_OPTIONS,
  ...TRAINING_OPTIONS,
  lr: { type: 'string', value: 'LR', help: `Adam learning rate (default ${TOY2D_RECIPE.teacherLr}; images: ${IMAGE_RECIPE.teacherLr})` },
  width: { type: 'string', value: 'W', help: `MLP width (default ${TOY2D_RECIPE.width})` },
  blocks: { type: 'string', value: 'N', help: `residual blocks (default ${TOY2D_RECIPE.blocks})` },
  'input-features': {
    type: 'string',
    value: 'K',
    help: `random Fourier features of the input point, K (cos, sin) pairs beside it (default ${TOY2D_RECIPE.inputFeatures}; 0: none)`,
  },
  'input-feature-scale': { type: 'string', value: 'S', help: `std of their frequencies per unit of x_t / sigma_d (default ${TOY2D_RECIPE.inputFeatureScale})` },
  ...UNET_OPTIONS,
  classifier: { type: 'string', value: 'DIR', help: 'images: classifier run (scm train-classifier) that scm eval uses, recorded in config.json' },
};

export const help: CommandHelp = {
  name: 'train-teacher',
  summary: 'Train a diffusion teacher (TrigFlow, adaptive-weighted loss) on 2-D toy data (an MLP) or images (a U-Net).',
  usage: '--out DIR [--data NAME|folder:PATH] [--steps N] [--batch B] [options]',
  options: OPTIONS,
  backends: BACKENDS,
  notes: [
    'Example: scm train-teacher --data checkerboard --steps 2000 --batch 256 --out runs/cb-teacher',
    'Images: scm train-teacher --data mnist --conditional --steps 3000 --out runs/mnist-teacher\n' +
      `         scm train-teacher --data folder:photos --size 32 --channels 3 --out runs/photos (batch ${IMAGE_RECIPE.batch} by default; a\n` +
      '         PNG grid of samples is written at every checkpoint)',
  ],
};

export interface TeacherOptions extends RunOptions {
  readonly data?: string;
  readonly conditional?: boolean;
  readonly width?: number;
  readonly blocks?: number;
  readonly inputFeatures?: number;
  readonly inputFeatureScale?: number;
  /** Image data (from imageDataSpec); `data` then only names it. */
  readonly image?: ImageDataSpec;
  readonly unet?: UnetOptions;
  readonly classifier?: string;
}

export function trainTeacher(opts: TeacherOptions, io: Io): Promise<TrainResult> {
  if (opts.data !== undefined && !opts.image) parseChoice('data', opts.data, TOY2D_NAMES, 'data');
  if (!opts.image && opts.resume !== true) rejectUnetOptions(opts.unet, opts.data ?? 'checkerboard');
  const shared = sharedSettings(opts);
  return runTraining(
    {
      command: 'train-teacher',
      mode: 'teacher',
      ...loopFields(opts),
      settings: [
        { flag: 'data', given: opts.image ? dataName(opts.image) : opts.data, stored: (i) => describeData(i.data) },
        ...imageSettings(opts.image, opts.unet),
        { flag: 'conditional', given: opts.conditional || undefined, stored: (i) => i.data.conditional },
        shared.batch,
        shared.lr,
        shared.lrSchedule,
        shared.pMean,
        shared.pStd,
        { flag: 'width', given: opts.width, stored: (i) => (i.model.kind === 'mlp' ? i.model.width : undefined) },
        { flag: 'blocks', given: opts.blocks, stored: (i) => (i.model.kind === 'mlp' ? i.model.blocks : undefined) },
        { flag: 'input-features', given: opts.inputFeatures, stored: (i) => (i.model.kind === 'mlp' ? i.model.inputFeatures : undefined) },
        { flag: 'input-feature-scale', given: opts.inputFeatureScale, stored: (i) => (i.model.kind === 'mlp' ? i.model.inputFeatureScale : undefined) },
        shared.seed,
      ],
      create: async (steps) => {
        const name = opts.data ?? 'checkerboard';
        const kind = opts.image ? 'image' : 'toy2d';
        const train = defaultTrainConfig('teacher', {
          steps,
          seed: opts.seed ?? 0,
          batch: recipeBatch(kind, opts.batch),
          lr: recipeLr(kind, 'teacher', opts, steps),
          proposal: recipeProposal(kind, 'teacher', opts),
        });
        if (opts.image) return createImageTeacher(opts.image, opts.unet ?? {}, train, opts.out, opts.classifier);
        let data;
        try {
          data = toy2dSource(name, { sigmaD: train.sigmaD, conditional: opts.conditional ?? false });
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const modelConfig: MlpConfig = {
          ...defaultMlpConfig,
          dim: 2,
          sigmaD: train.sigmaD,
          numClasses: data.numClasses,
          width: opts.width ?? TOY2D_RECIPE.width,
          blocks: opts.blocks ?? TOY2D_RECIPE.blocks,
          inputFeatures: opts.inputFeatures ?? TOY2D_RECIPE.inputFeatures,
          inputFeatureScale: opts.inputFeatureScale ?? TOY2D_RECIPE.inputFeatureScale,
        };
        let model;
        try {
          model = createModel(modelConfig);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const info: RunInfo = { model: modelConfig, train, data: { name, conditional: opts.conditional ?? false } };
        return { info, init: (o) => initState(o, model, train) };
      },
    },
    io,
  );
}

export async function run(values: OptionValues, io: Io): Promise<void> {
  const common = commonOptions(values, help);
  const t = trainingOptions(values);
  const image = imageDataSpec(values);
  for (const f of ['width', 'blocks', 'input-features', 'input-feature-scale']) {
    if (image && values[f] !== undefined) throw new UsageError(`--${f} sizes the MLP of 2-D data; image data trains a U-Net: size it with --base-channels, --channel-mult, --blocks-per-level`);
  }
  if (!image && values.classifier !== undefined) throw new UsageError('--classifier is for image runs (scm eval scores images with it); 2-D runs are scored against their data');
  await trainTeacher(
    {
      out: requireStr(values, 'out', help.name),
      data: str(values, 'data'),
      conditional: flag(values, 'conditional'),
      width: optInteger(values, 'width'),
      blocks: optInteger(values, 'blocks'),
      inputFeatures: optInteger(values, 'input-features', 0),
      inputFeatureScale: optNumber(values, 'input-feature-scale'),
      image,
      unet: unetOptions(values),
      classifier: str(values, 'classifier'),
      ...t,
      seed: common.seedGiven ? common.seed : undefined,
      backend: common.backend,
    },
    io,
  );
}
