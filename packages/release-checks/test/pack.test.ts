/** What npm pack puts in each tarball, and the prepack guard that refuses an unbuilt package. */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedPackages, ROOT } from './workspace.js';
import { promisedFiles } from '../../../scripts/check-packable.mjs';

const GUARD = join(ROOT, 'scripts', 'check-packable.mjs');
const published = publishedPackages();

interface PackResult {
  readonly name: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

// One npm call for every package: each npm start costs about a second on the shared machine.
const packed: PackResult[] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', ...published.flatMap((p) => ['-w', p.manifest.name])], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
);

describe('npm pack', () => {
  it.each(published)('$manifest.name: LICENSE, README.md and the built entry points, no sources or tests', ({ manifest }) => {
    const files = packed.find((p) => p.name === manifest.name)!.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    expect(files).toContain('package.json');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    const promised = promisedFiles(manifest).map((p: string) => p.replace(/^\.\//, ''));
    expect(files).toEqual(expect.arrayContaining(promised));
    // Libraries ship a build; model packages ship hand-written entries beside their model folder.
    if (manifest.name.startsWith('@scm/model-')) expect(files).toEqual(expect.arrayContaining(['model/config.json', 'model/model.safetensors', 'model/sampler-1step.onnx', 'model/sampler-2step.onnx']));
    else expect(files.some((f) => /^dist\/.*\.js$/.test(f))).toBe(true);
  });

  it.each(published)('$manifest.name: its README and type declarations point at nothing the tarball lacks', ({ folder, manifest }) => {
    const texts = packed.find((p) => p.name === manifest.name)!.files.map((f) => f.path).filter((f) => /(\.md|\.d\.ts)$/.test(f));
    expect(texts).toContain('README.md');
    for (const file of texts) {
      const text = readFileSync(join(ROOT, folder, file), 'utf8');
      // PAPER.md and DESIGN.md are the repository's notes (the first summarises the paper), outside
      // every tarball: shipped text cites the paper itself and says what it means in place.
      expect(text, file).not.toMatch(/(PAPER|DESIGN)\.md/);
      expect(text, file).not.toMatch(/\.\.\/shared\b/);
      expect(text, file).not.toMatch(/\]\(\.\.?\//);
      // Sources and tests are not packed (the test above): naming one sends the reader nowhere.
      expect(text, file).not.toMatch(/`(src|test)\/[^`]*`/);
      if (file.endsWith('.d.ts')) expect(text, file).not.toMatch(/\b[\w-]+(?<!\.d)\.ts\b/);
    }
  });

  it('@scm/cli: its bin and the built command line', () => {
    const files = packed.find((p) => p.name === '@scm/cli')!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/scm.js', 'dist/cli.js']));
  });
});

describe('the prepack guard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scm-prepack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = { name: '@scm/example', version: '0.1.0', main: './dist/index.js', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } };
  const guard = () => spawnSync(process.execPath, [GUARD], { cwd: dir, encoding: 'utf8' });

  it('refuses a package whose entry points are not built, naming them', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
    copyFileSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
    writeFileSync(join(dir, 'README.md'), '# example\n');
    const r = guard();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('@scm/example: refusing to pack, missing ./dist/index.js, ./dist/index.d.ts (build it first: npm run build at the repository root)\n');
  });

  it('refuses a package without its LICENSE', () => {
    rmSync(join(dir, 'LICENSE'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@scm/example', version: '0.1.0' }));
    const r = guard();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('@scm/example: refusing to pack, missing LICENSE\n');
  });

  it('lets a built package through', () => {
    copyFileSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
    expect(guard().status).toBe(0);
  });
});
