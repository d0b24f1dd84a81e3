/**
 * A colour run end to end, tiny: a class-conditional teacher on the emoji images (8x8 here, area-
 * averaged from the packages' 64x64 PNGs) for 2 steps, an RGB grid with one category per row, then a
 * student distilled from it and scored by scm eval under an emoji classifier.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { oneLine, scm, tempDir } from './helpers.js';

const root = tempDir();
const teacher = join(root, 'teacher');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** PNG colour type (IHDR byte 25): 2 is RGB, 0 grey. */
const colourType = (file: string) => readFileSync(file)[25];

describe('colour runs on emoji', () => {
  it('train-teacher --data emoji trains an RGB U-Net on the nine categories and sample draws an RGB grid, a category per row', async () => {
    const t = await scm(
      'train-teacher', '--data', 'emoji', '--conditional', '--size', '8', '--base-channels', '8', '--channel-mult', '1,2', '--attention', 'none',
      '--batch', '4', '--steps', '2', '--checkpoint-every', '2', '--log-every', '1', '--out', teacher,
    );
    expect(t.code, t.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(teacher, 'config.json'), 'utf8'));
    expect(config.data).toMatchObject({ kind: 'image', name: 'emoji', size: 8, channels: 3, imageSize: 8, conditional: true });
    expect(config.data.dataStd).toBeGreaterThan(0.5);
    expect(config.model).toMatchObject({ kind: 'unet', imageSize: 8, channels: 3, numClasses: 9 });

    const grid = join(root, 'rows.png');
    const s = await scm('sample', '--run', teacher, '--nfe', '3', '--class', 'rows', '--n', '18', '--out', grid);
    expect(s.code, s.stderr).toBe(0);
    const png = PNG.sync.read(readFileSync(grid));
    // Nine categories, two samples each: nine rows of two 8 px tiles with 1 px gaps.
    expect([png.width, png.height]).toEqual([2 * 9 - 1, 9 * 9 - 1]);
    expect(colourType(grid)).toBe(2);
    expect(colourType(join(teacher, 'samples.png'))).toBe(2);
  });

  it('distill and eval go on from it: an RGB student with a guidance input, scored under an emoji classifier against held-out emoji', async () => {
    const clf = join(root, 'classifier');
    const c = await scm('train-classifier', '--data', 'emoji', '--size', '8', '--width', '8', '--steps', '2', '--out', clf);
    expect(c.code, c.stderr).toBe(0);
    const student = join(root, 'student');
    const d = await scm('distill', '--teacher', teacher, '--steps', '1', '--checkpoint-every', '1', '--classifier', clf, '--out', student);
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(student, 'config.json'), 'utf8')).model).toMatchObject({ channels: 3, numClasses: 9, guidanceInput: true });
    const e = await scm('eval', '--run', student, '--n', '18', '--json');
    expect(e.code, e.stderr).toBe(0);
    const report = JSON.parse(e.stdout);
    // As many reference images as samples, from the held-out split, never the training one.
    expect(report).toMatchObject({ data: 'emoji', n: 18, referenceImages: 18 });
    expect(report.reference).toMatch(/held.out/);
    expect(report.rows.map((r: { sampler: string; steps?: number }) => [r.sampler, r.steps])).toEqual([['data', undefined], ['consistency', 1], ['consistency', 2]]);
    for (const r of report.rows) {
      expect(r.fd, r.sampler).toBeGreaterThanOrEqual(0);
      expect(r.classHistogram).toHaveLength(9);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    }
  });

  it('--channels 1 is refused: emoji are RGB', async () => {
    const r = await scm('train-teacher', '--data', 'emoji', '--channels', '1', '--steps', '1', '--out', join(root, 'grey'));
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--channels 1: emoji images are RGB \(3 channels\)/);
  });
});
