import { describe, expect, it } from 'vitest';
import { glyphRows, rasterize, textWidth } from '../src/drawing/bitmap-font.js';
import { formatTick, logTicks, niceTicks } from '../src/drawing/axes.js';

describe('bitmap font and ticks', () => {
  it('has a distinct glyph for every character it draws, and ? for the rest', () => {
    const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .,-+:/()=%_^?';
    const shapes = new Set([...chars].map((c) => glyphRows(c).join(',')));
    expect(shapes.size).toBe(chars.length);
    expect(glyphRows('a')).toEqual(glyphRows('A'));
    expect(glyphRows('~')).toEqual(glyphRows('?'));
    for (const c of chars) for (const row of glyphRows(c)) expect(row).toBeLessThan(32);
  });

  it('lays text out left to right, 6 pixels a character', () => {
    const xs: number[] = [];
    rasterize('1.', 10, 0, (x) => xs.push(x));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThan(10 + textWidth('1.'));
    expect(textWidth('1.')).toBe(11);
  });

  it('ticks at round values with short labels', () => {
    expect(niceTicks(-3, 3, 6)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(niceTicks(0, 2000, 4)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(logTicks(0.5, 300)).toEqual([1, 10, 100]);
    expect(logTicks(0.7, 3)).toEqual([1, 2]);
    expect([0, 0.25, 1500, 2.5e-4, 1e-3].map(formatTick)).toEqual(['0', '0.25', '1500', '2.5E-4', '1E-3']);
  });
});
