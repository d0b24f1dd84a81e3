/**
 * The U-Net's layer plan and config checks, pinned down by hand. Every model is built inside its test:
 * Stryker does not activate mutants in time for code that runs while a test file loads.
 */
import { describe, expect, it } from 'vitest';
import { countParams, createModel, createUnet, defaultUnetConfig, Rng, unetBlocks, unetPlan, type UnetConfig } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();

/** 8 -> 4 -> 2 with widths 4, 8, 12, two blocks per level, attention at 4x4: every kind of layer. */
const threeLevels: Partial<UnetConfig> = {
  imageSize: 8,
  channels: 1,
  baseChannels: 4,
  channelMult: [1, 2, 3],
  blocksPerLevel: 2,
  attentionResolutions: [4],
  attentionHeads: 2,
  normGroups: 2,
  embChannels: 6,
  logvarChannels: 10,
  numClasses: 2,
  guidanceInput: true,
};

/** A residual block's parameters: embedding width 16 (4 x baseChannels). */
function blockShapes(name: string, cin: number, cout: number, attention: boolean): Record<string, number[]> {
  return {
    [`${name}.conv0.weight`]: [3, 3, cin, cout],
    [`${name}.conv0.bias`]: [cout],
    [`${name}.affine.weight`]: [16, 2 * cout],
    [`${name}.affine.bias`]: [2 * cout],
    [`${name}.conv1.weight`]: [3, 3, cout, cout],
    [`${name}.conv1.bias`]: [cout],
    ...(cin !== cout ? { [`${name}.skip.weight`]: [1, 1, cin, cout], [`${name}.skip.bias`]: [cout] } : {}),
    ...(attention
      ? { [`${name}.attn.qkv.weight`]: [cout, 3 * cout], [`${name}.attn.qkv.bias`]: [3 * cout], [`${name}.attn.proj.weight`]: [cout, cout], [`${name}.attn.proj.bias`]: [cout] }
      : {}),
  };
}

describe('U-Net layer plan', () => {
  it('a 3-level U-Net has exactly the parameters worked out by hand', () => {
    // Encoder activations, in order: in-conv 4; level 0 blocks 4, 4; pool 4; level 1 blocks 8, 8; pool 8; level 2 blocks 12, 12.
    // The decoder pops them from the end: each level has one block more than the encoder.
    const expected: Record<string, number[]> = {
      'map.0.weight': [6, 16],
      'map.0.bias': [16],
      'map.1.weight': [16, 16],
      'map.1.bias': [16],
      'class.weight': [3, 16],
      'guidance.weight': [6, 16],
      'guidance.bias': [16],
      'enc.in.weight': [3, 3, 1, 4],
      'enc.in.bias': [4],
      ...blockShapes('enc.0.block.0', 4, 4, false),
      ...blockShapes('enc.0.block.1', 4, 4, false),
      ...blockShapes('enc.1.block.0', 4, 8, true),
      ...blockShapes('enc.1.block.1', 8, 8, true),
      ...blockShapes('enc.2.block.0', 8, 12, false),
      ...blockShapes('enc.2.block.1', 12, 12, false),
      ...blockShapes('mid.0', 12, 12, true),
      ...blockShapes('mid.1', 12, 12, false),
      ...blockShapes('dec.2.block.0', 12 + 12, 12, false),
      ...blockShapes('dec.2.block.1', 12 + 12, 12, false),
      ...blockShapes('dec.2.block.2', 12 + 8, 12, false),
      'dec.1.up.weight': [3, 3, 12, 12],
      'dec.1.up.bias': [12],
      ...blockShapes('dec.1.block.0', 12 + 8, 8, true),
      ...blockShapes('dec.1.block.1', 8 + 8, 8, true),
      ...blockShapes('dec.1.block.2', 8 + 4, 8, true),
      'dec.0.up.weight': [3, 3, 8, 8],
      'dec.0.up.bias': [8],
      ...blockShapes('dec.0.block.0', 8 + 4, 4, false),
      ...blockShapes('dec.0.block.1', 4 + 4, 4, false),
      ...blockShapes('dec.0.block.2', 4 + 4, 4, false),
      'out.weight': [3, 3, 4, 1],
      'out.bias': [1],
      'logvar.weight': [10, 1],
      'logvar.bias': [1],
    };
    const model = createUnet(threeLevels);
    const params = model.init(new Rng(1));
    const shapes = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, [...v.shape]]));
    expect(shapes).toEqual(expected);
    for (const [k, v] of Object.entries(params)) expect(v.data.length, k).toBe(v.shape.reduce((a, b) => a * b, 1));
    // paramSpecs says the same without drawing: the memory guard sizes a model from it.
    const specs = model.paramSpecs();
    expect(Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, [...v.shape]]))).toEqual(expected);
    expect(countParams(specs)).toBe(Object.values(expected).reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0));
  });

  it('init draws paramSpecs in its order: zeros where the gain is 0, else N(0, gain^2 / fanIn) from the stream', () => {
    const model = createUnet(threeLevels);
    const params = model.init(new Rng(6));
    const stream = new Rng(6);
    for (const [name, spec] of Object.entries(model.paramSpecs())) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const want = spec.gain === 0 ? new Float32Array(n) : stream.normal(n).map((z) => z * (spec.gain / Math.sqrt(spec.fanIn)));
      expect(params[name].data, name).toEqual(want);
    }
    // The head's and the output's zeros, the class rows' unit variance: spot checks of the specs themselves.
    expect(model.paramSpecs()['out.weight'].gain).toBe(0);
    expect(model.paramSpecs()['class.weight']).toEqual({ shape: [3, 16], fanIn: 3, gain: Math.sqrt(3) });
    expect(model.paramSpecs()['enc.0.block.0.conv0.weight'].fanIn).toBe(3 * 3 * 4);
  });

  it('unetPlan gives each block and upsampling conv its resolution: 8 at level 0, 4 at level 1, 2 at level 2 and in the middle', () => {
    const plan = unetPlan(threeLevels);
    const blocks = [...plan.encoder.flatMap((l) => l.blocks), ...plan.mid, ...plan.decoder.flatMap((l) => l.blocks)];
    const resolutionOf = (name: string) => ({ enc: { 0: 8, 1: 4, 2: 2 }, dec: { 0: 8, 1: 4, 2: 2 } })[name.split('.')[0] as 'enc' | 'dec']?.[Number(name.split('.')[1]) as 0 | 1 | 2] ?? 2;
    expect(blocks).toHaveLength(2 * 3 + 2 + 3 * 3);
    expect(unetBlocks(plan)).toEqual(blocks);
    for (const b of blocks) expect(b.resolution, b.name).toBe(resolutionOf(b.name));
    expect(plan.decoder.map((l) => l.up && [l.up.name, l.up.resolution])).toEqual([undefined, ['dec.1.up', 4], ['dec.0.up', 8]]);
    expect(() => unetPlan({ ...threeLevels, imageSize: 10 })).toThrow(/imageSize 10 is not divisible by 2\^2/);
  });

  it('its forward pass maps [B, 8, 8, 1] to the same shape, and u(t) to [B]', () => {
    const model = createUnet(threeLevels);
    const p = Object.fromEntries(Object.entries(model.init(new Rng(2))).map(([k, v]) => [k, o.fromArray(v.data, v.shape)]));
    const x = o.fromArray(new Rng(3).normal64(2 * 64), [2, 8, 8, 1]);
    const t = o.fromArray([0.3, 1.1], [2]);
    const cond = { labels: o.fromArray([1, 0, 0, 0, 0, 1], [2, 3]), guidance: o.fromArray([1, 2], [2]) };
    expect(model.sampleShape).toEqual([8, 8, 1]);
    expect(o.shape(model.F(o, p, x, t, cond))).toEqual([2, 8, 8, 1]);
    expect(o.shape(model.logvar(o, p, t))).toEqual([2]);
  });

  it.each([
    [16, true],
    [32, false],
  ])('dropout acts at resolution %i: %s (the paper allows it at 16 and below)', (imageSize, acts) => {
    const config = { ...threeLevels, imageSize, channelMult: [1], attentionResolutions: [], numClasses: 0, guidanceInput: false, dropout: 0.5 };
    const model = createUnet(config);
    // The output conv starts at zero, which would hide the trunk; random weights expose it.
    const rng = new Rng(4);
    const p = Object.fromEntries(
      Object.entries(model.init(rng)).map(([k, v]) => [k, o.fromArray(k === 'out.weight' ? rng.normal64(v.data.length) : Float64Array.from(v.data), v.shape)]),
    );
    const x = o.fromArray(rng.normal64(imageSize * imageSize), [1, imageSize, imageSize, 1]);
    const t = o.fromArray([0.7], [1]);
    const plain = o.readSync(model.F(o, p, x, t));
    const dropped = o.readSync(model.F(o, p, x, t, { dropoutRng: new Rng(5) }));
    if (acts) expect(dropped).not.toEqual(plain);
    else expect(dropped).toEqual(plain);
  });

  it('attention heads need only divide the channels of the levels that attend', () => {
    // Level 0 (8x8, 4 channels) has no attention; level 1 and the middle attend over 8 channels.
    const model = createUnet({ ...threeLevels, channelMult: [1, 2], attentionHeads: 8 });
    expect(model.init(new Rng(6))['mid.0.attn.qkv.weight'].shape).toEqual([8, 24]);
  });
});

describe('U-Net config checks', () => {
  const base: Partial<UnetConfig> = { ...threeLevels, channelMult: [1, 2] };
  const positive = ['imageSize', 'channels', 'baseChannels', 'blocksPerLevel', 'attentionHeads', 'embChannels', 'normGroups', 'logvarChannels'] as const;

  it.each(positive.flatMap((key) => [0, -2, 1.5].map((v) => [key, v] as const)))('rejects %s = %s by name', (key, value) => {
    expect(() => createUnet({ ...base, [key]: value })).toThrow(`unet: ${key} must be a positive integer, got ${value}`);
  });

  it('accepts 1 for every size that must be positive, 2 for the embeddings that must be even', () => {
    const ones = { imageSize: 1, channels: 1, baseChannels: 1, channelMult: [1], blocksPerLevel: 1, attentionResolutions: [], attentionHeads: 1 };
    const model = createUnet({ ...ones, embChannels: 2, normGroups: 1, logvarChannels: 2 });
    expect(model.sampleShape).toEqual([1, 1, 1]);
    const p = Object.fromEntries(Object.entries(model.init(new Rng(1))).map(([k, v]) => [k, o.fromArray(v.data, v.shape)]));
    expect(o.shape(model.F(o, p, o.fromArray([0.5], [1, 1, 1, 1]), o.fromArray([1], [1])))).toEqual([1, 1, 1, 1]);
  });

  it.each(['embChannels', 'logvarChannels'])('rejects an odd %s when the model is built, not at its first forward pass', (key) => {
    expect(() => createUnet({ ...base, [key]: 5 })).toThrow(`unet: ${key} must be even (a cosine and a sine per frequency), got 5`);
  });

  it.each<[unknown]>([[[]], [[1, 0]], [[1, 1.5]], [[-1]], ['12']])('rejects channelMult %j', (channelMult) => {
    expect(() => createUnet({ ...base, channelMult } as Partial<UnetConfig>)).toThrow(
      `unet: channelMult must be a non-empty list of positive integers, got ${JSON.stringify(channelMult)}`,
    );
  });

  it('names the levels an image size cannot halve into', () => {
    expect(() => createUnet({ ...base, imageSize: 6, channelMult: [1, 1, 1] })).toThrow('unet: imageSize 6 is not divisible by 2^2 = 4, which 3 levels need');
    expect(createUnet({ ...base, imageSize: 12, channelMult: [1, 1, 1], attentionResolutions: [3] }).sampleShape).toEqual([12, 12, 1]);
  });

  it('attention resolutions must be a list of the level resolutions', () => {
    expect(() => createUnet({ ...base, attentionResolutions: 4 as unknown as number[] })).toThrow('unet: attentionResolutions must be a list of level resolutions, got 4');
    expect(() => createUnet({ ...base, attentionResolutions: [2] })).toThrow('unet: attention resolution 2 is not a level resolution (8, 4)');
    expect(createUnet({ ...base, attentionResolutions: [8, 4] }).init(new Rng(1))['enc.0.block.0.attn.qkv.weight'].shape).toEqual([4, 12]);
  });

  it('every level\'s channels must split into the norm groups', () => {
    expect(() => createUnet({ ...base, baseChannels: 4, channelMult: [2, 3], normGroups: 8 })).toThrow(
      'unet: 12 channels (baseChannels x 3) are not divisible by normGroups 8',
    );
  });

  it('attention heads must divide the channels they attend over', () => {
    expect(() => createUnet({ ...base, attentionHeads: 3 })).toThrow('unet: enc.1.block.0 attends over 8 channels, which attentionHeads 3 does not divide');
  });

  it.each([-0.1, 1, 1.5])('rejects dropout %s', (dropout) => {
    expect(() => createUnet({ ...base, dropout })).toThrow(`unet: dropout must be in [0, 1), got ${dropout}`);
  });

  it('accepts dropout 0 and just below 1', () => {
    for (const dropout of [0, 0.99]) expect(createUnet({ ...base, dropout }).config.dropout).toBe(dropout);
  });

  it('the exported default config builds the default U-Net through the registry', () => {
    expect(createModel(defaultUnetConfig).config).toEqual(createUnet().config);
  });

  it('names an unknown option, and fixes kind to unet', () => {
    expect(() => createUnet({ ...base, width: 3 } as Partial<UnetConfig>)).toThrow('unet: unknown option "width"');
    expect(createUnet({ ...base, kind: 'mlp' } as unknown as Partial<UnetConfig>).config.kind).toBe('unet');
  });
});
