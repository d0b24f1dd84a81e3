/**
 * What an image file claims before it is decoded: its pixel size, read from the PNG IHDR chunk or
 * the JPEG start-of-frame segment, and for PNG whether its chunks run to the end. A 249 KB PNG can
 * claim 16000 x 16000 pixels and cost gigabytes to decode; the header says so in microseconds.
 */

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const startsWith = (signature: number[]) => signature.every((b, i) => bytes[i] === b);
  return startsWith(PNG_SIGNATURE) ? 'png' : startsWith(JPEG_SIGNATURE) ? 'jpeg' : undefined;
}

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const chunkType = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

/**
 * The IHDR size of a PNG whose chunks run complete to IEND; else a message saying where the file
 * ends early (pngjs only says "unexpected end of file" or worse).
 */
function pngHeader(b: Uint8Array): ImageHeader | string {
  if (b.length < 33 || chunkType(b, 12) !== 'IHDR') return 'the PNG has no IHDR header chunk';
  const header = { format: 'png' as const, width: u32(b, 16), height: u32(b, 20) };
  let at = 8;
  while (at + 12 <= b.length) {
    const length = u32(b, at);
    const type = chunkType(b, at + 4);
    if (at + 12 + length > b.length) {
      return `the PNG is truncated: it ends inside its ${type} chunk (${b.length} bytes, the chunk needs ${at + 12 + length})`;
    }
    if (type === 'IEND') return header;
    at += 12 + length;
  }
  return `the PNG is truncated: it ends after ${b.length} bytes without its IEND chunk`;
}

/** Start-of-frame markers: C0-CF except C4 (DHT), C8 (JPG) and CC (DAC). */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(b: Uint8Array): ImageHeader | string {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return `the JPEG is corrupt: no segment marker at byte ${at}`;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = u16(b, at + 2);
    if (isStartOfFrame(marker)) {
      if (at + 9 > b.length) break;
      return { format: 'jpeg', height: u16(b, at + 5), width: u16(b, at + 7) };
    }
    at += 2 + length;
  }
  return 'the JPEG is truncated: it ends before its frame header';
}

/** The header of PNG or JPEG bytes, or a message saying what is wrong with it. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | string {
  const format = imageFormat(bytes);
  if (format !== 'png' && format !== 'jpeg') return 'it is neither a PNG nor a JPEG file';
  const header = format === 'png' ? pngHeader(bytes) : jpegHeader(bytes);
  // The decoders fail on an empty image with messages of their own internals ("have should not go down").
  if (typeof header !== 'string' && (header.width === 0 || header.height === 0)) {
    return `its header says it is ${header.width}x${header.height} pixels: an image needs at least one pixel`;
  }
  return header;
}
