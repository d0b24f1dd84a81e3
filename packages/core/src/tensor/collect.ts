/**
 * Finds the tensors in a tidy's result so they survive it. Only arrays and plain objects are
 * walked: class instances are either tensors (matched by `isTensor`) or opaque, which keeps a walk
 * from wandering into a tensor's internals or a tape's history.
 */
export function collectTensors<T>(value: unknown, isTensor: (v: unknown) => v is T, out: T[] = []): T[] {
  if (isTensor(value)) {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, isTensor, out);
  } else if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const v of Object.values(value)) collectTensors(v, isTensor, out);
    }
  }
  return out;
}
