/** Sample grids as PNG files, the picture a training run shows of its samples. */
import { PNG } from 'pngjs';

/** Between tiles and in unused cells: mid grey shows against both black and white backgrounds. */
const GAP_BYTE = 128;

/**
 * `images`: n images [n, height, width, channels] (channels 1 or 3) as data in [-1, 1]; values
 * outside are clipped and NaN shows as black. Tiles are laid out row by row, `cols` per row (n if fewer), with
 * 1-pixel gaps between them and no outer border. A grayscale or RGB 8-bit PNG, as file bytes.
 */
export function encodeGridPng(images: Float32Array, n: number, height: number, width: number, channels: number, cols: number): Uint8Array {
  for (const [what, value] of Object.entries({ n, height, width, cols })) {
    if (!(Number.isInteger(value) && value > 0)) throw new Error(`encodeGridPng: ${what} must be a positive integer, got ${value}`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`encodeGridPng: channels must be 1 or 3, got ${channels}`);
  if (images.length !== n * height * width * channels) {
    throw new Error(`encodeGridPng: expected ${n}x${height}x${width}x${channels} = ${n * height * width * channels} values, got ${images.length}`);
  }
  const columns = Math.min(cols, n);
  const rows = Math.ceil(n / columns);
  const png = new PNG({ width: columns * (width + 1) - 1, height: rows * (height + 1) - 1 });
  // Packed as the file stores it (grey or RGB, no alpha), so pngjs writes the bytes unconverted.
  png.data = Buffer.alloc(png.width * png.height * channels, GAP_BYTE);
  for (let i = 0; i < n; i++) {
    const left = (i % columns) * (width + 1);
    const top = Math.floor(i / columns) * (height + 1);
    for (let y = 0; y < height; y++) {
      const from = (i * height + y) * width * channels;
      const to = ((top + y) * png.width + left) * channels;
      for (let j = 0; j < width * channels; j++) png.data[to + j] = toByte(images[from + j]);
    }
  }
  const colorType = channels === 1 ? 0 : 2;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
}

/** The inverse of pixel / 127.5 - 1, rounded and clipped. */
function toByte(v: number): number {
  return Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));
}
