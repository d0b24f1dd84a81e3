/**
 * Engines: what computes training steps and samples for the driver (train, sample). The eager engine
 * runs core's step and samplers on a TensorOps backend (@scm/tfjs, @scm/webgpu, @scm/tfjs-node-gpu
 * each make one); @scm/onnx's engine runs a compiled step and an exported sampler on ONNX Runtime.
 * Every engine writes the same states, so a run can continue on another.
 */
import type { Model } from '../models/index.js';
import { toDevice, type HostParams, type HostTensor } from '../nn/params.js';
import { generate, type GenerateOptions } from '../samplers/index.js';
import type { TensorOps } from '../tensor/index.js';
import { snapshot } from '../train/checkpoint.js';
import { EagerStepper, type StepCounts, type Stepper } from '../train/loop.js';
import { disposeState, type TrainState } from '../train/state.js';
import type { StepContext } from '../train/step.js';

/** One training run on an engine: core's runLoop drives `stepper`. */
export interface TrainSession {
  /** Trains one step per call; its `state` holds the step and skip counters. */
  readonly stepper: Stepper<StepCounts>;
  /** The state after the last step, on the host (a copy): what a checkpoint holds. */
  hostState(): Promise<TrainState<HostTensor>>;
  /** Frees the session's tensors or ONNX Runtime session, the final state included. */
  close(): Promise<void>;
}

/** A backend for the driver: swapping engines changes no driver code. */
export interface Engine<T = unknown> {
  /** What computes, for progress notes: "wasm", "onnxruntime-node (2 threads)". */
  readonly name: string;
  /**
   * The TensorOps runs are set up on (initial state, teacher weights): the backend itself for an
   * eager engine, a host-side helper for a compiled one.
   */
  readonly ops: TensorOps<T>;
  /** A session for `ctx` starting from `initial`, a state on `ops` that the session takes over. */
  startTraining(ctx: StepContext<T>, initial: TrainState<T>): Promise<TrainSession>;
  /** `opts.n` samples in model units, the same for a seed on every engine (to float32 rounding). */
  generate(model: Model, params: HostParams, sigmaD: number, opts: GenerateOptions): Promise<Float32Array>;
  /**
   * Engines that run exported sampler graphs (ONNX Runtime) open one here, so a model that ships
   * its samplers (a model package) samples without re-exporting its weights.
   */
  openSampler?(graph: Uint8Array): Promise<GraphSampler>;
}

/** Options of {@link GraphSampler.sample}: those of generate() that an exported graph leaves open. */
export interface GraphSampleOptions {
  /** Number of samples; positive integer. */
  readonly n: number;
  /** Seed of the noise stream, drawn as generate() draws it, so the samples are generate()'s. */
  readonly seed: number;
  /** Class labels of conditional models (length n); -1 is the null class. */
  readonly labels?: Int32Array;
  /** The guidance scale, where the graph takes it as an input. */
  readonly guidance?: number;
  /** Samples per graph run (default: defaultSampleBatch, as generate()). */
  readonly batch?: number;
  /** Called after each batch with the number of samples drawn so far. */
  readonly onBatch?: (done: number) => void;
}

/** An exported sampler graph opened on an engine: noise drawn from a seed in, the graph's samples out. */
export interface GraphSampler {
  /** `opts.n` samples, as the graph outputs them (data coordinates for `scm export`'s samplers). */
  sample(opts: GraphSampleOptions): Promise<Float32Array>;
  /** Frees the runtime session. */
  release(): Promise<void>;
}

/** core's eager training step and samplers on `ops`. */
export function eagerEngine<T>(ops: TensorOps<T>): Engine<T> {
  return {
    name: ops.name,
    ops,
    startTraining: async (ctx, initial) => {
      const stepper = new EagerStepper(ops, ctx, initial);
      return {
        stepper,
        hostState: async () => ({ ...stepper.state, ...(await snapshot(ops, stepper.state)) }),
        close: async () => disposeState(ops, stepper.state),
      };
    },
    generate: async (model, params, sigmaD, opts) => {
      const device = toDevice(ops, params);
      try {
        return await generate(ops, model, device, sigmaD, opts);
      } finally {
        ops.dispose(Object.values(device));
      }
    },
  };
}
