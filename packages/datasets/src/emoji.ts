/**
 * Colour emoji as a `DataSource`: the 64x64 PNGs of `emoji-datasource-google` (Noto Emoji) or
 * `emoji-datasource-twitter` (Twemoji), over white, area-averaged to 32x32 RGB, labelled by their
 * nine Unicode categories (emoji-files.ts says which emoji are kept). The packages mark no test
 * set: 10% of each class is held out by a fixed seed.
 */
import { stratifiedHeldOutSplit } from './held-out.js';
import { createImageSource, type ImageSource, type ImageTable } from './image-source.js';
import { EMOJI_CLASS_NAMES, EMOJI_PACKAGES, loadEmojiPool, type EmojiPool, type EmojiStyle } from './emoji-files.js';

export { EMOJI_CLASS_NAMES, type EmojiStyle };

/** Options of {@link emojiSource}. */
export interface EmojiSourceOptions {
  /** 'train': 90% of each class; 'test': the 10% held out. */
  readonly split: 'train' | 'test';
  /** 'google' (Noto Emoji, default) or 'twitter' (Twemoji). */
  readonly style?: EmojiStyle;
  /** Target std in model units (default 0.5). */
  readonly sigmaD?: number;
  /** Side of the square images, area-averaged from 64 (default 32). */
  readonly size?: number;
  /** Return class labels from `sample` (numClasses 9); `all()` returns them either way. */
  readonly conditional?: boolean;
}

/** An emoji split as an {@link ImageSource}: 3-channel images, 9 classes. */
export interface EmojiSource extends ImageSource {
  /** Which part of each class this is. */
  readonly split: 'train' | 'test';
  /** Whose artwork: 'google' (Noto Emoji) or 'twitter' (Twemoji). */
  readonly style: EmojiStyle;
  /** Position of each image of this split in the style's pool (Unicode order). */
  readonly poolIndices: Int32Array;
  /** Each image's emoji.json short name, in the order of `all()`. */
  readonly names: readonly string[];
}

/** Side of the emoji images when no size is given: 32, half the packages' 64. */
export const DEFAULT_EMOJI_SIZE = 32;
const SOURCE_SIDE = 64;

/**
 * Emoji from the installed `emoji-datasource-<style>` package (an optional peer dependency;
 * nothing is downloaded). Both splits are scaled by the training split's std.
 *
 * @throws Error when the package is not installed (naming it), or for an unknown split or style,
 *   or a size outside 1..64.
 */
export function emojiSource(options: EmojiSourceOptions): EmojiSource {
  const style = options.style ?? 'google';
  if (!Object.hasOwn(EMOJI_PACKAGES, style)) throw new Error(`emojiSource: style must be "google" or "twitter", got ${JSON.stringify(style)}`);
  const name = style === 'google' ? 'emoji' : `emoji:${style}`;
  if (options.split !== 'train' && options.split !== 'test') {
    throw new Error(`${name}: split must be "train" or "test", got ${JSON.stringify(options.split)}`);
  }
  const size = options.size ?? DEFAULT_EMOJI_SIZE;
  if (!(Number.isInteger(size) && size >= 1 && size <= SOURCE_SIDE)) {
    throw new Error(`${name}: size must be a whole number of pixels from 1 to ${SOURCE_SIDE} (the images are ${SOURCE_SIDE}x${SOURCE_SIDE}), got ${size}`);
  }
  const pool = loadEmojiPool(style, size);
  const splits = stratifiedHeldOutSplit(pool.labels, EMOJI_CLASS_NAMES.length);
  const spec = (indices: Int32Array) => ({ name, table: tableOf(pool, indices, size), sigmaD: options.sigmaD, classNames: EMOJI_CLASS_NAMES, conditional: options.conditional ?? false });
  const train = createImageSource(spec(splits.train));
  // Both splits use the training split's std, so a model sees test data in the units it trained on.
  const source = options.split === 'train' ? train : createImageSource({ ...spec(splits.test), dataStd: train.dataStd });
  const poolIndices = splits[options.split];
  return { ...source, split: options.split, style, poolIndices: poolIndices.slice(), names: Array.from(poolIndices, (i) => pool.names[i]) };
}

function tableOf(pool: EmojiPool, indices: Int32Array, size: number): ImageTable {
  const perImage = size * size * 3;
  const pixels = new Float32Array(indices.length * perImage);
  indices.forEach((i, k) => pixels.set(pool.pixels.subarray(i * perImage, (i + 1) * perImage), k * perImage));
  return { pixels, n: indices.length, height: size, width: size, channels: 3, labels: Int32Array.from(indices, (i) => pool.labels[i]) };
}
