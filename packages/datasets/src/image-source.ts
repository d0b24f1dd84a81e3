/**
 * An in-memory set of images as a core `DataSource`. Every dataset in this package ends here, so
 * model units mean the same thing for all of them:
 *   data  = images in [-1, 1] (pixel / 127.5 - 1), NHWC, as the U-Net takes them;
 *   model = data * scale, scale = sigmaD / dataStd,
 * where dataStd is the per-element std of the data (around its mean, pooled over all elements).
 * Model-unit data then has std sigmaD, the scale TrigFlow's noise assumes (Lu & Song 2024).
 * The data is only scaled, not centred: a constant shift would make the background a non-zero
 * value in model units, and the paper's image pipelines do not centre either.
 */
import type { DataBatch, DataSource, Rng } from '@scm/core';

/**
 * sigma_d when none is given: 0.5, the per-element data std TrigFlow assumes throughout Lu & Song
 * 2024, Simplifying, Stabilizing and Scaling Continuous-Time Consistency Models (arXiv:2410.11081), section 3.
 */
export const DEFAULT_SIGMA_D = 0.5;

/** Images held as bytes 0..255 (mapped by pixel / 127.5 - 1) or as floats already in [-1, 1]. */
export type Pixels = Uint8Array | Float32Array;

/** Images as stored, before scaling: pixels with their dimensions and optional labels. */
export interface ImageTable {
  /** [n, height, width, channels], row-major. */
  readonly pixels: Pixels;
  /** Number of images. */
  readonly n: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Channels per pixel: 1 (grayscale) or 3 (RGB). */
  readonly channels: number;
  /** One label per image, when the images have classes. */
  readonly labels?: Int32Array;
}

/**
 * A set of images as a core `DataSource`: `sample` draws NHWC batches in model units (std sigmaD),
 * with labels when the source is conditional. Made by {@link createImageSource} and the loaders.
 */
export interface ImageSource extends DataSource {
  /** Number of images. */
  readonly n: number;
  /** The per-element std of the data in model units (TrigFlow's sigma_d). */
  readonly sigmaD: number;
  /** Std of the data in [-1, 1]. */
  readonly dataStd: number;
  /** sigmaD / dataStd: model units = data in [-1, 1] times scale. */
  readonly scale: number;
  /** Names of the labels that `all()` returns (label i is classNames[i]); empty without labels. */
  readonly classNames: readonly string[];
  /** Every image once, in a fixed order, in model units, with its label where the set has labels. */
  all(): DataBatch & {
    /** Number of images in the batch. */
    readonly n: number;
  };
}

/** What {@link createImageSource} builds a source from. */
export interface ImageSourceSpec {
  /** The data set's name, used in the source and in error messages. */
  readonly name: string;
  /** The images, as bytes or as floats in [-1, 1]. */
  readonly table: ImageTable;
  /** Target std in model units. Default {@link DEFAULT_SIGMA_D}. */
  readonly sigmaD?: number;
  /** The std to scale by; by default the table's own. A held-out split passes its training split's. */
  readonly dataStd?: number;
  /** Label names (label i is classNames[i]). Default none. */
  readonly classNames?: readonly string[];
  /** Whether `sample` returns labels (and numClasses is non-zero). */
  readonly conditional: boolean;
}

/**
 * An in-memory image set in model units: data in [-1, 1] times sigmaD / dataStd, NHWC.
 *
 * @throws Error naming the set when sigmaD is not a positive number, every pixel has the same value
 *   (the std is zero), or `conditional` is asked of a table without labels.
 */
export function createImageSource(spec: ImageSourceSpec): ImageSource {
  const { table, name } = spec;
  const sigmaD = spec.sigmaD ?? DEFAULT_SIGMA_D;
  if (!(sigmaD > 0 && Number.isFinite(sigmaD))) throw new Error(`${name}: sigmaD must be a positive number, got ${sigmaD}`);
  const dataStd = spec.dataStd ?? pixelStats(table.pixels).std;
  if (!(dataStd > 0)) throw new Error(`${name}: every pixel has the same value, so the data cannot be scaled to std sigmaD`);
  const classNames = spec.classNames ?? [];
  const conditional = spec.conditional && table.labels !== undefined;
  if (spec.conditional && !conditional) throw new Error(`${name}: has no class labels to condition on`);
  const scale = sigmaD / dataStd;
  const perImage = table.height * table.width * table.channels;
  // Bytes go straight to model units in one multiply-add.
  const [mul, add] = table.pixels instanceof Uint8Array ? [scale / 127.5, -scale] : [scale, 0];

  const gather = (indices: ArrayLike<number>): Float32Array => {
    const x = new Float32Array(indices.length * perImage);
    for (let k = 0; k < indices.length; k++) {
      const from = indices[k] * perImage;
      const to = k * perImage;
      for (let j = 0; j < perImage; j++) x[to + j] = table.pixels[from + j] * mul + add;
    }
    return x;
  };
  const labelsOf = (indices: ArrayLike<number>) => Int32Array.from(indices, (i) => table.labels![i]);

  return {
    name,
    sampleShape: [table.height, table.width, table.channels],
    numClasses: conditional ? classNames.length : 0,
    n: table.n,
    sigmaD,
    dataStd,
    scale,
    classNames,
    sample(rng: Rng, n: number): DataBatch {
      const indices = rng.randint(n, table.n);
      return conditional ? { x: gather(indices), labels: labelsOf(indices) } : { x: gather(indices) };
    },
    all() {
      const indices = Int32Array.from({ length: table.n }, (_, i) => i);
      return table.labels ? { x: gather(indices), labels: table.labels.slice(), n: table.n } : { x: gather(indices), n: table.n };
    },
    toData: (x) => multiply(x, 1 / scale),
    fromData: (x) => multiply(x, scale),
    // toData as x / scale + mean, so exported graphs can map to [-1, 1] themselves.
    affine: { scale, mean: new Array<number>(table.channels).fill(0) },
  };
}

function multiply(x: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * factor;
  return out;
}

/** Mean and std of the pixels as data in [-1, 1], accumulated in float64. */
function pixelStats(pixels: Pixels): { mean: number; std: number } {
  if (pixels instanceof Uint8Array) {
    const counts = new Float64Array(256);
    for (let i = 0; i < pixels.length; i++) counts[pixels[i]]++;
    return histogramStats(counts, pixels.length);
  }
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) sum += pixels[i];
  const mean = sum / pixels.length;
  let squares = 0;
  for (let i = 0; i < pixels.length; i++) squares += (pixels[i] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / pixels.length) };
}

/** Stats of bytes from their histogram (counts per byte value, `total` of them). */
export function histogramStats(counts: Float64Array, total: number): { mean: number; std: number } {
  let sum = 0;
  for (let b = 0; b < 256; b++) sum += counts[b] * (b / 127.5 - 1);
  const mean = sum / total;
  let squares = 0;
  for (let b = 0; b < 256; b++) squares += counts[b] * (b / 127.5 - 1 - mean) ** 2;
  return { mean, std: Math.sqrt(squares / total) };
}
