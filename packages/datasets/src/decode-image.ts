/** PNG and JPEG files to 8-bit RGBA, recognised by their signature rather than their extension. */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface Rgba {
  readonly width: number;
  readonly height: number;
  /** [height, width, 4] bytes. */
  readonly data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

export function decodeImageFile(file: string): Rgba {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read image ${file}: ${(err as Error).message}`);
  }
  const startsWith = (signature: number[]) => signature.every((b, i) => bytes[i] === b);
  try {
    // pngjs rescales 16-bit PNGs to 8 bits and expands palettes and grey to RGBA.
    if (startsWith(PNG_SIGNATURE)) return PNG.sync.read(bytes);
    // Not tolerant: a truncated JPEG is reported rather than decoded with missing blocks.
    if (startsWith(JPEG_SIGNATURE)) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
  } catch (err) {
    throw new Error(`cannot decode image ${file}: ${(err as Error).message}`);
  }
  throw new Error(`cannot decode image ${file}: it is neither a PNG nor a JPEG file`);
}
