/** Support checks: the share of generated points that land where the data has mass. */
import { checkerboardInSupport } from '../data/index.js';
import { pointCount } from './points.js';

/** The fraction of the points (rows of d coordinates) for which `predicate` holds. */
export function inSupportFraction(points: Float32Array, predicate: (point: Float32Array) => boolean, d = 2): number {
  const n = pointCount('inSupportFraction', 'points', points, d);
  if (n === 0) throw new Error('inSupportFraction: no points');
  let inside = 0;
  for (let i = 0; i < n; i++) if (predicate(points.subarray(i * d, i * d + d))) inside++;
  return inside / n;
}

/** The fraction of 2-D points in the support of the toy checkerboard (see data/toy2d). */
export function checkerboardSupportFraction(points: Float32Array): number {
  return inSupportFraction(points, (p) => checkerboardInSupport(p[0], p[1]));
}
