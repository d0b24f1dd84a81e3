/**
 * scm export --triton: config.pbtxt read by protobuf's own text-format parser against the fields of
 * Triton's ModelConfig (test/triton/model_config.proto), the KServe manifest by a YAML parser, and
 * model.onnx run in onnxruntime-node with the tensors a client sends as the config declares them.
 * protoc, Python's protobuf and PyYAML come from Debian (.ci/run installs them); without them this
 * fails rather than skips, as a skipped check would pass a broken config.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@scm/core';
import { oneLine, scm, tempDir, TINY } from './helpers.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'triton');
// A pyenv python3 first on PATH lacks Debian's python3-protobuf.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const root = tempDir();
const teacher = join(root, 'teacher');
const scd = join(root, 'cond-scd');
const repo = join(root, 'repository');

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  for (const argv of [
    ['train-teacher', '--conditional', '--data', '8gaussians', '--steps', '2', '--out', teacher, ...TINY],
    ['distill', '--teacher', teacher, '--steps', '2', '--out', scd, '--batch', '16'],
  ]) {
    const r = await scm(...argv);
    expect(r.code, r.stderr).toBe(0);
  }
});

interface ConfigTensor {
  name: string;
  data_type: string;
  dims: string[];
  reshape?: { shape?: string[] };
}

interface Parsed {
  config: { name: string; backend: string; max_batch_size: number; input: ConfigTensor[]; output: ConfigTensor[]; dynamic_batching?: object };
  manifest: {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: { predictor: { model: { modelFormat: { name: string }; protocolVersion: string; storageUri: string } } };
  };
}

function run(command: string, args: string[], what: string): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`${what} failed (${r.error?.message ?? r.stderr.trim()}): install Debian's protobuf-compiler, python3-protobuf and python3-yaml (see .ci/run)`);
  }
  return r.stdout;
}

function readWithProtobuf(config: string, manifest: string): Parsed {
  const generated = join(root, 'generated');
  mkdirSync(generated, { recursive: true });
  run('protoc', [`--proto_path=${HERE}`, `--python_out=${generated}`, join(HERE, 'model_config.proto')], 'protoc');
  return JSON.parse(run(PYTHON, [join(HERE, 'read_config.py'), generated, config, manifest], `${PYTHON} read_config.py`)) as Parsed;
}

const dims = (t: ConfigTensor) => t.dims.map(Number);
/** The shape the model sees: Triton reshapes a request's [N, ...dims] to [N, ...reshape]. */
const modelDims = (t: ConfigTensor) => (t.reshape ? (t.reshape.shape ?? []).map(Number) : dims(t));
const TRITON_OF_ORT: Record<string, string> = { float32: 'TYPE_FP32', int64: 'TYPE_INT64' };

/** A request of n samples as the config declares its inputs: noise, class labels, guidance in the trained range. */
function feeds(inputs: readonly ConfigTensor[], n: number): Record<string, ort.Tensor> {
  const rng = new Rng(5);
  return Object.fromEntries(
    inputs.map((t) => {
      const shape = [n, ...modelDims(t)];
      const size = shape.reduce((a, b) => a * b, 1);
      if (t.data_type === 'TYPE_INT64') return [t.name, new ort.Tensor('int64', BigInt64Array.from({ length: size }, (_, i) => BigInt(i % 8)), shape)];
      const data = t.name === 'guidance' ? new Float32Array(size).fill(1.5) : rng.normal(size);
      return [t.name, new ort.Tensor('float32', data, shape)];
    }),
  );
}

/** The first k samples of a request. */
function head(f: Record<string, ort.Tensor>, k: number): Record<string, ort.Tensor> {
  return Object.fromEntries(
    Object.entries(f).map(([name, t]) => {
      const row = t.size / t.dims[0];
      return [name, new ort.Tensor(t.type as 'float32', (t.data as Float32Array).slice(0, k * row), [k, ...t.dims.slice(1)])];
    }),
  );
}

describe('scm export --triton', () => {
  const name = 'cond-scd-2step';
  const modelDir = join(repo, name);

  it('writes a repository whose config Triton can parse, matching the model it serves at any batch', async () => {
    const r = await scm('export', '--run', scd, '--steps', '2', '--triton', repo, '--max-batch', '8');
    expect(r.code, r.stderr).toBe(0);
    const plain = join(root, 'plain.onnx');
    expect((await scm('export', '--run', scd, '--steps', '2', '--out', plain)).code).toBe(0);
    const model = readFileSync(join(modelDir, '1', 'model.onnx'));
    expect(model.equals(readFileSync(plain))).toBe(true);

    const { config, manifest } = readWithProtobuf(join(modelDir, 'config.pbtxt'), join(repo, `${name}.kserve.yaml`));
    expect(config).toMatchObject({ name, backend: 'onnxruntime', max_batch_size: 8, dynamic_batching: {} });

    const session = await ort.InferenceSession.create(model);
    try {
      for (const [declared, meta] of [
        [config.input, session.inputMetadata],
        [config.output, session.outputMetadata],
      ] as const) {
        expect(declared.map((t) => t.name)).toEqual(meta.map((m) => m.name));
        for (const [t, m] of declared.map((t, i) => [t, meta[i]] as const)) {
          if (!m.isTensor) throw new Error(`${m.name} is not a tensor`);
          expect(t.data_type).toBe(TRITON_OF_ORT[m.type]);
          // Batch first and free; the rest as declared (a [batch] tensor is sent as [N, 1], reshaped to [N]).
          expect(typeof m.shape[0]).toBe('string');
          expect(modelDims(t)).toEqual(m.shape.slice(1));
          expect(dims(t).length).toBeGreaterThan(0);
        }
      }
      expect(config.input.map((t) => t.name).sort()).toEqual(['guidance', 'label', 'z0', 'z1']);

      const request = feeds(config.input, 5);
      const five = await session.run(request);
      const three = await session.run(head(request, 3));
      const [x] = config.output;
      expect(five[x.name].dims).toEqual([5, ...modelDims(x)]);
      expect(three[x.name].dims).toEqual([3, ...modelDims(x)]);
      const values = five[x.name].data as Float32Array;
      expect(values.every(Number.isFinite)).toBe(true);
      // Each sample depends on its own row alone: the batch is the first axis of every tensor.
      const row = values.length / 5;
      const first = Array.from(values.slice(0, 3 * row));
      Array.from(three[x.name].data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(first[i], 5));
    } finally {
      await session.release();
    }

    expect(manifest).toMatchObject({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      spec: { predictor: { model: { modelFormat: { name: 'triton' }, protocolVersion: 'v2' } } },
    });
    expect(manifest.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(manifest.spec.predictor.model.storageUri).toMatch(/REPLACE/);
    expect(readFileSync(join(repo, `${name}.kserve.yaml`), 'utf8')).toMatch(/# .*replace storageUri/);
  });

  it('refuses to replace a model the repository holds unless --force, and --force replaces it', async () => {
    const again = await scm('export', '--run', scd, '--steps', '2', '--triton', repo);
    expect(again.code).toBe(1);
    expect(oneLine(again.stderr)).toMatch(new RegExp(`${name} already exists in the model repository: pass --force`));
    expect(readFileSync(join(modelDir, 'config.pbtxt'), 'utf8')).toMatch(/max_batch_size: 8\n/);
    const forced = await scm('export', '--run', scd, '--steps', '2', '--triton', repo, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(modelDir, 'config.pbtxt'), 'utf8')).toMatch(/max_batch_size: 64\n/);
  });

  it('--name names the model; 1 step by default names it so too', async () => {
    const r = await scm('export', '--run', scd, '--steps', '1', '--triton', repo, '--name', 'Checker_1');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(repo, 'Checker_1', 'config.pbtxt'), 'utf8')).toMatch(/^name: "Checker_1"\n/);
    expect(readFileSync(join(repo, 'Checker_1.kserve.yaml'), 'utf8')).toMatch(/\n {2}name: checker-1\n/);
  });

  const refusals: Array<[string, () => string[], number, RegExp]> = [
    ['a teacher run', () => ['--run', teacher, '--triton', repo], 2, /diffusion teacher run: only consistency .* which is what --triton serves/],
    ['--out beside --triton', () => ['--run', scd, '--triton', repo, '--out', join(root, 'm.onnx')], 2, /leave out --out/],
    ['--batch', () => ['--run', scd, '--triton', repo, '--batch', '4'], 2, /Triton batches requests itself: cap it with --max-batch/],
    ['--denoiser', () => ['--run', scd, '--triton', repo, '--denoiser'], 2, /--triton serves the sampler/],
    ['a name Triton cannot serve', () => ['--run', scd, '--triton', repo, '--name', '../up'], 2, /--name "\.\.\/up" is not a Triton model name/],
    ['--name without --triton', () => ['--run', scd, '--out', join(root, 'm.onnx'), '--name', 'x'], 2, /--name is for --triton/],
    ['a file as the repository', () => ['--run', scd, '--triton', join(root, 'file')], 2, /exists and is not a folder/],
  ];
  for (const [what, argv, code, message] of refusals) {
    it(`refuses ${what}`, async () => {
      writeFileSync(join(root, 'file'), 'x');
      const r = await scm('export', ...argv());
      expect(r.code).toBe(code);
      expect(oneLine(r.stderr)).toMatch(message);
    });
  }
});
