/**
 * OnnxSampler's checks of what the graph itself would silently misread: labels outside the model's
 * classes (the one-hot comparison turns them into "no class"), guidance scales that are not finite
 * or negative, and tensors whose data ONNX Runtime would read from a path outside the model.
 */
import { crc32 } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportSampler, OnnxModelError, OnnxSampler } from '../src/index.js';
import { DataLocation, decodeModelProto, encodeModelProto } from '../src/proto.js';
import { SIGMA_D, smallMlp } from './models.js';

describe('OnnxSampler checks labels and guidance against the model', () => {
  const { model, params } = smallMlp({ numClasses: 3 });
  const bytes = exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D });
  let sampler: OnnxSampler;
  beforeAll(async () => {
    sampler = await OnnxSampler.create(ort, bytes);
  });
  const z0 = new Float32Array(4).fill(0.5);
  const inputs = (label: number, guidance = 1) => ({ z0, label: Int32Array.from([0, label]), guidance: Float32Array.from([1, guidance]) });

  it('labels from -1 (no class) to numClasses - 1 run; numClasses, -2 and -100 are refused', async () => {
    for (const ok of [-1, 0, 2]) expect((await sampler.run(inputs(ok), 2)).length).toBe(4);
    for (const bad of [3, -2, -100]) {
      await expect(sampler.run(inputs(bad), 2)).rejects.toThrow(`input "label": label ${bad} is outside 0..2 (or -1 for none)`);
    }
  });

  it('guidance scales must be finite and non-negative', async () => {
    for (const bad of [NaN, Infinity, -0.5]) {
      await expect(sampler.run(inputs(0, bad), 2)).rejects.toThrow(`input "guidance": scale ${bad} (example 1) is not a finite number >= 0`);
    }
  });
});

describe('a student exported with the guidance range it was distilled at', () => {
  const { model, params } = smallMlp({ numClasses: 3, guidanceInput: true });
  const z0 = new Float32Array(4).fill(0.5);
  const inputs = (guidance: number) => ({ z0, label: Int32Array.from([0, 1]), guidance: Float32Array.from([1, guidance]) });

  it('takes scales inside [1, 2] and refuses those outside, naming the range', async () => {
    const sampler = await OnnxSampler.create(ort, exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D, guidanceRange: [1, 2] }));
    for (const ok of [1, 1.5, 2]) expect((await sampler.run(inputs(ok), 2)).length).toBe(4);
    for (const bad of [0.5, 2.5]) {
      await expect(sampler.run(inputs(bad), 2)).rejects.toThrow(`input "guidance": scale ${bad} (example 1) is not within [1, 2], the scales this model was trained for`);
    }
  });

  it('a fixed scale outside the range, or a range that is none, is refused at export', () => {
    expect(() => exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D, guidance: 3, guidanceRange: [1, 2] })).toThrow(
      'exportSampler: guidance 3 is outside [1, 2], the scales this model was trained for',
    );
    expect(() => exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D, guidanceRange: [2, 1] })).toThrow('guidanceRange must be [lo, hi] with 0 <= lo <= hi, got [2, 1]');
  });
});

describe('OnnxSampler trusts no model blindly', () => {
  const { model, params } = smallMlp({ numClasses: 3, guidanceInput: true });
  const exported = exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D, guidanceRange: [1, 2] });
  /** The exported model with its metadata_props rewritten by `edit`. */
  function withMetadata(edit: (props: Record<string, string>) => Record<string, string>): Uint8Array {
    const decoded = decodeModelProto(exported);
    const props = Object.fromEntries((decoded.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    decoded.metadataProps = Object.entries(edit(props)).map(([key, value]) => ({ key, value }));
    return encodeModelProto(decoded);
  }
  const stripped = withMetadata(() => ({}));
  const z0 = new Float32Array(4).fill(0.5);

  it('without our metadata, a model with label and guidance inputs needs the caller to state classes and range', async () => {
    await expect(OnnxSampler.create(ort, stripped)).rejects.toThrow('the model takes "label" but records no scm.numClasses: pass { numClasses } to OnnxSampler.create');
    await expect(OnnxSampler.create(ort, stripped, undefined, { numClasses: 3 })).rejects.toThrow(
      'the model takes "guidance" but records no scm.guidanceRange: pass { guidanceRange: [lo, hi] } to OnnxSampler.create',
    );
    const sampler = await OnnxSampler.create(ort, stripped, undefined, { numClasses: 3, guidanceRange: [1, 2] });
    await expect(sampler.run({ z0, label: Int32Array.from([0, 99]), guidance: Float32Array.from([1, 1]) }, 2)).rejects.toThrow('label 99 is outside 0..2');
    await expect(sampler.run({ z0, label: Int32Array.from([0, 1]), guidance: Float32Array.from([1, 50]) }, 2)).rejects.toThrow('scale 50 (example 1) is not within [1, 2]');
  });

  it('metadata of the wrong type or range is refused at create, naming the entry', async () => {
    for (const [key, value, message] of [
      ['scm.numClasses', '-1', 'the model\'s metadata scm.numClasses is "-1", not a non-negative integer'],
      ['scm.numClasses', 'three', 'the model\'s metadata scm.numClasses is "three", not a non-negative integer'],
      ['scm.guidanceRange', '{oops', 'the model\'s metadata scm.guidanceRange is "{oops", not [lo, hi] with 0 <= lo <= hi'],
      ['scm.guidanceRange', '[2, 1]', 'scm.guidanceRange is "[2, 1]", not [lo, hi]'],
      ['scm.sampleShape', '[2,', 'the model\'s metadata scm.sampleShape is "[2,", not a list of positive sizes'],
      ['scm.batch', '0', 'the model\'s metadata scm.batch is "0", not a positive integer'],
    ]) {
      await expect(OnnxSampler.create(ort, withMetadata((p) => ({ ...p, [key]: value })))).rejects.toThrow(message);
    }
  });

  it('an entry changed after export no longer matches the metadata checksum, and the model is refused', async () => {
    const props = Object.fromEntries((decodeModelProto(exported).metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    // The checksum, recomputed here with zlib's CRC-32 over the sorted scm.* entries but its own.
    const lines = Object.keys(props).filter((k) => k.startsWith('scm.') && k !== 'scm.crc32').sort().map((k) => `${k}=${props[k]}`);
    expect(props['scm.crc32']).toBe(crc32(lines.join('\n')).toString(16).padStart(8, '0'));
    const edits: Record<string, string>[] = [{ 'scm.guidanceRange': '[0,1000000000]' }, { 'scm.numClasses': '100' }, { 'scm.kind': 'denoiser' }];
    for (const edit of edits) {
      await expect(OnnxSampler.create(ort, withMetadata((p) => ({ ...p, ...edit })))).rejects.toThrow(
        /the model's scm\.\* metadata does not match its scm\.crc32 "[0-9a-f]{8}": an entry was changed after export/,
      );
    }
    // Models exported before the checksum are read as their entries say.
    const old = await OnnxSampler.create(ort, withMetadata(({ 'scm.crc32': _, ...p }) => p));
    await expect(old.run({ z0, label: Int32Array.from([0, 1]), guidance: Float32Array.from([1, 3]) }, 2)).rejects.toThrow('scale 3 (example 1) is not within [1, 2]');
  });

  it('declarations must be valid and agree with what the model records', async () => {
    await expect(OnnxSampler.create(ort, exported, undefined, { numClasses: -1 })).rejects.toThrow('OnnxSampler.create: numClasses must be a non-negative integer, got -1');
    await expect(OnnxSampler.create(ort, exported, undefined, { guidanceRange: [0, 5] })).rejects.toThrow(
      'OnnxSampler.create: guidanceRange [0,5] contradicts the model\'s own [1,2]',
    );
  });

  it('noise must be finite, and every argument error names the argument', async () => {
    const sampler = await OnnxSampler.create(ort, exported);
    const ok = { label: Int32Array.from([0, 1]), guidance: Float32Array.from([1, 1]) };
    await expect(sampler.run({ ...ok, z0: Float32Array.from([0, 0, NaN, 0]) }, 2)).rejects.toThrow('input "z0": value NaN at element 2 is not finite');
    await expect(sampler.run(null as never, 3)).rejects.toThrow('run: inputs must be an object of typed arrays by input name, got null');
    await expect(sampler.run({ ...ok, z0 }, 0)).rejects.toThrow('run: batch must be a positive integer, got 0');
  });
});

describe('OnnxSampler refuses external data', () => {
  it('an initializer whose data lives in a file outside the bytes, naming it and its location', async () => {
    const { model, params } = smallMlp({ numClasses: 0 });
    const decoded = decodeModelProto(exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D }));
    const init = decoded.graph!.initializer![0];
    init.rawData = new Uint8Array(0);
    init.floatData = [];
    init.dataLocation = DataLocation.EXTERNAL;
    init.externalData = [{ key: 'location', value: '../../../etc/hostname' }];
    const bytes = encodeModelProto(decoded);
    const created = OnnxSampler.create(ort, bytes);
    await expect(created).rejects.toThrow(OnnxModelError);
    await expect(OnnxSampler.create(ort, bytes)).rejects.toThrow(
      `initializer "${init.name}" keeps its data in an external file ("../../../etc/hostname"): OnnxSampler runs self-contained models only`,
    );
  });
});
