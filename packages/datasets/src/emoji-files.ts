/**
 * Reads the emoji images that the `emoji-datasource-google` and `emoji-datasource-twitter` npm
 * packages ship (iamcal/emoji-data 16): one 64x64 RGBA PNG per emoji in img/<style>/64/, listed in
 * the package's emoji.json (byte for byte the emoji.json of `emoji-datasource`) with its category.
 *
 * What is kept: one picture per emoji whose category is one of the nine classes below and whose
 * image this style has (16.0.0: 1906 of the 1911 entries in each style). Left out are the five
 * 'Component' entries (skin-tone swatches and hair styles, parts rather than pictures) and every
 * skin-tone variant (`skin_variations`: the same picture recoloured, which would make People &
 * Body a third of the set and put near-copies of one image on both sides of the split).
 *
 * Each image is composited over a white background, then area-averaged to size x size, both on
 * the sRGB-encoded values (as browsers draw them), as floats in [-1, 1].
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImageFile, type Rgba } from './decode-image.js';
import { optionalPeerRoot } from './optional-peer.js';
import { centerSquare, compositeOver, resampleInto } from './resample.js';

/** Which artwork: Google's Noto Emoji or Twitter's Twemoji. */
export type EmojiStyle = 'google' | 'twitter';

/** The classes in label order: emoji.json's category names in Unicode's order, 'Component' left out. */
export const EMOJI_CLASS_NAMES: readonly string[] = [
  'Smileys & Emotion',
  'People & Body',
  'Animals & Nature',
  'Food & Drink',
  'Travel & Places',
  'Activities',
  'Objects',
  'Symbols',
  'Flags',
];

/** The sRGB level (every channel) that transparent pixels become: white, as emoji are usually shown. */
export const EMOJI_BACKGROUND = 255;

/** Installed sizes (du), for the install hint. */
export const EMOJI_PACKAGES: Record<EmojiStyle, { readonly npm: string; readonly size: string }> = {
  google: { npm: 'emoji-datasource-google', size: '82 MB' },
  twitter: { npm: 'emoji-datasource-twitter', size: '70 MB' },
};

/** Every kept emoji of one style, in Unicode's order (emoji.json's sort_order). */
export interface EmojiPool {
  /** [n, size, size, 3] in [-1, 1]. */
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
  /** Each emoji's short name (its emoji.json short_name). */
  readonly names: readonly string[];
  readonly n: number;
}

interface EmojiEntry {
  readonly image: string;
  readonly short_name: string;
  readonly category: string;
  readonly sort_order: number;
  readonly [hasImage: `has_img_${string}`]: boolean;
}

// Decoding 1906 PNGs takes about 1.5 s: once per style and size per process.
const pools = new Map<string, EmojiPool>();

export function loadEmojiPool(style: EmojiStyle, size: number): EmojiPool {
  const key = `${style}:${size}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = readPool(style, size);
    pools.set(key, pool);
  }
  return pool;
}

function readPool(style: EmojiStyle, size: number): EmojiPool {
  const { npm, size: installed } = EMOJI_PACKAGES[style];
  const root = optionalPeerRoot(npm, installed);
  const list = join(root, 'emoji.json');
  const entries = JSON.parse(readFileSync(list, 'utf8')) as EmojiEntry[];
  if (!Array.isArray(entries)) throw new Error(`cannot read ${list}: expected an array of emoji`);
  const kept = entries
    .filter((e) => EMOJI_CLASS_NAMES.includes(e.category) && e[`has_img_${style}`] === true)
    .sort((a, b) => a.sort_order - b.sort_order);
  if (kept.length === 0) throw new Error(`${list} lists no emoji of the categories ${EMOJI_CLASS_NAMES.join(', ')} with ${style} images`);
  const perImage = size * size * 3;
  const pixels = new Float32Array(kept.length * perImage);
  kept.forEach((e, i) => emojiImageInto(decodeImageFile(join(root, 'img', style, '64', e.image)), size, pixels, i * perImage));
  return {
    pixels,
    labels: Int32Array.from(kept, (e) => EMOJI_CLASS_NAMES.indexOf(e.category)),
    names: kept.map((e) => e.short_name),
    n: kept.length,
  };
}

/** One emoji as the data set holds it: over the background, its centred square to size x size RGB. */
export function emojiImageInto(image: Rgba, size: number, out: Float32Array, offset: number): void {
  resampleInto(compositeOver(image, EMOJI_BACKGROUND), centerSquare(image.width, image.height), size, size, 3, out, offset);
}
