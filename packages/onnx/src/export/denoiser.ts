/** The network F_theta as an ONNX model, for callers that run their own sampler around it. */
import { toDevice, type HostParams, type Model } from '@scm/core';
import { LABEL_INPUT, modelMetadata } from '../metadata.js';
import { guidanceInput, labelInput } from './conditioning.js';
import { checkExportArguments } from './arguments.js';
import { exportTrace } from './trace.js';

/** Options of {@link exportDenoiser}. */
export interface DenoiserExportOptions {
  /** The data's per-element std the model was trained with, recorded in the model's metadata. */
  readonly sigmaD: number;
  /** A fixed batch size; omitted, the model takes any batch. */
  readonly batch?: number;
}

/**
 * F(x, t [, label] [, guidance]) -> F: inputs x [batch, ...sampleShape] (x_t / sigma_d, as the
 * network takes it), t [batch], int64 label [batch] (-1: the null class) for class-conditional
 * models, guidance [batch] for models with a guidance input.
 */
export function exportDenoiser(model: Model, params: HostParams, options: DenoiserExportOptions): Uint8Array {
  checkExportArguments('exportDenoiser', model, params, options);
  return exportTrace(
    (tr, n) => {
      const x = tr.input('x', [n, ...model.sampleShape]);
      const t = tr.input('t', [n]);
      const labels = labelInput(tr, model, n);
      const guidance = model.guidanceInput ? guidanceInput(tr, n) : undefined;
      return { F: model.F(tr, toDevice(tr, params), x, t, { ...(labels ? { labels } : {}), ...(guidance ? { guidance } : {}) }) };
    },
    {
      batch: options.batch,
      int64Inputs: [LABEL_INPUT],
      name: 'scm_denoiser',
      metadata: modelMetadata('denoiser', model, options.sigmaD),
    },
  );
}
