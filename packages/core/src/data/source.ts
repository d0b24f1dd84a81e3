/** Where training batches come from: a seeded sampler in the model's units (std about sigma_d). */
import { Rng } from '../random/index.js';
import { sampleToy2d, standardize, TOY2D_NAMES, unstandardize, type Standardization } from './toy2d.js';

/** A batch of training examples as host arrays. */
export interface DataBatch {
  /** n samples, row-major [n, ...sampleShape], in model units. */
  readonly x: Float32Array;
  /** Class labels 0..numClasses-1 for conditional data. */
  readonly labels?: Int32Array;
}

/**
 * A training set as a seeded sampler in model units: samples have per-element std about sigma_d,
 * the scale TrigFlow's noise assumes. Toy 2-D data ({@link toy2dSource}) and image sets implement it.
 */
export interface DataSource {
  /** The data set's name, as checkpoints and messages record it. */
  readonly name: string;
  /** The shape of one sample: [2] for points, [height, width, channels] (NHWC) for images. */
  readonly sampleShape: readonly number[];
  /** 0 for unconditional training. */
  readonly numClasses: number;
  /** n samples drawn with `rng` (so a seed gives the same batches everywhere), with labels when conditional. */
  sample(rng: Rng, n: number): DataBatch;
  /** Model units back to data coordinates. */
  toData(x: Float32Array): Float32Array;
  /**
   * `toData` as an affine map, where it is one: toData(x) = x / scale + mean, mean broadcast over
   * the last axis (one entry per last-axis coordinate). Lets exported samplers output data
   * coordinates in the graph.
   */
  readonly affine?: {
    /** Model units per data unit. */
    readonly scale: number;
    /** The data's mean, one entry per last-axis coordinate. */
    readonly mean: readonly number[];
  };
  /** Model units from data coordinates. */
  fromData(x: Float32Array): Float32Array;
}

/** The standardisation is estimated once from this many points of a fixed stream, so it is reproducible. */
const STATS_POINTS = 200_000;
const STATS_SEED = 0x57a7;

/** Options of {@link toy2dSource}. */
export interface Toy2dSourceOptions {
  /** The per-element std the points are scaled to (0.5 in the paper). */
  readonly sigmaD: number;
  /** Use the mixture component as a class label (8gaussians: the mode; rings: the ring). */
  readonly conditional?: boolean;
}

const NUM_COMPONENTS: Record<string, number> = { checkerboard: 8, '8gaussians': 8, rings: 4, moons: 2 };

/**
 * A 2-D toy distribution (one of TOY2D_NAMES) standardised to zero mean per coordinate and overall
 * std sigmaD (one scale for both coordinates, so shapes keep their aspect ratio). The standardisation is estimated once from a fixed stream, so
 * it is the same in every run.
 *
 * @throws Error for an unknown name (listing the known ones), or `conditional` on data without components.
 */
export function toy2dSource(name: string, options: Toy2dSourceOptions): DataSource {
  if (!(TOY2D_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown data "${name}": choose one of ${TOY2D_NAMES.join(', ')}`);
  }
  const stats: Standardization = standardize(sampleToy2d(name, STATS_POINTS, new Rng(STATS_SEED)).points, options.sigmaD);
  const numClasses = options.conditional ? (NUM_COMPONENTS[name] ?? 0) : 0;
  if (options.conditional && numClasses === 0) throw new Error(`data "${name}" has no class labels to condition on`);
  const apply = (points: Float32Array) => {
    const out = new Float32Array(points.length);
    for (let i = 0; i < points.length; i++) out[i] = (points[i] - stats.mean[i % 2]) * stats.scale;
    return out;
  };
  return {
    name,
    sampleShape: [2],
    numClasses,
    sample(rng, n) {
      const s = sampleToy2d(name, n, rng);
      return numClasses > 0 && s.labels ? { x: apply(s.points), labels: s.labels } : { x: apply(s.points) };
    },
    toData: (x) => unstandardize(x, stats),
    fromData: apply,
    affine: { scale: stats.scale, mean: [...stats.mean] },
  };
}
