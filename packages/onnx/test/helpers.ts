import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
export { draw } from '@scm/core/testing';

// ONNX Runtime Web in Node: one thread (no workers), wasm binaries from the installed package.
ortWeb.env.wasm.numThreads = 1;

export const runtimes = { 'onnxruntime-node': ortNode, 'onnxruntime-web': ortWeb } as const;

/** max |a - e| / (|e| + mean |e|): relative error with the scale-aware floor of core's assertClose. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} differs from the expected ${expected.length}`);
  let meanAbs = 0;
  for (let i = 0; i < expected.length; i++) meanAbs += Math.abs(expected[i]) / expected.length;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + meanAbs + 1e-30);
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  return worst;
}

/** The worst error seen per group of checks, printed once at the end of a file. */
export class ErrorLog {
  private readonly worst = new Map<string, number>();
  record(group: string, err: number): number {
    this.worst.set(group, Math.max(this.worst.get(group) ?? 0, err));
    return err;
  }
  print(title: string): void {
    console.log(`${title}\n${[...this.worst].map(([g, e]) => `  ${g}: ${e.toExponential(2)}`).join('\n')}`);
  }
}
