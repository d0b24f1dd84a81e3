/** Drawing onto canvases: sample grids at their native resolution (CSS scales them up) and scatter plots. */

/** Gap between grid cells, in pixels of the images. */
const GAP = 1;

/**
 * `images` [n, side, side, channels] as pixels in [0, 1] (a pipeline's images), drawn as a square
 * grid, one canvas pixel per image pixel.
 */
export function drawImageGrid(canvas: HTMLCanvasElement, images: Float32Array, n: number, side: number, channels: number): void {
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  canvas.width = cols * (side + GAP) - GAP;
  canvas.height = rows * (side + GAP) - GAP;
  const image = new ImageData(canvas.width, canvas.height);
  for (let k = 0; k < n; k++) {
    const left = (k % cols) * (side + GAP);
    const top = Math.floor(k / cols) * (side + GAP);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const from = ((k * side + y) * side + x) * channels;
        const to = ((top + y) * canvas.width + left + x) * 4;
        for (let c = 0; c < 3; c++) image.data[to + c] = images[from + (channels === 1 ? 0 : c)] * 255;
        image.data[to + 3] = 255;
      }
    }
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
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
