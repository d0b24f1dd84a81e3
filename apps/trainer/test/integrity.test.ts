/**
 * Fault injection on what a run folder stores: a flipped bit in a tensor, a checkpoint older than
 * checksums, an oversized safetensors header, and a config.json that disagrees with its checkpoint.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '@scm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine, scm, tempDir, TINY } from './helpers.js';

const root = tempDir();
const run = join(root, 'run');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  expect((await scm('train-teacher', '--steps', '2', '--out', run, ...TINY)).code).toBe(0);
});

/** A copy of the run whose checkpoint bytes went through `edit`. */
function damaged(name: string, edit: (bytes: Buffer) => Buffer): string {
  const dir = join(root, name);
  cpSync(run, dir, { recursive: true });
  const path = join(dir, 'checkpoint.safetensors');
  writeFileSync(path, edit(readFileSync(path)));
  return dir;
}

const sample = (dir: string) => scm('sample', '--run', dir, '--n', '4', '--out', join(root, `${dir.split(/[/\\]/).pop()}.csv`));

describe('checksums', () => {
  it('a bit flipped in a tensor is refused at load, naming the tensor', async () => {
    const bytes = readFileSync(join(run, 'checkpoint.safetensors'));
    const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, headerEnd).toString()) as Record<string, { data_offsets: [number, number] }>;
    const [name, info] = Object.entries(header).find(([k]) => k.startsWith('ema.'))!;
    // The lowest mantissa bit of the tensor's first element: a finite, plausible, wrong weight.
    const dir = damaged('flipped', (b) => {
      b[headerEnd + info.data_offsets[0]] ^= 1;
      return b;
    });
    for (const r of [await sample(dir), await scm('train-teacher', '--resume', '--steps', '4', '--out', dir)]) {
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`checkpoint: tensor "${name.replace('.', '\\.')}" does not match its checksum \\(crc32 [0-9a-f]{8}, stored [0-9a-f]{8}\\): the file is damaged`));
    }
  });

  it('a checkpoint written before checksums loads, with a note', async () => {
    const dir = damaged('old', (b) => {
      const { tensors, metadata } = decodeSafetensors(new Uint8Array(b));
      const { crc32: _crc32, ...older } = metadata;
      expect(_crc32).toBeDefined();
      return Buffer.from(encodeSafetensors(tensors, older));
    });
    const r = await sample(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: .*old[/\\]checkpoint\.safetensors was written before checkpoints carried checksums/);
  });

  it('a header over the format\'s 100 MB cap is refused before it is read', async () => {
    // Only the length is checked against the cap, before the header is read: a file that claims
    // 120 MiB without holding it is refused as one that holds it would be.
    const dir = damaged('big-header', (b) => {
      b.writeBigUInt64LE(BigInt(120 * 2 ** 20), 0);
      return b;
    });
    const r = await sample(dir);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/header length 125829120 is over the format's limit of 100000000 bytes/);
  });
});

describe('config.json against the checkpoint', () => {
  it('sample and eval go by the checkpoint and say where config.json disagrees or is garbage', async () => {
    const edited = join(root, 'edited');
    cpSync(run, edited, { recursive: true });
    const config = JSON.parse(readFileSync(join(edited, 'config.json'), 'utf8'));
    writeFileSync(join(edited, 'config.json'), JSON.stringify({ ...config, model: { ...config.model, width: 999 } }));
    for (const r of [await sample(edited), await scm('eval', '--run', edited, '--n', '16')]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/note: .*edited[/\\]config\.json differs from the checkpoint at model\.width \(999 there, 16 in the checkpoint\): using the checkpoint's/);
    }
    writeFileSync(join(edited, 'config.json'), '{ garbage');
    const r = await sample(edited);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: .*config\.json is not valid JSON: using the checkpoint's config/);
    expect((await sample(run)).stderr).not.toMatch(/note:/);
  });
});
