/**
 * What a user gets from the registry: every published package goes to a Verdaccio on 127.0.0.1, a
 * project outside the monorepo installs @scm/core + @scm/tfjs from it and runs the README's library
 * example (a few steps instead of hundreds), then swaps to @scm/onnx + onnxruntime-node with the
 * README's one-import, one-line change and runs the same driver code.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** The README's library example and its backend swap, as the README shows them. */
function readmeExample(): { code: string; swap: Array<[string, string]> } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
  const diff = /```diff\n([\s\S]*?)```/.exec(section)![1].trim().split('\n');
  const removed = diff.filter((l) => l.startsWith('-')).map((l) => l.slice(1));
  const added = diff.filter((l) => l.startsWith('+')).map((l) => l.slice(1));
  expect(removed.length).toBe(added.length);
  return { code, swap: removed.map((line, i) => [line, added[i]]) };
}

/** The example with a few training steps, printing what it sampled. */
function runnable(code: string): string {
  const lean = code.replace(/steps: (\d{3,})/g, 'steps: 4').replace(/n: 1000/, 'n: 64');
  expect(lean).not.toBe(code);
  return `${lean}\nconsole.log(JSON.stringify({ points: points.length / 2, finite: points.every(Number.isFinite) }));\n`;
}

function run(file: string, source: string): unknown {
  writeFileSync(join(consumer, file), source);
  const out = execFileSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8', timeout: TIMEOUT });
  return JSON.parse(out.trim().split('\n').at(-1)!);
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
  const example = readmeExample();

  it('@scm/core + @scm/tfjs: the README example trains a teacher and an sCD student and samples in 2 steps', () => {
    npm(['install', '@scm/core', '@scm/tfjs'], consumer, registry!.npmrc);
    const installed = JSON.parse(readFileSync(join(consumer, 'node_modules', '@scm', 'tfjs', 'package.json'), 'utf8'));
    expect(installed.version).toBe(publishedPackages().find((p) => p.manifest.name === '@scm/tfjs')!.manifest.version);
    expect(run('tfjs.mjs', runnable(example.code))).toEqual({ points: 64, finite: true });
  }, TIMEOUT);

  it('@scm/onnx + onnxruntime-node: the same driver code after the README\'s swap', () => {
    npm(['uninstall', '@scm/tfjs'], consumer, registry!.npmrc);
    npm(['install', '@scm/onnx', 'onnxruntime-node'], consumer, registry!.npmrc);
    let code = example.code;
    for (const [from, to] of example.swap) {
      expect(code).toContain(from);
      code = code.replace(from, to);
    }
    expect(run('onnx.mjs', runnable(code))).toEqual({ points: 64, finite: true });
  }, TIMEOUT);
});
