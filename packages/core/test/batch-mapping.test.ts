/** How a batch and its conditioning enter a transformation: every tensor mapped, the rest kept as is. */
import { describe, expect, it } from 'vitest';
import { mapBatch, mapCond, mapRecord, Rng } from '../src/index.js';

const tag = (x: number) => `lifted ${x}`;

describe('mapping records, conditioning and batches', () => {
  it('mapRecord maps every entry under its own name', () => {
    expect(mapRecord({ a: 1, b: 2 }, tag)).toEqual({ a: 'lifted 1', b: 'lifted 2' });
  });

  it('mapCond maps labels and guidance, passes the dropout stream through, and adds no absent keys', () => {
    const dropoutRng = new Rng(1);
    const all = mapCond({ labels: 3, guidance: 4, dropoutRng }, tag);
    expect(all).toEqual({ labels: 'lifted 3', guidance: 'lifted 4', dropoutRng });
    expect(all.dropoutRng).toBe(dropoutRng);
    expect(Object.keys(mapCond({ labels: 3 }, tag))).toEqual(['labels']);
    expect(Object.keys(mapCond({ guidance: 4 }, tag))).toEqual(['guidance']);
    expect(Object.keys(mapCond({ dropoutRng }, tag))).toEqual(['dropoutRng']);
    expect(mapCond(undefined, tag)).toEqual({});
  });

  it('mapBatch maps x0, z, t and the conditioning', () => {
    expect(mapBatch({ x0: 1, z: 2, t: 3, cond: { labels: 5 } }, tag)).toEqual({
      x0: 'lifted 1',
      z: 'lifted 2',
      t: 'lifted 3',
      cond: { labels: 'lifted 5' },
    });
    expect(mapBatch({ x0: 1, z: 2, t: 3 }, tag).cond).toEqual({});
  });
});
