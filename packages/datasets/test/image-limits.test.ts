/**
 * What an image folder refuses before decoding: special files (a FIFO blocked forever, a link to
 * /dev/zero grew memory until the process died), images whose header claims more pixels than the
 * limit (a 249 KB PNG claiming 16000 x 16000 cost 1.6 GB), and truncated PNGs, with a message that
 * says so; and a folder link loop, which is walked once.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { imageFolderSource } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'scm-image-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let cases = 0;
function folder(): string {
  const dir = join(root, `case${cases++}`);
  mkdirSync(dir);
  return dir;
}

/** A valid w x h PNG whose pixels are not all alike (constant data cannot be standardised). */
function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  image.data = Buffer.from(Array.from({ length: width * height * 4 }, (_, i) => (i * 37) % 256));
  return PNG.sync.write(image);
}

describe('image folders read regular files only', () => {
  it('a FIFO named like an image is refused, not read', () => {
    const dir = folder();
    writeFileSync(join(dir, 'a.png'), png(2, 2));
    expect(spawnSync('mkfifo', [join(dir, 'x.png')]).status).toBe(0);
    expect(() => imageFolderSource(dir)).toThrow(`cannot read image ${join(dir, 'x.png')}: it is a FIFO, not a regular file`);
  });

  it('a link to a device is refused', () => {
    const dir = folder();
    symlinkSync('/dev/zero', join(dir, 'zero.png'));
    expect(() => imageFolderSource(dir)).toThrow(`cannot read image ${join(dir, 'zero.png')}: it is a device, not a regular file`);
  });

  it('a folder link loop is walked once', () => {
    const dir = folder();
    writeFileSync(join(dir, 'a.png'), png(2, 2));
    symlinkSync(dir, join(dir, 'loop'));
    expect(imageFolderSource(dir).files).toEqual([join(dir, 'a.png')]);
  });
});

describe('pixel limits come from the header, before decoding', () => {
  it('a PNG claiming 16000 x 16000 is refused by default, naming its size', () => {
    const dir = folder();
    const bytes = png(2, 2);
    // IHDR's width and height, big-endian at bytes 16 and 20 (the CRC goes stale: the header is all that is read).
    bytes.writeUInt32BE(16000, 16);
    bytes.writeUInt32BE(16000, 20);
    writeFileSync(join(dir, 'big.png'), bytes);
    expect(() => imageFolderSource(dir, { size: 16 })).toThrow(
      `image ${join(dir, 'big.png')} is 16000x16000, 256000000 pixels, more than the limit of 16777216 (raise the maxPixels option)`,
    );
  });

  it('maxPixels lowers or raises the limit', () => {
    const dir = folder();
    writeFileSync(join(dir, 'a.png'), png(3, 2));
    expect(() => imageFolderSource(dir, { maxPixels: 5 })).toThrow(/is 3x2, 6 pixels, more than the limit of 5/);
    expect(imageFolderSource(dir, { maxPixels: 6 }).sampleShape).toEqual([2, 3, 3]);
    expect(() => imageFolderSource(dir, { maxPixels: 0 })).toThrow('imageFolderSource: maxPixels must be a positive integer, got 0');
  });

  it('a file larger than the limit allows is refused before it is read', () => {
    const dir = folder();
    writeFileSync(join(dir, 'a.png'), Buffer.concat([png(2, 2), Buffer.alloc(2 * 1024 * 1024)]));
    expect(() => imageFolderSource(dir, { maxPixels: 4 })).toThrow(/a\.png: it has 2097\d+ bytes, more than the 1048608 allowed for 4 pixels/);
  });
});

describe('truncated images', () => {
  it('a PNG cut short says where it ends', () => {
    const dir = folder();
    const whole = png(8, 8);
    writeFileSync(join(dir, 'cut.png'), whole.subarray(0, whole.length - 20));
    expect(() => imageFolderSource(dir)).toThrow(
      new RegExp(`cannot decode image ${join(dir, 'cut.png')}: the PNG is truncated: it ends (inside its IDAT chunk|after \\d+ bytes without its IEND chunk)`),
    );
  });
});

describe('empty images', () => {
  it('a PNG whose header says 0x0 is refused by name, not left to the decoder', () => {
    const dir = folder();
    const empty = png(2, 2);
    empty.writeUInt32BE(0, 16);
    empty.writeUInt32BE(0, 20);
    writeFileSync(join(dir, 'a.png'), png(2, 2));
    writeFileSync(join(dir, 'empty.png'), empty);
    expect(() => imageFolderSource(dir)).toThrow(`cannot decode image ${join(dir, 'empty.png')}: its header says it is 0x0 pixels: an image needs at least one pixel`);
  });
});
