/** Drawing onto canvases: sample grids at their native resolution (CSS scales them up) and scatter plots. */
import { Generation, type RgbaImage } from '@scm/core';
import type { ImageShape } from './model-view.js';

/**
 * `images` [n, height, width, channels] as pixels in [0, 1] (a generator's output) as RGBA bytes of
 * a square grid with 1-pixel half-transparent grey gaps: core's grid, so the page draws what `toPng()` writes (one
 * channel as grey, three as colour).
 */
export function imageGrid(images: Float32Array, n: number, shape: ImageShape): RgbaImage {
  const [height, width, channels] = shape;
  // A generator of another model's shape would otherwise be drawn as noise without a word.
  if (images.length !== n * height * width * channels) {
    throw new Error(`a grid of ${n} images of ${height}×${width}×${channels} needs ${n * height * width * channels} values, got ${images.length}`);
  }
  return new Generation('image', images, [n, ...shape], undefined, Math.ceil(Math.sqrt(n))).toRGBA();
}

/** {@link imageGrid} onto `canvas`, one canvas pixel per image pixel. */
export function drawImageGrid(canvas: HTMLCanvasElement, images: Float32Array, n: number, shape: ImageShape): void {
  const { width, height, data } = imageGrid(images, n, shape);
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(new ImageData(data, width, height), 0, 0);
}

export interface Bounds {
  readonly min: number;
  readonly max: number;
}

/** A square box around points (x, y interleaved) with a margin: the plot's fixed frame. */
export function boundsOf(points: Float32Array): Bounds {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of points) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const margin = 0.1 * (hi - lo);
  return { min: lo - margin, max: hi + margin };
}

/** Samples over a faint copy of the data, in a fixed frame so that movement is the model's, not the axes'. */
export function drawScatter(canvas: HTMLCanvasElement, data: Float32Array, samples: Float32Array, bounds: Bounds): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const px = (v: number, size: number) => ((v - bounds.min) / (bounds.max - bounds.min)) * size;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const dots = (points: Float32Array, colour: string) => {
    ctx.fillStyle = colour;
    for (let i = 0; i + 1 < points.length; i += 2) ctx.fillRect(px(points[i], width) - 1, height - px(points[i + 1], height) - 1, 2, 2);
  };
  dots(data, '#d8d8d8');
  dots(samples, '#1f5fbf');
}
