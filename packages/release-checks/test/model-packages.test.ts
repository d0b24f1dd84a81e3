/**
 * The model packages are built from models/: each one's `model` script (scm package) rerun into a
 * fresh folder must give exactly the files the package holds, and its entry must say where they are.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedPackages, ROOT } from './workspace.js';

const models = publishedPackages().filter((p) => p.manifest.name.startsWith('@scm/model-'));
const scratch = mkdtempSync(join(tmpdir(), 'scm-model-packages-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The `model` script's scm arguments with --out pointed at `out`. */
function packageArgs(script: string, out: string): string[] {
  const args = script.trim().split(/\s+/);
  expect(args.slice(0, 2)).toEqual(['scm', 'package']);
  const at = args.indexOf('--out');
  expect(args[at + 1]).toBe('model');
  return [...args.slice(1, at), '--out', out, ...args.slice(at + 2)];
}

describe('model packages', () => {
  it('there are three, MNIST, Fashion-MNIST and emoji', () => {
    expect(models.map((m) => m.manifest.name).sort()).toEqual(['@scm/model-emoji', '@scm/model-fashion-mnist', '@scm/model-mnist']);
  });

  it.each(models)('$manifest.name: its model folder is what scm package writes from models/ today', ({ folder, manifest }) => {
    const out = join(scratch, manifest.name.replace('@scm/', ''));
    const script = (manifest.scripts as Record<string, string>).model;
    execFileSync(process.execPath, [join(ROOT, 'apps/trainer/bin/scm.js'), ...packageArgs(script, out)], { cwd: join(ROOT, folder), stdio: 'pipe', timeout: 120_000 });
    const shipped = join(ROOT, folder, 'model');
    const names = readdirSync(shipped).sort();
    expect(readdirSync(out).sort()).toEqual(names);
    const differing = names.filter((n) => !readFileSync(join(out, n)).equals(readFileSync(join(shipped, n))));
    expect(differing, `rebuild with: npm run model -w ${manifest.name}`).toEqual([]);
  });

  it.each(models)('$manifest.name: its entry gives the folder as a URL (and, in Node, a path) holding the model', async ({ folder, manifest }) => {
    const node = (await import(pathToFileURL(join(ROOT, folder, 'node.js')).href)) as { default: { name: string; url: URL; path: string }; modelPath: string };
    const browser = (await import(pathToFileURL(join(ROOT, folder, 'index.js')).href)) as { default: { name: string; url: URL }; modelUrl: URL };
    expect(node.default.path).toBe(join(ROOT, folder, 'model'));
    expect(node.modelPath).toBe(node.default.path);
    expect(browser.default.url.href).toBe(`${pathToFileURL(join(ROOT, folder, 'model')).href}/`);
    const spec = JSON.parse(readFileSync(join(node.modelPath, 'config.json'), 'utf8'));
    expect(spec.name).toBe(browser.default.name);
    expect(`@scm/model-${spec.name}`).toBe(manifest.name);
    expect((manifest.files as string[]).sort()).toEqual(['index.d.ts', 'index.js', 'model', 'node.d.ts', 'node.js']);
  });
});
