/**
 * scm package writes a model folder that core's loadPipeline and scm sample read, and scm sample takes
 * a model folder, an installed model package by name and a URL as --run, drawing what the run folder
 * itself draws for the same seed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModelWeights, MODEL_FORMAT } from '@scm/core';
import { decodeNpy } from '@scm/datasets';
import { oneLine, readCheckpoint, scm, tempDir, TINY } from './helpers.js';

const root = tempDir();
const teacher = join(root, 'teacher');
const student = join(root, 'student');
const model = join(root, 'model');

beforeAll(async () => {
  expect((await scm('train-teacher', '--data', '8gaussians', '--conditional', '--steps', '4', '--out', teacher, ...TINY)).code).toBe(0);
  expect((await scm('distill', '--teacher', teacher, '--steps', '2', '--out', student, ...TINY.slice(4))).code).toBe(0);
  writeFileSync(join(student, 'grid-2step.png'), 'a grid');
  const r = await scm('package', '--run', student, '--out', model, '--name', 'toy', '--guidance', '1.5');
  expect(r.stderr).toContain('packaged');
  expect(r.code).toBe(0);
}, 120_000);

describe('scm package', () => {
  it('writes the spec, the EMA weights alone, the 1- and 2-step samplers and the grids', () => {
    expect(readdirSync(model).sort()).toEqual(['config.json', 'grid-2step.png', 'model.safetensors', 'sampler-1step.onnx', 'sampler-2step.onnx']);
    const spec = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    expect(spec).toMatchObject({ format: MODEL_FORMAT, name: 'toy', defaultGuidance: 1.5, weights: 'model.safetensors', samplers: { 1: 'sampler-1step.onnx', 2: 'sampler-2step.onnx' } });
    const { meta, state } = readCheckpoint(student);
    expect(spec.run).toEqual({ model: meta.model, train: meta.train, data: meta.data, step: meta.step });
    const lean = decodeModelWeights(new Uint8Array(readFileSync(join(model, 'model.safetensors'))));
    expect(lean.spec).toEqual(spec);
    expect(Object.keys(lean.weights).sort()).toEqual(Object.keys(state.ema).sort());
    for (const [name, t] of Object.entries(state.ema)) expect(Buffer.from(lean.weights[name].data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    expect(readFileSync(join(model, 'grid-2step.png'), 'utf8')).toBe('a grid');
  });

  it('refuses a teacher, a folder of other files, and options that do not apply', async () => {
    const t = await scm('package', '--run', teacher, '--out', join(root, 'x'));
    expect(t.code).toBe(2);
    expect(oneLine(t.stderr)).toMatch(/diffusion teacher run: package an sCD or sCT student/);
    const foreign = tempDir();
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const f = await scm('package', '--run', student, '--out', foreign);
    expect(oneLine(f.stderr)).toMatch(/holds files this command does not write \(notes.txt\)/);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    expect(oneLine((await scm('package', '--run', student, '--out', model, '--seed', '1')).stderr)).toMatch(/--seed does not apply to package/);
    expect(oneLine((await scm('package', '--run', student, '--out', model, '--guidance', '3')).stderr)).toMatch(/guidance/);
  });
});

describe('scm sample --run a model', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      try {
        const body = readFileSync(join(model, (req.url ?? '').replace(/^\/toy\//, '')));
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/toy/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const samples = async (source: string, out: string, ...extra: string[]) => {
    const r = await scm('sample', '--run', source, '--steps', '2', '--n', '40', '--seed', '3', '--out', join(root, out), ...extra);
    expect(r.stderr).toMatch(/40 samples/);
    expect(r.code).toBe(0);
    return readFileSync(join(root, out), 'utf8');
  };

  it('a model folder and its URL draw what the run folder draws, at the model\'s recommended guidance', async () => {
    const fromRun = await samples(student, 'run.csv', '--guidance', '1.5');
    expect(await samples(model, 'model.csv')).toBe(fromRun);
    expect(await samples(url, 'url.csv')).toBe(fromRun);
    expect(await samples(student, 'plain.csv')).not.toBe(fromRun);
  });

  it('a URL that holds no model, and a name that is no installed package, are one-line errors', async () => {
    const r = await scm('sample', '--run', `${url}missing/`, '--out', join(root, 'm.csv'));
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/missing\/ holds no model/);
    expect(oneLine((await scm('sample', '--run', '@scm/model-nothing', '--out', join(root, 'm.csv'))).stderr)).toMatch(/neither a path nor an installed package \(npm install @scm\/model-nothing\)/);
  });

  it('an installed model package by name: @scm/model-mnist draws digits of the class asked for', async () => {
    const r = await scm('sample', '--run', '@scm/model-mnist', '--steps', '1', '--class', '7', '--n', '3', '--out', join(root, 'sevens.npy'));
    expect(r.code).toBe(0);
    const x = decodeNpy(new Uint8Array(readFileSync(join(root, 'sevens.npy'))));
    expect(x.shape).toEqual([3, 28, 28, 1]);
    expect([...decodeNpy(new Uint8Array(readFileSync(join(root, 'sevens.labels.npy')))).data]).toEqual([7, 7, 7]);
  });
});
