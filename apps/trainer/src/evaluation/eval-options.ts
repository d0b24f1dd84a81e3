/** What an evaluation is asked for: shared by the 2-D report (commands/eval.ts) and the image one (image-eval.ts). */
import type { BackendName } from '../options/args.js';
import type { Weights } from '../run/run-folder.js';

export interface EvalOptions {
  readonly n: number;
  readonly seed: number;
  /** Consistency step counts (consistency runs only). */
  readonly steps?: readonly number[];
  /** Consistency runs: the intermediate time of 2 or more steps (default the paper's). */
  readonly midT?: number;
  readonly guidance?: number;
  /** Default: the EMA. */
  readonly weights?: Weights;
  /** 'onnx': samples come from exported sampler graphs on ONNX Runtime; else from core's samplers on the ops. */
  readonly backend?: BackendName;
}
