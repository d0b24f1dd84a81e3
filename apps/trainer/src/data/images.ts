/**
 * Image data in the trainer: the --data values that name images (mnist, fashion-mnist, emoji,
 * folder:PATH or --data-dir PATH), what a run records of them in config.json (`data`), the run's
 * data source rebuilt from that record, and the U-Net an image run trains (--base-channels ...).
 *
 * Units: images are NHWC, first mapped to [-1, 1] (data units: what grids, .npy files and the
 * classifier see), then scaled to std sigma_d (model units: what the networks see), as
 * @scm/datasets does: model = data * scale, scale = sigma_d / dataStd. The run records dataStd, so
 * samples can be turned back into data units without loading the images again.
 */
import { resolve } from 'node:path';
import { defaultUnetConfig, TOY2D_NAMES, type DataConfig, type DataSource, type RunInfo, type UnetConfig } from '@scm/core';
import { DATASET_NAMES, datasetByName, datasetChannels, DEFAULT_MAX_PIXELS, imageFolderSource, type ImageSource } from '@scm/datasets';
import { flag, optInteger, parseIntegerList, str, type OptionSpecs, type OptionValues } from '../options/args.js';
import { RunError, UsageError } from '../options/errors.js';
import { coarsestResolution, IMAGE_RECIPE, imageUnetRecipe } from '../recipe/recipe.js';
import { didYouMean } from '../options/suggest.js';

export const FOLDER_PREFIX = 'folder:';
/** config.json's data.name of a folder run (its path is data.dir). */
export const FOLDER_NAME = 'folder';

/** What an image run records as `data` in config.json and its checkpoint. */
export interface ImageDataConfig extends DataConfig {
  readonly kind: 'image';
  /** One of @scm/datasets' DATASET_NAMES (mnist, emoji, ...) or folder. */
  readonly name: string;
  readonly conditional: boolean;
  /** Folder runs: the folder, absolute. */
  readonly dir?: string;
  /** --size when given (MNIST: 28 or padded; folders: centre square resampled to size x size). */
  readonly size?: number;
  /** Folder runs: --max-image-pixels when given, so a resume reads the folder as the run began. */
  readonly maxPixels?: number;
  readonly channels: number;
  /** Height = width of the images the model sees. */
  readonly imageSize: number;
  /** Std of the training images in [-1, 1]: model units = data units x sigmaD / dataStd. */
  readonly dataStd: number;
}

/** An image data choice from the command line, before its images are read. */
export interface ImageDataSpec {
  readonly name: string;
  readonly dir?: string;
  readonly size?: number;
  readonly channels?: 1 | 3;
  readonly conditional: boolean;
  readonly maxPixels?: number;
}

export function isImageData(d: DataConfig): d is ImageDataConfig {
  return (d as Partial<ImageDataConfig>).kind === 'image';
}

export const isImageRun = (info: Pick<RunInfo, 'data'>) => isImageData(info.data);

/** How a run's data reads in messages: "mnist" or "folder:/path". */
export function describeData(d: DataConfig): string {
  return isImageData(d) && d.dir !== undefined ? `${FOLDER_PREFIX}${d.dir}` : d.name;
}

// ---- options ---------------------------------------------------------------------------------

/** --data NAME as toy data, a built-in image set or folder:PATH; undefined for toy data. */
export const DATA_HELP =
  `toy data (${TOY2D_NAMES.join(', ')}; default checkerboard), images (${DATASET_NAMES.join(', ')}: the training split) ` +
  `or ${FOLDER_PREFIX}PATH (a folder of PNG/JPEG files)`;

export const IMAGE_DATA_OPTIONS: OptionSpecs = {
  'data-dir': { type: 'string', value: 'PATH', help: `same as --data ${FOLDER_PREFIX}PATH` },
  size: { type: 'string', value: 'N', help: 'images: side of the square images (MNIST: 28, or 32 padded; emoji: 32, area-averaged from 64; folders: centre square resampled to N x N)' },
  channels: { type: 'string', value: 'C', help: 'image folders: 1 (grayscale) or 3 (RGB, default)' },
  'max-image-pixels': {
    type: 'string',
    value: 'N',
    help: `image folders: most pixels one image may have, checked from its header before decoding (default ${DEFAULT_MAX_PIXELS})`,
  },
};

export const UNET_OPTIONS: OptionSpecs = {
  'base-channels': { type: 'string', value: 'N', help: `images: U-Net channels of the first level (default ${IMAGE_RECIPE.baseChannels})` },
  'channel-mult': {
    type: 'string',
    value: 'LIST',
    help: 'images: channels per level as multiples of --base-channels (default 1,2,2 where the size halves twice evenly, as 28: 28, 14, 7)',
  },
  'blocks-per-level': { type: 'string', value: 'N', help: `images: residual blocks per level (default ${IMAGE_RECIPE.blocksPerLevel})` },
  attention: {
    type: 'string',
    value: 'LIST',
    help: 'images: resolutions whose blocks add self-attention, e.g. 7 or 14,7, or none (default the coarsest level, 7 for 28x28; the middle block always attends)',
  },
  dropout: { type: 'string', value: 'P', help: `images: dropout rate of the blocks at resolutions <= 16 (default ${IMAGE_RECIPE.dropout}; --backend onnx trains no dropout)` },
};

export interface UnetOptions {
  readonly baseChannels?: number;
  readonly channelMult?: readonly number[];
  readonly blocksPerLevel?: number;
  readonly attention?: readonly number[];
  readonly dropout?: number;
}

export function unetOptions(values: OptionValues): UnetOptions {
  const mult = str(values, 'channel-mult');
  const attention = str(values, 'attention');
  const dropout = str(values, 'dropout');
  let rate: number | undefined;
  if (dropout !== undefined) {
    rate = dropout.trim() === '' ? NaN : Number(dropout);
    if (!(rate >= 0 && rate < 1)) throw new UsageError(`--dropout must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  }
  return {
    baseChannels: optInteger(values, 'base-channels'),
    channelMult: mult === undefined ? undefined : parseIntegerList('channel-mult', mult),
    blocksPerLevel: optInteger(values, 'blocks-per-level'),
    attention: attention === undefined ? undefined : attention.trim() === 'none' || attention.trim() === '' ? [] : parseIntegerList('attention', attention),
    dropout: rate,
  };
}

/** Whether any U-Net option was given (an error for 2-D data, which trains an MLP). */
export function hasUnetOptions(u: UnetOptions): boolean {
  return Object.values(u).some((v) => v !== undefined);
}

/**
 * The image data that --data / --data-dir / --size / --channels / --conditional name, or
 * undefined for toy data. Unknown names are usage errors that list every choice.
 */
export function imageDataSpec(values: OptionValues): ImageDataSpec | undefined {
  const data = str(values, 'data');
  const dataDir = str(values, 'data-dir');
  const size = optInteger(values, 'size');
  const channelsRaw = str(values, 'channels');
  const maxPixels = optInteger(values, 'max-image-pixels');
  const conditional = flag(values, 'conditional');
  if (dataDir !== undefined && data !== undefined && data !== `${FOLDER_PREFIX}${dataDir}`) {
    throw new UsageError(`give either --data or --data-dir, not both (--data-dir ${dataDir} is --data ${FOLDER_PREFIX}${dataDir})`);
  }
  const name = dataDir !== undefined ? `${FOLDER_PREFIX}${dataDir}` : data;
  let channels: 1 | 3 | undefined;
  if (channelsRaw !== undefined) {
    if (channelsRaw !== '1' && channelsRaw !== '3') throw new UsageError(`--channels must be 1 or 3, got ${JSON.stringify(channelsRaw)}`);
    channels = Number(channelsRaw) as 1 | 3;
  }
  if (name === undefined || (TOY2D_NAMES as readonly string[]).includes(name)) {
    for (const [f, v] of [['size', size], ['channels', channels], ['max-image-pixels', maxPixels]] as const) {
      if (v !== undefined) throw new UsageError(`--${f} is for image data; ${name ?? 'checkerboard'} is 2-D toy data`);
    }
    return undefined;
  }
  if (name.startsWith(FOLDER_PREFIX)) {
    const dir = name.slice(FOLDER_PREFIX.length);
    if (dir === '') throw new UsageError(`--data ${FOLDER_PREFIX} needs a path: --data ${FOLDER_PREFIX}PATH`);
    return { name: FOLDER_NAME, dir: resolve(dir), size, channels: channels ?? 3, conditional, maxPixels };
  }
  if ((DATASET_NAMES as readonly string[]).includes(name)) {
    if (maxPixels !== undefined) throw new UsageError(`--max-image-pixels is for image folders; ${name} is a built-in data set`);
    const own = datasetChannels(name);
    if (channels !== undefined && channels !== own) throw new UsageError(`--channels ${channels}: ${name} images are ${own === 1 ? 'grayscale (1 channel)' : 'RGB (3 channels)'}`);
    return { name, size, channels: own, conditional };
  }
  const names = [...TOY2D_NAMES, ...DATASET_NAMES];
  throw new UsageError(`unknown data ${JSON.stringify(name)}${didYouMean(name, names)}: choose one of ${names.join(', ')} or ${FOLDER_PREFIX}PATH`);
}

// ---- loading ---------------------------------------------------------------------------------

function loadFailure(spec: Pick<ImageDataSpec, 'name' | 'dir'>, e: unknown): RunError {
  const what = spec.dir !== undefined ? `image folder ${spec.dir}` : spec.name;
  const message = ((e as Error).message ?? String(e)).replace(/pass size to /, 'pass --size N to ').replace(/raise the maxPixels option/, 'raise it with --max-image-pixels N');
  return new RunError(`cannot load ${what}: ${message}`);
}

/**
 * The images of a data choice as a source in model units. `split` picks MNIST's training or held-out
 * images; a folder has one split (both give all its images). Errors are RunErrors naming the data.
 */
export function loadImages(spec: ImageDataSpec, split: 'train' | 'test', sigmaD: number): ImageSource {
  try {
    if (spec.dir !== undefined) {
      return imageFolderSource(spec.dir, {
        sigmaD,
        channels: spec.channels ?? 3,
        classes: spec.conditional ? 'subfolders' : 'none',
        ...(spec.size !== undefined ? { size: spec.size } : {}),
        ...(spec.maxPixels !== undefined ? { maxPixels: spec.maxPixels } : {}),
      });
    }
    return datasetByName(spec.name, { split, sigmaD, conditional: spec.conditional, ...(spec.size !== undefined ? { size: spec.size } : {}) });
  } catch (e) {
    throw loadFailure(spec, e);
  }
}

/** What a new run records of its images (loaded once to measure them), and the source itself. */
export function openNewImageData(spec: ImageDataSpec, sigmaD: number): { config: ImageDataConfig; source: ImageSource } {
  const source = loadImages(spec, 'train', sigmaD);
  const [height, width, channels] = source.sampleShape;
  if (height !== width) {
    throw new RunError(`the images of ${describeSpec(spec)} are ${width}x${height} (width x height); the U-Net needs square images: pass --size N`);
  }
  if (spec.conditional && source.numClasses < 2) {
    throw new RunError(`--conditional needs at least 2 classes; ${describeSpec(spec)} has ${source.numClasses} (one sub-folder per class)`);
  }
  const config: ImageDataConfig = {
    kind: 'image',
    name: spec.name,
    conditional: spec.conditional,
    ...(spec.dir !== undefined ? { dir: spec.dir } : {}),
    ...(spec.size !== undefined ? { size: spec.size } : {}),
    ...(spec.maxPixels !== undefined ? { maxPixels: spec.maxPixels } : {}),
    channels,
    imageSize: height,
    dataStd: source.dataStd,
  };
  return { config, source };
}

function describeSpec(spec: Pick<ImageDataSpec, 'name' | 'dir'>): string {
  return spec.dir !== undefined ? `${FOLDER_PREFIX}${spec.dir}` : spec.name;
}

export function specOf(d: ImageDataConfig): ImageDataSpec {
  return { name: d.name, dir: d.dir, size: d.size, channels: d.channels as 1 | 3, conditional: d.conditional, maxPixels: d.maxPixels };
}

/**
 * An image run's data source from its RunInfo. The images are read on the first `sample` (training);
 * converting units (sampling, previews) needs only the recorded dataStd.
 */
export function imageDataOf(info: RunInfo): DataSource & { readonly scale: number } {
  const d = info.data;
  if (!isImageData(d)) throw new Error('imageDataOf: not an image run');
  const sigmaD = info.train.sigmaD;
  const scale = sigmaD / d.dataStd;
  let source: ImageSource | undefined;
  const load = (): ImageSource => {
    if (source) return source;
    const s = loadImages(specOf(d), 'train', sigmaD);
    const shape = [d.imageSize, d.imageSize, d.channels];
    if (s.sampleShape.join() !== shape.join()) {
      throw new RunError(`${describeData(d)} now holds images of shape [${s.sampleShape.join(', ')}]; the run was trained on [${shape.join(', ')}]`);
    }
    return (source = s);
  };
  const multiply = (x: Float32Array, factor: number) => x.map((v) => v * factor);
  return {
    name: describeData(d),
    sampleShape: [d.imageSize, d.imageSize, d.channels],
    numClasses: d.conditional ? info.model.numClasses : 0,
    scale,
    sample: (rng, n) => load().sample(rng, n),
    toData: (x) => multiply(x, 1 / scale),
    fromData: (x) => multiply(x, scale),
    // toData as an affine map, so exported samplers output data units in the graph (scm export).
    affine: { scale, mean: new Array<number>(d.channels).fill(0) },
  };
}

// ---- the model -------------------------------------------------------------------------------

/** The U-Net of a new image run; createUnet checks it (errors become usage errors naming the option). */
export function imageUnetConfig(d: ImageDataConfig, numClasses: number, sigmaD: number, u: UnetOptions): UnetConfig {
  const channelMult = u.channelMult ?? imageUnetRecipe(d.imageSize).channelMult;
  return {
    ...defaultUnetConfig,
    imageSize: d.imageSize,
    channels: d.channels,
    baseChannels: u.baseChannels ?? IMAGE_RECIPE.baseChannels,
    channelMult: [...channelMult],
    blocksPerLevel: u.blocksPerLevel ?? IMAGE_RECIPE.blocksPerLevel,
    attentionResolutions: [...(u.attention ?? [coarsestResolution(d.imageSize, channelMult)])],
    dropout: u.dropout ?? IMAGE_RECIPE.dropout,
    numClasses,
    sigmaD,
  };
}

/** "unet 16x[1,2] 1 block/level" for progress lines. */
export function describeUnet(m: UnetConfig): string {
  const attention = m.attentionResolutions.length > 0 ? `, attention at ${m.attentionResolutions.join(',')}` : '';
  return `unet ${m.baseChannels}x[${m.channelMult.join(',')}] ${m.blocksPerLevel} block${m.blocksPerLevel === 1 ? '' : 's'}/level${attention}, ${m.imageSize}x${m.imageSize}x${m.channels}`;
}
