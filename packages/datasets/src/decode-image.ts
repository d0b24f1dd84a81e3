/** PNG and JPEG files to 8-bit RGBA, recognised by their signature rather than their extension. */
import { readFileSync, statSync, type Stats } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readImageHeader } from './image-header.js';

export interface Rgba {
  readonly width: number;
  readonly height: number;
  /** [height, width, 4] bytes. */
  readonly data: Uint8Array;
}

/** Pixels an image may have by default (4096 x 4096: 64 MiB as RGBA); callers can raise it. */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

/** Bytes a file may have for a pixel limit: 16-bit RGBA uncompressed plus room for metadata. */
const maxFileBytes = (maxPixels: number) => maxPixels * 8 + 1024 * 1024;

function kindOf(s: Stats): string {
  return s.isFIFO() ? 'a FIFO' : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : s.isSocket() ? 'a socket' : s.isDirectory() ? 'a folder' : 'not a file';
}

/**
 * Decodes `file`, refusing before any decoding what it cannot or should not read: anything but a
 * regular file (a FIFO would block forever, /dev/zero never ends), a file too big for the pixel
 * limit, a header that claims more than `maxPixels` pixels, a truncated PNG.
 */
export function decodeImageFile(file: string, maxPixels = DEFAULT_MAX_PIXELS): Rgba {
  let bytes: Buffer;
  try {
    const s = statSync(file);
    if (!s.isFile()) throw new Error(`it is ${kindOf(s)}, not a regular file`);
    if (s.size > maxFileBytes(maxPixels)) {
      throw new Error(`it has ${s.size} bytes, more than the ${maxFileBytes(maxPixels)} allowed for ${maxPixels} pixels (raise the maxPixels option)`);
    }
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read image ${file}: ${(err as Error).message}`);
  }
  const header = readImageHeader(bytes);
  if (typeof header === 'string') throw new Error(`cannot decode image ${file}: ${header}`);
  const { format, width, height } = header;
  if (width * height > maxPixels) {
    throw new Error(`image ${file} is ${width}x${height}, ${width * height} pixels, more than the limit of ${maxPixels} (raise the maxPixels option)`);
  }
  try {
    // pngjs rescales 16-bit PNGs to 8 bits and expands palettes and grey to RGBA.
    if (format === 'png') return PNG.sync.read(bytes);
    // Not tolerant: a truncated JPEG is reported rather than decoded with missing blocks.
    return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: maxPixels / 1e6 });
  } catch (err) {
    throw new Error(`cannot decode image ${file}: ${(err as Error).message}`);
  }
}
