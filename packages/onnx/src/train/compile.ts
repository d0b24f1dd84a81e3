/**
 * A whole training step as one ONNX graph: core's `stepFunction` (the teacher's forward pass for
 * sCD, the forward-mode JVP, the student's forward and reverse passes, clipping, the finiteness
 * guard, the optimiser and the EMA) traced at a fixed batch. The graph is the same at every step:
 * what changes with the step (learning rate, bias corrections, EMA decay, tangent warmup) enters as
 * the scalar inputs `stepScalars` names, and the batch's random tensors are inputs drawn on the host.
 */
import { Rng, stepFunction, stepScalars, toDevice, type HostTensor, type Shape, type StepContext, type Sym, type TraceOps } from '@scm/core';
import { exportTrace } from '../export/trace.js';

/** The run state's tensor groups, named as in core's checkpoints. */
export const STATE_GROUPS = ['params', 'opt', 'ema'] as const;
export type StateGroup = (typeof STATE_GROUPS)[number];

/** The batch's tensors, named as core's `HostBatch` fields (labels one-hot [batch, numClasses + 1]). */
export const BATCH_INPUTS = ['x0', 'z', 't', 'labels', 'guidance'] as const;

export const stateInput = (group: StateGroup, name: string): string => `${group}.${name}`;
export const isStateInput = (name: string): boolean => STATE_GROUPS.some((g) => name.startsWith(`${g}.`));
export const scalarInput = (name: string): string => `scalar.${name}`;
/** The output that holds a state input's value after the step. */
export const nextOutput = (input: string): string => `next.${input}`;

/** A training step compiled to one ONNX graph by {@link compileTrainStep}. */
export interface CompiledStep {
  /** The ONNX model bytes. */
  readonly model: Uint8Array;
  /** State inputs (`params.*`, `opt.*`, `ema.*`), batch inputs, then `scalar.*`. */
  readonly inputNames: readonly string[];
  /** `next.` + each state input, then loss, gradNorm and applied (1, or 0 for a skipped step). */
  readonly outputNames: readonly string[];
  /** The shape of every input, by name (state tensors, batch tensors, scalars []). */
  readonly inputShapes: Readonly<Record<string, Shape>>;
}

/** Options of {@link compileTrainStep}. */
export interface CompileOptions {
  /** The fixed batch the graph is traced at. */
  readonly batch: number;
}

/** A training step that cannot be compiled to one ONNX graph: a model with dropout, whose masks are drawn on the host every step. */
export class CompileError extends Error {
  constructor(detail: string) {
    super(`compileTrainStep: ${detail}`);
    this.name = 'CompileError';
  }
}

/**
 * `ctx`'s step as one graph at a fixed batch. The teacher's EMA weights (sCD) are baked in as
 * initializers: they are constant for the whole run, so feeding them would only add per-step work,
 * while as initializers they cost their size once in the model bytes (a teacher the size of the
 * student) and let ONNX Runtime treat them as constants (its CPU MatMul prepacks constant weights).
 */
export function compileTrainStep(ctx: StepContext<HostTensor>, options: CompileOptions): CompiledStep {
  const { model, config } = ctx;
  const inputShapes: Record<string, Shape> = {};
  const declare = (tr: TraceOps, name: string, shape: Shape) => {
    inputShapes[name] = shape;
    return tr.input(name, shape);
  };
  const group = (tr: TraceOps, g: StateGroup, shapes: Record<string, Shape>) =>
    Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, declare(tr, stateInput(g, name), shape)]));

  const bytes = exportTrace(
    (tr, n) => {
      const paramShapes = Object.fromEntries(Object.entries(model.init(new Rng(0))).map(([name, t]) => [name, t.shape]));
      const params = group(tr, 'params', paramShapes);
      const opt = group(tr, 'opt', Object.fromEntries(Object.entries(ctx.optimizer.init(tr, params)).map(([name, s]) => [name, s.shape])));
      const ema = group(tr, 'ema', paramShapes);
      const sample = [n, ...ctx.data.sampleShape];
      const x0 = declare(tr, 'x0', sample);
      const z = declare(tr, 'z', sample);
      const t = declare(tr, 't', [n]);
      const labels = model.numClasses > 0 ? declare(tr, 'labels', [n, model.numClasses + 1]) : undefined;
      const guidance = model.guidanceInput ? declare(tr, 'guidance', [n]) : undefined;
      // Dropout masks are drawn on the host from this stream while the step runs: a draw during
      // tracing would become a constant mask, the same at every step.
      const dropoutRng = new Rng(0);
      const before = JSON.stringify(dropoutRng.state());
      const batch = { x0, z, t, cond: { ...(labels ? { labels } : {}), ...(guidance ? { guidance } : {}), dropoutRng } };
      const scalars = Object.fromEntries(Object.keys(stepScalars(ctx, 1)).map((name) => [name, declare(tr, scalarInput(name), [])]));
      const teacher = ctx.teacher ? { model: ctx.teacher.model, params: toDevice(tr, ctx.teacher.params) } : undefined;
      const out = stepFunction(tr, { ...ctx, teacher }, { params, opt, ema, batch, scalars });
      if (JSON.stringify(dropoutRng.state()) !== before) {
        throw new CompileError(
          'the model uses dropout, whose masks are drawn on the host at every step; a compiled step would bake one mask ' +
            'into the graph and reuse it forever. Train with dropout 0, or train this model with the eager step',
        );
      }
      const next: Record<string, Sym> = {};
      for (const g of STATE_GROUPS) for (const [name, s] of Object.entries(out[g])) next[nextOutput(stateInput(g, name))] = s;
      return { ...next, loss: out.loss, gradNorm: out.gradNorm, applied: out.applied };
    },
    {
      batch: options.batch,
      name: 'scm_train_step',
      metadata: { 'scm.kind': 'train-step', 'scm.mode': config.mode, 'scm.sigmaD': String(config.sigmaD) },
    },
  );
  const inputNames = Object.keys(inputShapes);
  const outputNames = [...inputNames.filter(isStateInput).map(nextOutput), 'loss', 'gradNorm', 'applied'];
  return { model: bytes, inputNames, outputNames, inputShapes };
}

