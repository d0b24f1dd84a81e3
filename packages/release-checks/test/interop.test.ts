/**
 * How each published package resolves for its consumers: Node ESM and CommonJS (require of the ESM
 * build, Node >= 20.19), TypeScript's node16, nodenext and bundler resolution, checked on the packed
 * tarballs with publint and arethetypeswrong, and by type-checking consumers under test/consumers.
 */
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { afterAll, describe, expect, it } from 'vitest';
import { packAll, publishedPackages } from './workspace.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const published = publishedPackages();
const libraries = published.filter((p) => p.manifest.exports !== undefined);

const packDir = mkdtempSync(join(tmpdir(), 'scm-interop-'));
afterAll(() => rmSync(packDir, { recursive: true, force: true }));
const tarballs = new Map([...packAll(packDir)].map(([name, file]) => [name, new Uint8Array(readFileSync(file))]));

/** The subpaths a library exports besides its package.json: "." and e.g. "./testing". */
function entrypoints(exports: unknown): string[] {
  return Object.keys(exports as Record<string, unknown>).filter((k) => k !== './package.json');
}

describe('publint', () => {
  it.each(published)('$manifest.name: no errors, warnings or suggestions', async ({ manifest }) => {
    const { messages } = await publint({ pkgDir: 'package', pack: { tarball: tarballs.get(manifest.name)!.slice().buffer }, level: 'suggestion', strict: true });
    expect(messages).toEqual([]);
  });
});

describe('arethetypeswrong', () => {
  it.each(libraries)('$manifest.name: types resolve under node16 (ESM), bundler and, for require, to the ESM build', async ({ manifest }) => {
    const result = await checkPackage(createPackageFromTarballData(tarballs.get(manifest.name)!));
    if (!('problems' in result)) throw new Error(`${manifest.name}: no types found`);
    // node10 resolution ignores exports maps; Node 20.19 is the floor. From CommonJS, node16's own
    // resolution types a require of ESM as dynamic-import-only: the one problem we accept there.
    const problems = result.problems.filter((p) => !('resolutionKind' in p) || p.resolutionKind !== 'node10');
    expect(problems.filter((p) => p.kind !== 'CJSResolvesToESM')).toEqual([]);
    expect(Object.keys(result.entrypoints).sort()).toEqual([...entrypoints(manifest.exports), './package.json'].sort());
  });
});

describe('Node consumers', () => {
  it.each(libraries)('$manifest.name: require() and import give the same exports', ({ manifest }) => {
    const specifiers = entrypoints(manifest.exports).map((e) => manifest.name + e.slice(1));
    // From this folder Node resolves the workspace links as an installed consumer would.
    const script = `
      const specifiers = ${JSON.stringify(specifiers)};
      (async () => {
        for (const s of specifiers) {
          // A default export (the model packages') is the same object both ways; require adds __esModule beside it.
          const named = (k) => k !== 'default' && k !== 'module.exports' && k !== '__esModule';
          const required = Object.keys(require(s)).filter(named).sort();
          const imported = Object.keys(await import(s)).filter(named).sort();
          if (required.length === 0 || required.join() !== imported.join()) throw new Error(s + ': require gave ' + required + ', import gave ' + imported);
        }
        console.log('ok');
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['--no-warnings', '-e', script], { cwd: HERE, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr.trim()).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  });
});

describe('TypeScript consumers', () => {
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  it.each(['node16', 'bundler', 'nodenext'])('type-check under moduleResolution %s', (resolution) => {
    const r = spawnSync(process.execPath, [tsc, '-p', join(HERE, 'consumers', `tsconfig.${resolution}.json`)], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
