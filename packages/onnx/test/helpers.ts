import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
export { draw, relativeError } from '@scm/core/testing';

// ONNX Runtime Web in Node: one thread (no workers), wasm binaries from the installed package.
ortWeb.env.wasm.numThreads = 1;

export const runtimes = { 'onnxruntime-node': ortNode, 'onnxruntime-web': ortWeb } as const;

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
