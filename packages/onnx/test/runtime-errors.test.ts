import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@scm/core';
import { checkModel, exportSampler, OnnxModelError, OnnxSampler, type OrtModule } from '../src/index.js';
import { SIGMA_D, smallMlp } from './models.js';

describe('OnnxSampler reports bad runtimes, bad model bytes and bad inputs clearly', () => {
  const { model, params } = smallMlp({ numClasses: 3 });
  const bytes = exportSampler(model, params, { steps: 2, sigmaD: SIGMA_D });
  let sampler: OnnxSampler;
  beforeAll(async () => {
    sampler = await OnnxSampler.create(ort, bytes);
  });
  const rng = new Rng(9);
  const good = () => ({ z0: rng.normal(6), z1: rng.normal(6), label: Int32Array.from([0, 2, -1]), guidance: Float32Array.from([1, 2, 3]) });

  it('a missing or wrong runtime module', async () => {
    // As from JavaScript, or a wrong import: the types would reject these.
    for (const notOrt of [undefined, null, {}, { InferenceSession: {} }, ort.InferenceSession] as unknown as OrtModule[]) {
      await expect(OnnxSampler.create(notOrt, bytes)).rejects.toThrow(/pass the onnxruntime-node or onnxruntime-web module/);
    }
  });

  it('bytes that are not an ONNX model', async () => {
    const garbage = [new TextEncoder().encode('{"this": "is json, not ONNX"}'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), new Uint8Array(0), new Rng(1).uniform(64).map((u) => u * 255)];
    for (const b of garbage) {
      const data = b instanceof Float32Array ? Uint8Array.from(b) : b;
      await expect(OnnxSampler.create(ort, data)).rejects.toThrow(OnnxModelError);
      await expect(OnnxSampler.create(ort, data)).rejects.toThrow(/not an ONNX model/);
    }
    expect(() => checkModel(new TextEncoder().encode('hello'))).toThrow(/not an ONNX model/);
  });

  it('truncated model bytes', async () => {
    for (const cut of [1, 20, Math.floor(bytes.length / 2), bytes.length - 3]) {
      await expect(OnnxSampler.create(ort, bytes.subarray(0, cut)), `cut at ${cut} of ${bytes.length}`).rejects.toThrow(/truncated/);
    }
  });

  it('inputs that are missing, unknown, of the wrong size or type', async () => {
    const { z1: _, ...noZ1 } = good();
    await expect(sampler.run(noZ1, 3)).rejects.toThrow('missing input "z1" (float32 [batch, 2])');
    await expect(sampler.run({ ...good(), z0: rng.normal(5) }, 3)).rejects.toThrow('input "z0": expected 6 values (float32 [batch, 2] with batch 3: [3, 2]), got 5');
    await expect(sampler.run({ ...good(), label: Int32Array.from([1, 2]) }, 3)).rejects.toThrow('input "label": expected 3 values (int64 [batch] with batch 3: [3]), got 2');
    await expect(sampler.run({ ...good(), label: Float32Array.from([0, 1, 2]) }, 3)).rejects.toThrow(/input "label": expected integers/);
    await expect(sampler.run({ ...good(), z0: Int32Array.from(rng.normal(6)) }, 3)).rejects.toThrow(/input "z0": expected a Float32Array/);
    await expect(sampler.run({ ...good(), noise: rng.normal(6) }, 3)).rejects.toThrow('unknown input "noise": the model takes z0, z1, label, guidance');
    await expect(sampler.run({ ...good(), label: Int32Array.from([0, 7, 1]) }, 3)).rejects.toThrow('input "label": label 7 is outside 0..2 (or -1 for none)');
    await expect(sampler.run(good(), 0)).rejects.toThrow(/batch must be a positive integer/);
  });

  it('int64 labels may come as BigInt64Array or Int32Array', async () => {
    const inputs = good();
    const a = await sampler.run(inputs, 3);
    const b = await sampler.run({ ...inputs, label: BigInt64Array.from(inputs.label, (l) => BigInt(l)) }, 3);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
