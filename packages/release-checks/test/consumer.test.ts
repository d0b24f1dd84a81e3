/**
 * What a user gets from the registry: every published package goes to a Verdaccio on 127.0.0.1, and a
 * project outside the monorepo installs from it as the README says. It runs the README's pretrained
 * example (@scm/core + @scm/tfjs + @scm/model-mnist: 100 sevens to a PNG, read back by an independent
 * classifier), the same code on @scm/onnx + onnxruntime-node after the README's engine swap, and the
 * training example (a few steps instead of hundreds) before and after its swap.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngDigits } from './read-digits.js';
import { startRegistry, type LocalRegistry } from './registry.js';
import { packAll, publishedPackages, ROOT } from './workspace.js';

const TIMEOUT = 600_000;
const dir = mkdtempSync(join(tmpdir(), 'scm-registry-'));
const consumer = join(dir, 'consumer');
let registry: LocalRegistry | undefined;

/**
 * npm with only the test's npmrc (never the user's), the shared cache, and no audit or fund noise.
 * One retry: the local registry proxies the public one, and a single failed upstream fetch is
 * the network's, not the packages'.
 */
function npm(args: string[], cwd: string, npmrc: string): string {
  const run = () =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_userconfig: npmrc, npm_config_globalconfig: join(dir, 'no-globalconfig') },
      timeout: TIMEOUT,
    });
  try {
    return run();
  } catch (first) {
    if (args[0] !== 'install') throw first;
    return run();
  }
}

/** The README's library examples (pretrained: the first, training: the last) and their engine swaps, as the README shows them. */
function readmeExamples(): Array<{ code: string; swap: Array<[string, string]> }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The library'), readme.indexOf('\n## ', readme.indexOf('## The library') + 1));
  const codes = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const diffs = [...section.matchAll(/```diff\n([\s\S]*?)```/g)].map((m) => m[1].trim().split('\n'));
  expect(diffs).toHaveLength(2);
  return [codes[0], codes[codes.length - 1]].map((code, i) => {
    const removed = diffs[i].filter((l) => l.startsWith('-')).map((l) => l.slice(1));
    const added = diffs[i].filter((l) => l.startsWith('+')).map((l) => l.slice(1));
    expect(removed.length).toBe(added.length);
    return { code, swap: removed.map((line, j): [string, string] => [line, added[j]]) };
  });
}

function swapped({ code, swap }: { code: string; swap: Array<[string, string]> }): string {
  for (const [from, to] of swap) {
    expect(code).toContain(from);
    code = code.replace(from, to);
  }
  return code;
}

/** The example with a few training steps, printing what it sampled. */
function runnable(code: string): string {
  const lean = code.replace(/steps: (\d{3,})/g, 'steps: 4').replace(/n: 1000/, 'n: 64');
  expect(lean).not.toBe(code);
  return `${lean}\nconsole.log(JSON.stringify({ points: points.length / 2, finite: points.every(Number.isFinite) }));\n`;
}

function runFile(file: string, source: string): string {
  writeFileSync(join(consumer, file), source);
  return execFileSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8', timeout: TIMEOUT });
}

const run = (file: string, source: string): unknown => JSON.parse(runFile(file, source).trim().split('\n').at(-1)!);

/** Runs the pretrained example as written: it prints what it made and writes sevens.png, which the classifier reads. */
async function sevens(file: string, code: string): Promise<{ printed: string; readAsSeven: number }> {
  rmSync(join(consumer, 'sevens.png'), { force: true });
  const printed = runFile(file, code).trim();
  const read = await readPngDigits(join(consumer, 'sevens.png'), 100);
  const readAsSeven = read.filter((c) => c === 7).length / read.length;
  process.stdout.write(`${file}: the classifier reads ${(100 * readAsSeven).toFixed(0)}% of the 100 sevens as sevens\n`);
  return { printed, readAsSeven };
}

beforeAll(async () => {
  const upstream = execFileSync('npm', ['config', 'get', 'registry'], { cwd: ROOT, encoding: 'utf8' }).trim();
  registry = await startRegistry(dir, upstream);
  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs);
  for (const file of packAll(tarballs).values()) npm(['publish', file], dir, registry.npmrc);
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'scm-consumer', private: true, type: 'module' }));
  // As this repository does: onnxruntime-node's CPU build, no CUDA download.
  writeFileSync(join(consumer, '.npmrc'), 'onnxruntime-node-install=skip\n');
}, TIMEOUT);

afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a project outside the monorepo, installing from the registry', () => {
  const [pretrained, training] = readmeExamples();
  let tfjsPrinted = '';

  it('@scm/core + @scm/tfjs + @scm/model-mnist: the README\'s five lines write 100 sevens that a classifier reads as sevens', async () => {
    npm(['install', '@scm/core', '@scm/tfjs', '@scm/model-mnist'], consumer, registry!.npmrc);
    const installed = JSON.parse(readFileSync(join(consumer, 'node_modules', '@scm', 'tfjs', 'package.json'), 'utf8'));
    expect(installed.version).toBe(publishedPackages().find((p) => p.manifest.name === '@scm/tfjs')!.manifest.version);
    const { printed, readAsSeven } = await sevens('pretrained-tfjs.mjs', pretrained.code);
    expect(printed).toBe('100 images of class "7" [100,28,28,1] in 2 steps: sevens.png');
    expect(readAsSeven).toBeGreaterThanOrEqual(0.95);
    tfjsPrinted = printed;
  }, TIMEOUT);

  it('@scm/onnx + onnxruntime-node: the same code after the README\'s engine swap, through the shipped ONNX samplers', async () => {
    npm(['install', '@scm/onnx', 'onnxruntime-node'], consumer, registry!.npmrc);
    const { printed, readAsSeven } = await sevens('pretrained-onnx.mjs', swapped(pretrained));
    expect(printed).toBe(tfjsPrinted);
    expect(readAsSeven).toBeGreaterThanOrEqual(0.95);
  }, TIMEOUT);

  it('@scm/core + @scm/tfjs: the README\'s training example trains a teacher and an sCD student and samples in 2 steps', () => {
    expect(run('train-tfjs.mjs', runnable(training.code))).toEqual({ points: 64, finite: true });
  }, TIMEOUT);

  it('@scm/onnx + onnxruntime-node: the same driver code after the README\'s swap', () => {
    npm(['uninstall', '@scm/tfjs'], consumer, registry!.npmrc);
    expect(run('train-onnx.mjs', runnable(swapped(training)))).toEqual({ points: 64, finite: true });
  }, TIMEOUT);
});
