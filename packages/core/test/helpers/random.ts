import { Rng } from '../../src/random/index.js';

/** Uniform [0, 1) draws from core's seeded Rng, one at a time, so failures reproduce. */
export function uniformStream(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.uniform64(1)[0];
}
