/**
 * Expected values for the tests, computed with plain float64 loops over row-major arrays: nothing
 * here touches tfjs or @scm/core, so a shared mistake cannot hide.
 */
export interface Arr {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** Seeded values in [-1, 1), float32-representable so the backend and the loops see the same numbers. */
export function random(shape: readonly number[], seed: number): Arr {
  let s = seed >>> 0;
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = Math.fround(s / 2 ** 31 - 1);
  }
  return { shape, data };
}

export const arr = (shape: readonly number[], values: readonly number[]): Arr => ({ shape, data: Float64Array.from(values) });

function flatIndex(shape: readonly number[], idx: readonly number[]): number {
  let flat = 0;
  for (let k = 0; k < shape.length; k++) flat = flat * shape[k] + idx[k];
  return flat;
}

export const at = (x: Arr, idx: readonly number[]): number => x.data[flatIndex(x.shape, idx)];

/** The array of `shape` whose element at each index is `f(index)`. */
export function build(shape: readonly number[], f: (idx: number[]) => number): Arr {
  const data = new Float64Array(sizeOf(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < data.length; i++) {
    data[i] = f([...idx]);
    for (let k = shape.length - 1; k >= 0 && ++idx[k] === shape[k]; k--) idx[k] = 0;
  }
  return { shape, data };
}

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** x at an index of a shape x broadcasts to: trailing axes aligned, size-1 axes repeated. */
export function atBroadcast(x: Arr, idx: readonly number[]): number {
  const offset = idx.length - x.shape.length;
  return at(x, x.shape.map((d, k) => (d === 1 ? 0 : idx[offset + k])));
}

export function mapBroadcast(xs: readonly Arr[], f: (...v: number[]) => number): Arr {
  return build(broadcastShape(...xs.map((x) => x.shape)), (idx) => f(...xs.map((x) => atBroadcast(x, idx))));
}

export function reduce(x: Arr, axes: readonly number[], keepDims: boolean, combine: (values: number[]) => number): Arr {
  const outShape = x.shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const groups = Array.from({ length: sizeOf(outShape) }, () => [] as number[]);
  build(x.shape, (idx) => {
    groups[flatIndex(outShape, idx.map((v, k) => (axes.includes(k) ? 0 : v)))].push(at(x, idx));
    return 0;
  });
  const shape = keepDims ? outShape : x.shape.filter((_, k) => !axes.includes(k));
  return { shape, data: Float64Array.from(groups, combine) };
}

export function matmul(a: Arr, b: Arr, transposeA = false, transposeB = false): Arr {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k, n] = [transposeA ? ac : ar, transposeA ? ar : ac, transposeB ? br : bc];
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const entry = (x: Arr, bi: number[], r: number, c: number, t: boolean) => matrixEntry(x, bi, t ? c : r, t ? r : c);
  return build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let p = 0; p < k; p++) s += entry(a, bi, i, p, transposeA) * entry(b, bi, p, j, transposeB);
    return s;
  });
}

/** x[..., r, c] for the batch index of the broadcast batch shape. */
function matrixEntry(x: Arr, batchIdx: readonly number[], r: number, c: number): number {
  const lead = x.shape.slice(0, -2);
  const offset = batchIdx.length - lead.length;
  return at(x, [...lead.map((d, k) => (d === 1 ? 0 : batchIdx[offset + k])), r, c]);
}

export interface ConvParams {
  readonly strides: readonly [number, number];
  readonly pads: readonly [readonly [number, number], readonly [number, number]];
  readonly groups: number;
}

export function convOutShape(xShape: readonly number[], wShape: readonly number[], p: ConvParams): number[] {
  const out = (size: number, k: number, s: number, [a, b]: readonly [number, number]) => Math.floor((size + a + b - k) / s) + 1;
  return [xShape[0], out(xShape[1], wShape[0], p.strides[0], p.pads[0]), out(xShape[2], wShape[1], p.strides[1], p.pads[1]), wShape[3]];
}

/**
 * Calls term(xi, wi, yi) for every product x[xi] * w[wi] that conv2d adds into y[yi] (flat indices):
 * the forward pass and both adjoints are sums over these same terms.
 */
function forEachConvTerm(xShape: readonly number[], wShape: readonly number[], p: ConvParams, term: (xi: number, wi: number, yi: number) => void): void {
  const [n, h, w] = xShape;
  const [kh, kw, cg, cout] = wShape;
  const [, oh, ow] = convOutShape(xShape, wShape, p);
  const cog = cout / p.groups;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < cout; o++)
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const r = i * p.strides[0] + di - p.pads[0][0];
              const c = j * p.strides[1] + dj - p.pads[1][0];
              if (r < 0 || r >= h || c < 0 || c >= w) continue;
              for (let ci = 0; ci < cg; ci++) {
                const channel = Math.floor(o / cog) * cg + ci;
                term(flatIndex(xShape, [b, r, c, channel]), flatIndex(wShape, [di, dj, ci, o]), flatIndex([n, oh, ow, cout], [b, i, j, o]));
              }
            }
}

export function conv2d(x: Arr, w: Arr, p: ConvParams): Arr {
  const shape = convOutShape(x.shape, w.shape, p);
  const data = new Float64Array(sizeOf(shape));
  forEachConvTerm(x.shape, w.shape, p, (xi, wi, yi) => (data[yi] += x.data[xi] * w.data[wi]));
  return { shape, data };
}

export function conv2dInputGrad(dy: Arr, w: Arr, xShape: readonly number[], p: ConvParams): Arr {
  const data = new Float64Array(sizeOf(xShape));
  forEachConvTerm(xShape, w.shape, p, (xi, wi, yi) => (data[xi] += dy.data[yi] * w.data[wi]));
  return { shape: xShape, data };
}

export function conv2dFilterGrad(x: Arr, dy: Arr, wShape: readonly number[], p: ConvParams): Arr {
  const data = new Float64Array(sizeOf(wShape));
  forEachConvTerm(x.shape, wShape, p, (xi, wi, yi) => (data[wi] += x.data[xi] * dy.data[yi]));
  return { shape: wShape, data };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
