/** The axis permutations between core's NHWC / HWIO layout and the channels-first one lowerings prefer. */
import type { Shape } from '../tensor/ops.js';

/** transpose(nhwc, NHWC_TO_NCHW) is the NCHW tensor; likewise for the others. */
export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;
/** transpose(nchw, NCHW_TO_NHWC) is the NHWC tensor (the inverse of NHWC_TO_NCHW). */
export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;
/** transpose(hwio, HWIO_TO_OIHW) is the filter in ONNX's OIHW layout. */
export const HWIO_TO_OIHW = [3, 2, 0, 1] as const;
/** transpose(oihw, OIHW_TO_HWIO) is the filter in core's HWIO layout. */
export const OIHW_TO_HWIO = [2, 3, 1, 0] as const;

/** The shape of transpose(x, perm) for x of `shape`. */
export const permute = (shape: Shape, perm: readonly number[]): number[] => perm.map((a) => shape[a]);

export const isIdentity = (perm: readonly number[]): boolean => perm.every((a, i) => a === i);

/** q with transpose(transpose(x, p), q) = transpose(x, compose(p, q)). */
export const compose = (p: readonly number[], q: readonly number[]): number[] => q.map((a) => p[a]);
