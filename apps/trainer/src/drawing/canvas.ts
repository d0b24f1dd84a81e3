/**
 * An RGB raster for the charts we write as PNG (scatter plots, training curves): pixels, lines,
 * translucent dots and text in the bitmap font. Drawing outside the raster is clipped silently, so
 * callers need not guard points that fall off a chart's edge.
 */
import { PNG } from 'pngjs';
import { rasterize } from './bitmap-font.js';

export type Rgb = readonly [number, number, number];
export const WHITE: Rgb = [255, 255, 255];
export const INK: Rgb = [40, 40, 40];

export class Canvas {
  private readonly png: PNG;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height });
    this.png.data.fill(255);
  }

  private index(x: number, y: number): number | undefined {
    x = Math.round(x);
    y = Math.round(y);
    return x < 0 || y < 0 || x >= this.width || y >= this.height ? undefined : 4 * (y * this.width + x);
  }

  set(x: number, y: number, rgb: Rgb): void {
    const i = this.index(x, y);
    if (i !== undefined) for (let c = 0; c < 3; c++) this.png.data[i + c] = rgb[c];
  }

  /** Moves the pixel `alpha` of the way to `rgb`: overlapping dots read darker. */
  blend(x: number, y: number, rgb: Rgb, alpha: number): void {
    const i = this.index(x, y);
    if (i === undefined) return;
    const d = this.png.data;
    for (let c = 0; c < 3; c++) d[i + c] = Math.round(d[i + c] + alpha * (rgb[c] - d[i + c]));
  }

  /** A straight line between two points (end points included), stepping along the longer axis. */
  line(x0: number, y0: number, x1: number, y1: number, rgb: Rgb): void {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let k = 0; k <= n; k++) this.set(x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n, rgb);
  }

  text(text: string, x: number, y: number, rgb: Rgb = INK, scale = 1): void {
    rasterize(text, Math.round(x), Math.round(y), (px, py) => this.set(px, py, rgb), scale);
  }

  encode(): Buffer {
    return PNG.sync.write(this.png);
  }
}
