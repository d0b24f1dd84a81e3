/** Validation shared by the point-set metrics: a set is n points of dimension d, row-major. */

/** The number of points in `points`, after checking that it holds whole, finite points. */
export function pointCount(fn: string, label: string, points: Float32Array, d: number): number {
  if (!Number.isInteger(d) || d < 1) throw new Error(`${fn}: the dimension d must be a positive integer, got ${d}`);
  if (points.length % d !== 0) {
    throw new Error(`${fn}: ${label} has length ${points.length}, not a multiple of the dimension ${d}`);
  }
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) {
      throw new Error(`${fn}: ${label} holds a non-finite value (${points[i]}) at point ${Math.floor(i / d)}`);
    }
  }
  return points.length / d;
}
