/**
 * loadPipeline and generate(): sources (bytes, folders, files, file: and http: URLs with progress),
 * units (samples in data coordinates against a hand-computed 1-step consistency sample), labels and
 * guidance checks, the shipped-sampler fast path, and the pixels and PNG files of a generation.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FORMAT,
  createMlp,
  defaultTrainConfig,
  eagerEngine,
  encodeCheckpoint,
  encodeModelWeights,
  encodePng,
  Generation,
  loadPipeline,
  MODEL_FORMAT,
  oneHotLabels,
  Rng,
  tMaxFor,
  toDevice,
  toy2dSource,
  type CheckpointMeta,
  type Engine,
  type GraphSampleOptions,
  type HostParams,
  type ModelSpec,
  type MlpConfig,
} from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const engine = eagerEngine(o);
const SIGMA_D = 0.5;

function student(numClasses: number): { config: MlpConfig; weights: HostParams } {
  const model = createMlp({ width: 16, blocks: 1, numClasses, guidanceInput: numClasses > 0 });
  return { config: model.config, weights: model.init(new Rng(7)) };
}

function specOf(config: MlpConfig, extra: Partial<ModelSpec> = {}): ModelSpec {
  const conditional = config.numClasses > 0;
  return {
    format: MODEL_FORMAT,
    name: 'toy',
    run: {
      model: config,
      train: defaultTrainConfig('scd', { sigmaD: SIGMA_D, guidanceMax: conditional ? 2 : 0 }),
      data: { name: '8gaussians', conditional },
      step: 0,
    },
    weights: 'model.safetensors',
    ...extra,
  };
}

function checkpointBytes(config: MlpConfig, weights: HostParams): Uint8Array {
  const spec = specOf(config);
  const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, ...spec.run, skipped: 0, rng: new Rng(0).state() };
  return encodeCheckpoint(meta, { params: weights, ema: weights, opt: {} });
}

/**
 * The 1-step consistency sample by hand: x = cos(T) sigma_d z - sin(T) sigma_d F(z, T), T = t_max,
 * z the seed's first normal draws; then data coordinates through the toy source's standardisation.
 */
function oneStepByHand(config: MlpConfig, weights: HostParams, n: number, seed: number, labels?: Int32Array, guidance?: number): Float64Array {
  const model = createMlp(config);
  const z = new Rng(seed).normal(n * 2);
  const T = tMaxFor(SIGMA_D);
  const p = toDevice(o, weights);
  const cond = labels
    ? { labels: o.fromArray(oneHotLabels(labels, config.numClasses), [n, config.numClasses + 1]), guidance: o.fill([n], guidance ?? 1) }
    : {};
  const F = Float64Array.from(o.readSync(model.F(o, p, o.fromArray(z, [n, 2]), o.fill([n], T), cond)) as ArrayLike<number>);
  const source = toy2dSource('8gaussians', { sigmaD: SIGMA_D, conditional: labels !== undefined });
  const x = Float32Array.from(z, (zi, i) => Math.cos(T) * SIGMA_D * zi - Math.sin(T) * SIGMA_D * F[i]);
  return Float64Array.from(source.toData(x));
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scm-pipeline-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generate(): samples in data units', () => {
  it('a 1-step sample of an unconditional model is the consistency function at t_max, in data coordinates', async () => {
    const { config, weights } = student(0);
    const pipe = await loadPipeline(encodeModelWeights(specOf(config), weights), { engine });
    expect(pipe.kind).toBe('points');
    expect(pipe.sampleShape).toEqual([2]);
    expect(pipe.classes).toEqual([]);
    expect(pipe.guidanceRange).toBeUndefined();
    const out = await pipe.generate({ n: 6, steps: 1, seed: 11 });
    expect(out.shape).toEqual([6, 2]);
    expect(maxDiff(out.data, oneStepByHand(config, weights, 6, 11))).toBeLessThan(1e-5);
  });

  it('a conditional student: labels and guidance reach the network, one class or one per sample', async () => {
    const { config, weights } = student(8);
    const pipe = await loadPipeline(checkpointBytes(config, weights), { engine });
    expect(pipe.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(pipe.guidanceRange).toEqual([1, 2]);
    const labels = Int32Array.from([3, 0, 7, 7]);
    const out = await pipe.generate({ n: 4, steps: 1, seed: 2, labels: [3, 0, 7, 7], guidance: 1.7 });
    expect(Array.from(out.labels!)).toEqual([3, 0, 7, 7]);
    expect(maxDiff(out.data, oneStepByHand(config, weights, 4, 2, labels, 1.7))).toBeLessThan(1e-5);
    const five = await pipe.generate({ n: 3, steps: 1, seed: 2, labels: 5 });
    expect(maxDiff(five.data, oneStepByHand(config, weights, 3, 2, new Int32Array(3).fill(5), 1))).toBeLessThan(1e-5);
  });

  it("labels 'rows' put class c in row c, drawn labels come from the seed, and a seed repeats its samples", async () => {
    const { config, weights } = student(8);
    const pipe = await loadPipeline(checkpointBytes(config, weights), { engine });
    const rows = await pipe.generate({ labels: 'rows', steps: 1 });
    expect(rows.n).toBe(80);
    expect(Array.from(rows.labels!.subarray(0, 10))).toEqual(new Array(10).fill(0));
    expect(Array.from(rows.labels!.subarray(70))).toEqual(new Array(10).fill(7));
    const a = await pipe.generate({ n: 40, steps: 2, seed: 5 });
    const b = await pipe.generate({ n: 40, steps: 2, seed: 5 });
    const c = await pipe.generate({ n: 40, steps: 2, seed: 6 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(maxDiff(a.data, c.data)).toBeGreaterThan(1e-3);
    expect(new Set(a.labels).size).toBeGreaterThan(3);
  });

  it('refuses bad options by name', async () => {
    const { config, weights } = student(8);
    const pipe = await loadPipeline(checkpointBytes(config, weights), { engine });
    await expect(pipe.generate({ n: 2.5 })).rejects.toThrow(/n must be a positive integer/);
    await expect(pipe.generate({ n: 2, labels: [0, 8] })).rejects.toThrow(/label 8 \(sample 1\) is not a class/);
    await expect(pipe.generate({ n: 2, labels: [0, 1.5] })).rejects.toThrow(/label 1.5/);
    await expect(pipe.generate({ n: 3, labels: [0, 1] })).rejects.toThrow(/2 labels for n = 3/);
    await expect(pipe.generate({ n: 12, labels: 'rows' })).rejects.toThrow(/multiple of the 8 classes/);
    await expect(pipe.generate({ n: 2, guidance: 2.5 })).rejects.toThrow(/guidance 2.5 is outside \[1, 2\]/);
    await expect(pipe.generate({ n: 2, steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
    await expect(pipe.generate({ n: 2, steps: 1, midT: 0.5 })).rejects.toThrow(/midT is the intermediate time of 2 or more steps/);
    await expect(pipe.generate({ n: 2, steps: 2, midT: 1.6 })).rejects.toThrow(/midT must be in/);
    await expect(pipe.generate({ n: 2, nfe: 8 })).rejects.toThrow(/consistency model: give it steps, not nfe/);
    await expect(pipe.generate({ n: 2, seed: -1 })).rejects.toThrow(/seed must be a non-negative integer/);
    const plain = await loadPipeline(encodeModelWeights(specOf(student(0).config), student(0).weights), { engine });
    await expect(plain.generate({ n: 2, labels: 1 })).rejects.toThrow(/unconditional/);
    await expect(plain.generate({ n: 2, guidance: 1 })).rejects.toThrow(/takes no guidance/);
  });
});

describe('loadPipeline: sources', () => {
  it('a model folder, a run folder, a .safetensors path and a file: URL give the same samples', async () => {
    const { config, weights } = student(0);
    const model = join(dir, 'model');
    mkdirSync(model);
    writeFileSync(join(model, 'config.json'), JSON.stringify(specOf(config)));
    writeFileSync(join(model, 'model.safetensors'), encodeModelWeights(specOf(config), weights));
    const run = join(dir, 'run');
    mkdirSync(run);
    writeFileSync(join(run, 'config.json'), JSON.stringify(specOf(config).run));
    writeFileSync(join(run, 'checkpoint.safetensors'), checkpointBytes(config, weights));
    const expected = await (await loadPipeline(model, { engine })).generate({ n: 5, seed: 1 });
    for (const source of [run, join(model, 'model.safetensors'), pathToFileURL(model), { url: pathToFileURL(`${model}/`) }]) {
      const pipe = await loadPipeline(source, { engine });
      expect(Array.from((await pipe.generate({ n: 5, seed: 1 })).data)).toEqual(Array.from(expected.data));
    }
    expect((await loadPipeline(run, { engine })).name).toBe('run');
  });

  it('refuses what is not a model, naming it', async () => {
    await expect(loadPipeline(join(dir, 'nothing-here'), { engine })).rejects.toThrow(/nothing-here does not exist/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(loadPipeline(empty, { engine })).rejects.toThrow(/holds no model/);
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'config.json'), '{"format": "scm-ts/model@1"');
    await expect(loadPipeline(bad, { engine })).rejects.toThrow(/config.json is not valid JSON/);
    const { config, weights } = student(0);
    writeFileSync(join(bad, 'config.json'), JSON.stringify({ ...specOf(config), defaultGuidance: 1 }));
    await expect(loadPipeline(bad, { engine })).rejects.toThrow(/defaultGuidance 1 is outside the model's guidance range \(none\)/);
    writeFileSync(join(bad, 'config.json'), JSON.stringify(specOf(config)));
    writeFileSync(join(bad, 'model.safetensors'), encodeModelWeights(specOf(config), { ...weights, extra: { shape: [1], data: new Float32Array(1) } }));
    await expect(loadPipeline(bad, { engine })).rejects.toThrow(/tensors the model does not have: extra/);
    await expect(loadPipeline(encodeModelWeights(specOf(config), weights), {} as never)).rejects.toThrow(/pass \{ engine \}/);
    await expect(loadPipeline(new Uint8Array(4), { engine })).rejects.toThrow();
  });

  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    const files = new Map<string, Uint8Array>();
    beforeAll(async () => {
      const { config, weights } = student(0);
      files.set('/m/config.json', new TextEncoder().encode(JSON.stringify(specOf(config))));
      files.set('/m/model.safetensors', encodeModelWeights(specOf(config), weights));
      server = createServer((req, res) => {
        if (req.url?.startsWith('/broken/')) return void res.writeHead(500).end();
        const body = files.get(req.url ?? '');
        if (!body) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': body.length }).end(body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('fetches config and weights with progress that reaches each file\'s Content-Length', async () => {
      const seen = new Map<string, { loaded: number; total?: number }>();
      const pipe = await loadPipeline(`${base}/m`, { engine, onProgress: (p) => seen.set(p.file, p) });
      expect(pipe.name).toBe('toy');
      expect(seen.get('model.safetensors')).toEqual({ file: 'model.safetensors', loaded: files.get('/m/model.safetensors')!.length, total: files.get('/m/model.safetensors')!.length });
      expect(seen.get('config.json')!.loaded).toBe(files.get('/m/config.json')!.length);
      const direct = await loadPipeline(new URL(`${base}/m/model.safetensors`), { engine });
      expect(Array.from((await direct.generate({ n: 3 })).data)).toEqual(Array.from((await pipe.generate({ n: 3 })).data));
    });

    it('a missing model names the URL; a server error is not taken for a missing file', async () => {
      await expect(loadPipeline(`${base}/missing/`, { engine })).rejects.toThrow(new RegExp(`${base}/missing/ holds no model`));
      await expect(loadPipeline(`${base}/broken/`, { engine })).rejects.toThrow(new RegExp(`cannot fetch ${base}/broken/config.json: HTTP 500`));
    });
  });
});

describe('the shipped samplers', () => {
  /** An engine that runs "graphs" by recording which file it got and answering with the eager samples. */
  function graphEngine(opened: string[]): Engine {
    return {
      ...engine,
      openSampler: async (bytes) => {
        opened.push(new TextDecoder().decode(bytes));
        return { sample: async (opts: GraphSampleOptions) => new Float32Array(opts.n * 2).fill(opened.length), release: async () => undefined };
      },
    };
  }

  it('run where the engine runs graphs, at the steps and intermediate time they were exported for; elsewhere the weights run', async () => {
    const { config, weights } = student(0);
    const spec = specOf(config, { samplers: { '1': 's1.onnx', '2': 's2.onnx' } });
    const model = join(dir, 'shipped');
    mkdirSync(model);
    writeFileSync(join(model, 'config.json'), JSON.stringify(spec));
    writeFileSync(join(model, 'model.safetensors'), encodeModelWeights(spec, weights));
    writeFileSync(join(model, 's1.onnx'), 'graph one');
    writeFileSync(join(model, 's2.onnx'), 'graph two');
    const opened: string[] = [];
    const pipe = await loadPipeline(model, { engine: graphEngine(opened) });
    expect(Array.from((await pipe.generate({ n: 2, steps: 2 })).data)).toEqual([1, 1, 1, 1]);
    await pipe.generate({ n: 2, steps: 2, seed: 4 });
    await pipe.generate({ n: 2, steps: 1 });
    expect(opened).toEqual(['graph two', 'graph one']);
    const moved = await pipe.generate({ n: 2, steps: 2, midT: 0.3 });
    const eager = await (await loadPipeline(model, { engine })).generate({ n: 2, steps: 2, midT: 0.3 });
    expect(Array.from(moved.data)).toEqual(Array.from(eager.data));
    await pipe.generate({ n: 2, steps: 3 });
    expect(opened).toHaveLength(2);
  });
});

describe('pixels', () => {
  /** Two 2x3 RGB images with known values in [0, 1]. */
  const data = Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => (i % 7) / 6);

  it('toRGBA lays samples out in a grid with 1-pixel grey gaps, and one sample alone', () => {
    const g = new Generation('image', data, [2, 2, 3, 3], undefined, 2);
    const grid = g.toRGBA();
    expect([grid.width, grid.height]).toEqual([7, 2]);
    for (let s = 0; s < 2; s++) {
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 3; x++) {
          const at = (y * 7 + s * 4 + x) * 4;
          for (let k = 0; k < 3; k++) expect(grid.data[at + k]).toBe(Math.round(data[((s * 2 + y) * 3 + x) * 3 + k] * 255));
          expect(grid.data[at + 3]).toBe(255);
        }
      }
      expect(Array.from(grid.data.subarray((0 * 7 + 3) * 4, (0 * 7 + 3) * 4 + 4))).toEqual([128, 128, 128, 128]);
    }
    const second = g.toRGBA(1);
    expect([second.width, second.height]).toEqual([3, 2]);
    expect(second.data[0]).toBe(Math.round(data[18] * 255));
    expect(g.toRGBA(undefined, { cols: 1 }).height).toBe(5);
    expect(() => g.toRGBA(2)).toThrow(/index must be an integer in 0..1/);
    expect(() => new Generation('points', new Float32Array(4), [2, 2], undefined, 2).toRGBA()).toThrow(/points, not images/);
  });

  it('a grayscale sample is grey in RGB', () => {
    const g = new Generation('image', Float32Array.of(0, 0.5, 1, 0.25), [1, 2, 2, 1], undefined, 1);
    expect(Array.from(g.toRGBA().data.subarray(4, 8))).toEqual([128, 128, 128, 255]);
  });

  it('toPng / encodePng write PNGs that an independent decoder reads back, compressed or stored', async () => {
    const g = new Generation('image', data, [2, 2, 3, 3], undefined, 2);
    const rgba = g.toRGBA();
    for (const bytes of [await g.toPng(), await encodePng(rgba.data, rgba.width, rgba.height, { compress: false })]) {
      const png = PNG.sync.read(Buffer.from(bytes));
      expect([png.width, png.height]).toEqual([7, 2]);
      expect(Array.from(png.data)).toEqual(Array.from(rgba.data));
    }
    const big = new Uint8Array(200 * 100 * 4).map((_, i) => (i * 31) % 256);
    const stored = await encodePng(big, 200, 100, { compress: false });
    // 80 kB of pixels need two stored blocks: the decoder (and zlib's checksum) read across them.
    expect(Array.from(PNG.sync.read(Buffer.from(stored)).data)).toEqual(Array.from(big));
    const idat = Buffer.from(stored).indexOf('IDAT');
    expect(inflateSync(Buffer.from(stored.subarray(idat + 4, stored.length - 12 - 4))).length).toBe(100 * (200 * 4 + 1));
    await expect(encodePng(big, 10, 10)).rejects.toThrow(/expected 400 bytes/);
  });
});
