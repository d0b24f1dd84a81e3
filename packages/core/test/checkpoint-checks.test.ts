/**
 * What decodeCheckpoint refuses beyond a malformed file: weights that are not finite (they sample
 * only NaN, and Adam and the EMA would carry them on after a resume), and counters that are not
 * non-negative integers (a string "skipped" was concatenated to on resume); and what it fills in
 * for checkpoints older than a model setting.
 */
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FORMAT,
  decodeCheckpoint,
  decodeSafetensors,
  defaultTrainConfig,
  encodeCheckpoint,
  encodeSafetensors,
  Rng,
  type CheckpointMeta,
  type HostState,
} from '../src/index.js';

const meta: CheckpointMeta = {
  format: CHECKPOINT_FORMAT,
  model: { kind: 'mlp', width: 4, blocks: 1, embChannels: 4, normGroups: 1, logvarChannels: 4, numClasses: 0, guidanceInput: false } as CheckpointMeta['model'],
  train: defaultTrainConfig('teacher'),
  data: { name: 'checkerboard', conditional: false },
  step: 3,
  skipped: 0,
  rng: new Rng(0).state(),
};

function state(bad?: { group: keyof HostState; value: number }): HostState {
  const t = (v = 1) => ({ shape: [3], data: new Float32Array([0.5, v, -2]) });
  const group = (g: keyof HostState) => ({ 'a.weight': t(bad?.group === g ? bad.value : 1) });
  return { params: group('params'), ema: group('ema'), opt: group('opt') };
}

describe('decodeCheckpoint refuses', () => {
  it('a NaN or infinite value in params, EMA or optimiser state, naming the tensor and the element', () => {
    expect(decodeCheckpoint(encodeCheckpoint(meta, state())).state.params['a.weight'].data[1]).toBe(1);
    for (const [group, value] of [['params', NaN], ['ema', Infinity], ['opt', -Infinity]] as const) {
      const bytes = encodeCheckpoint(meta, state({ group, value }));
      expect(() => decodeCheckpoint(bytes)).toThrow(`checkpoint: tensor "${group}.a.weight" holds ${value} at element 1: its weights are not finite`);
    }
  });

  it('a step or skipped count that is not a non-negative integer', () => {
    for (const [key, value] of [['skipped', '3'], ['skipped', -1], ['step', 1.5], ['skipped', null]] as const) {
      const bytes = encodeCheckpoint({ ...meta, [key]: value } as unknown as CheckpointMeta, state());
      expect(() => decodeCheckpoint(bytes)).toThrow(`checkpoint: its ${key} ${JSON.stringify(value)} is not a non-negative integer`);
    }
  });
});

describe('checksums', () => {
  /** The checkpoint re-encoded with its tensors or metadata edited (the stored checksums kept as they were). */
  function edited(edit: (c: ReturnType<typeof decodeSafetensors>) => void): Uint8Array {
    const c = decodeSafetensors(encodeCheckpoint(meta, state()));
    edit(c);
    return encodeSafetensors(c.tensors, c.metadata);
  }

  it('every tensor is checked: one changed bit is refused, naming the tensor', () => {
    expect(decodeCheckpoint(encodeCheckpoint(meta, state())).checksummed).toBe(true);
    for (const name of ['params.a.weight', 'ema.a.weight', 'opt.a.weight']) {
      const bytes = edited((c) => void (new Uint8Array(c.tensors[name].data.buffer)[0] ^= 1));
      expect(() => decodeCheckpoint(bytes)).toThrow(new RegExp(`^checkpoint: tensor "${name}" does not match its checksum \\(crc32 [0-9a-f]{8}, stored [0-9a-f]{8}\\): the file is damaged$`));
    }
  });

  it('a tensor without a checksum, a checksum without a tensor, or unreadable checksums are refused', () => {
    const listed = (c: ReturnType<typeof decodeSafetensors>) => JSON.parse(c.metadata.crc32) as Record<string, string>;
    const added = edited((c) => void (c.tensors['opt.b'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) }));
    expect(() => decodeCheckpoint(added)).toThrow('checkpoint: tensor "opt.b" has no checksum');
    const removed = edited((c) => void (c.metadata.crc32 = JSON.stringify({ ...listed(c), 'ema.gone': '00000000' })));
    expect(() => decodeCheckpoint(removed)).toThrow('checkpoint: it lacks the tensor "ema.gone" that its checksums list');
    expect(() => decodeCheckpoint(edited((c) => void (c.metadata.crc32 = '{')))).toThrow('checkpoint: its checksums are not valid JSON');
  });

  it('a checkpoint written before checksums loads, and says it was not checked', () => {
    const older = edited((c) => void delete (c.metadata as Record<string, string>).crc32);
    expect(decodeCheckpoint(older).checksummed).toBe(false);
  });
});

describe('decodeCheckpoint reads older checkpoints', () => {
  it('as guided students with a guidance gain of 1, which they were trained with, and keeps a stored gain', () => {
    const guided = { ...meta, model: { ...meta.model, numClasses: 2, guidanceInput: true } } as CheckpointMeta;
    expect(decodeCheckpoint(encodeCheckpoint(guided, state())).meta.model.guidanceGain).toBe(1);
    const stored = { ...guided, model: { ...guided.model, guidanceGain: 10 } } as CheckpointMeta;
    expect(decodeCheckpoint(encodeCheckpoint(stored, state())).meta.model.guidanceGain).toBe(10);
    // Unguided models never read the gain, so theirs is left as stored (absent: the default applies).
    expect(decodeCheckpoint(encodeCheckpoint(meta, state())).meta.model.guidanceGain).toBeUndefined();
  });

  it('as MLPs without input features, which they had none of, and keeps stored ones', () => {
    expect(decodeCheckpoint(encodeCheckpoint(meta, state())).meta.model).toMatchObject({ inputFeatures: 0, inputFeatureScale: 1 });
    const featured = { ...meta, model: { ...meta.model, inputFeatures: 8, inputFeatureScale: 0.5 } } as CheckpointMeta;
    expect(decodeCheckpoint(encodeCheckpoint(featured, state())).meta.model).toMatchObject({ inputFeatures: 8, inputFeatureScale: 0.5 });
  });
});
