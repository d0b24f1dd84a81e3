/** The built-in datasets by the names a command line uses. */
import { EMOJI_CLASS_NAMES, emojiSource, type EmojiStyle } from './emoji.js';
import type { ImageSource } from './image-source.js';
import { CLASS_NAMES, mnistSource, type MnistVariant } from './mnist.js';

/** The names {@link datasetByName} accepts: 'emoji' is Google's Noto Emoji, 'emoji:twitter' Twemoji. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'emoji', 'emoji:twitter'] as const;
/** One of {@link DATASET_NAMES}. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** What every built-in data set takes. */
export interface DatasetOptions {
  /** 'train', or 'test': the 10% held out by a fixed seed. */
  readonly split: 'train' | 'test';
  /** Target std in model units (default 0.5). */
  readonly sigmaD?: number;
  /** Side of the square images (MNIST: 28 or padded, default 28; emoji: 1..64, default 32). */
  readonly size?: number;
  /** Return class labels from `sample`; `all()` returns them either way. */
  readonly conditional?: boolean;
}

/** A built-in data set's split: an {@link ImageSource} that knows which pool images it holds. */
export interface DatasetSource extends ImageSource {
  /** Which part of the pool this is. */
  readonly split: 'train' | 'test';
  /** Position of each image of this split in the package's pool. */
  readonly poolIndices: Int32Array;
}

interface Entry {
  readonly load: (options: DatasetOptions) => DatasetSource;
  readonly classNames: readonly string[];
  /** 1 (grayscale) or 3 (RGB). */
  readonly channels: 1 | 3;
}

const mnistEntry = (variant: MnistVariant): Entry => ({
  load: (options) => mnistSource({ ...options, variant }),
  classNames: CLASS_NAMES[variant],
  channels: 1,
});
const emojiEntry = (style: EmojiStyle): Entry => ({ load: (options) => emojiSource({ ...options, style }), classNames: EMOJI_CLASS_NAMES, channels: 3 });

const DATASETS: Record<DatasetName, Entry> = {
  mnist: mnistEntry('mnist'),
  'fashion-mnist': mnistEntry('fashion'),
  emoji: emojiEntry('google'),
  'emoji:twitter': emojiEntry('twitter'),
};

function entry(name: string): Entry {
  if (!Object.hasOwn(DATASETS, name)) throw new Error(`unknown dataset ${JSON.stringify(name)}: choose one of ${DATASET_NAMES.join(', ')}`);
  return DATASETS[name as DatasetName];
}

/**
 * The built-in data set called `name` (one of {@link DATASET_NAMES}) with `options`.
 *
 * @throws Error for an unknown name, listing the known ones; otherwise as {@link mnistSource} or {@link emojiSource}.
 */
export function datasetByName(name: string, options: DatasetOptions): DatasetSource {
  return entry(name).load(options);
}

/**
 * The class names of the built-in data set `name`, in label order, without loading its images.
 *
 * @throws Error for an unknown name, listing the known ones.
 */
export function datasetClassNames(name: string): readonly string[] {
  return entry(name).classNames;
}

/**
 * Channels of the built-in data set `name`'s images (1 or 3), without loading them.
 *
 * @throws Error for an unknown name, listing the known ones.
 */
export function datasetChannels(name: string): 1 | 3 {
  return entry(name).channels;
}
