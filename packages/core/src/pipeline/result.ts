/**
 * What generate() returns: samples in data units, with their labels, as pixels (RGBA, for canvases
 * and ImageData) and as a PNG grid.
 */
import { encodePng } from './png.js';

/** RGBA bytes of an image, ready for `new ImageData(data, width, height)`. */
export interface RgbaImage {
  /** Pixels per row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** width x height x 4 bytes, row by row. */
  readonly data: Uint8ClampedArray<ArrayBuffer>;
}

/** Between tiles of a grid: mid grey shows against black and white backgrounds (as @scm/datasets' grids). */
const GAP = 128;

/** Samples drawn by a pipeline. */
export class Generation {
  /**
   * @param kind - 'image' or 'points'.
   * @param data - The samples, row-major.
   * @param shape - `data`'s shape, the sample count first.
   * @param labels - The class of each sample, for class-conditional models.
   * @param cols - The grid's columns by default (a class per row where labels were 'rows').
   */
  constructor(
    /** 'image': `data` is [n, height, width, channels] in [0, 1]; 'points': [n, d] in data coordinates. */
    readonly kind: 'image' | 'points',
    /** The samples, row-major, in data units. */
    readonly data: Float32Array,
    /** `data`'s shape, the sample count first. */
    readonly shape: readonly number[],
    /** The class of each sample, for class-conditional models. */
    readonly labels: Int32Array | undefined,
    private readonly cols: number,
  ) {}

  /** The number of samples. */
  get n(): number {
    return this.shape[0];
  }

  private requireImages(what: string): void {
    if (this.kind !== 'image') throw new Error(`${what}: these samples are points, not images; read them from .data ([n, ${this.shape.slice(1).join(', ')}])`);
  }

  /**
   * Pixels as RGBA bytes: sample `index` alone, or (no index) all samples in a grid, `cols` per
   * row (default: a class per row when labels were 'rows', else a square), 1-pixel grey gaps.
   */
  toRGBA(index?: number, { cols = this.cols }: { cols?: number } = {}): RgbaImage {
    this.requireImages('toRGBA');
    const [n, h, w, c] = this.shape;
    if (index !== undefined && !(Number.isInteger(index) && index >= 0 && index < n)) throw new RangeError(`toRGBA: index must be an integer in 0..${n - 1}, got ${index}`);
    if (!(Number.isInteger(cols) && cols > 0)) throw new RangeError(`toRGBA: cols must be a positive integer, got ${cols}`);
    const tiles = index === undefined ? n : 1;
    const columns = Math.min(cols, tiles);
    const rows = Math.ceil(tiles / columns);
    const width = columns * (w + 1) - 1;
    const height = rows * (h + 1) - 1;
    const out = new Uint8ClampedArray(width * height * 4).fill(GAP);
    for (let t = 0; t < tiles; t++) {
      const sample = index ?? t;
      const left = (t % columns) * (w + 1);
      const top = Math.floor(t / columns) * (h + 1);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const from = ((sample * h + y) * w + x) * c;
          const to = ((top + y) * width + left + x) * 4;
          for (let k = 0; k < 3; k++) out[to + k] = Math.round(this.data[from + (c === 1 ? 0 : k)] * 255);
          out[to + 3] = 255;
        }
      }
    }
    return { width, height, data: out };
  }

  /** A PNG file of {@link toRGBA}'s grid (or of sample `index`). */
  async toPng(index?: number, options: { cols?: number } = {}): Promise<Uint8Array> {
    this.requireImages('toPng');
    const { width, height, data } = this.toRGBA(index, options);
    return encodePng(data, width, height);
  }
}
