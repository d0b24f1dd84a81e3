/**
 * Every TypeScript example in the READMEs (the root's and each package's) type-checks as a module of
 * its own against the built packages, so an API change that breaks one fails here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './workspace.js';

// Inside this package, so the examples resolve @scm/* as an installed consumer would.
const OUT = join(dirname(fileURLToPath(import.meta.url)), 'readme-examples');

function readmes(): string[] {
  const nested = ['packages', 'apps'].flatMap((parent) => readdirSync(join(ROOT, parent)).map((name) => `${parent}/${name}/README.md`));
  return ['README.md', ...nested].filter((path) => existsSync(join(ROOT, path)));
}

const examples = readmes().flatMap((path) =>
  [...readFileSync(join(ROOT, path), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => ({ name: `${path.replace(/\/?README\.md$/, '').replace(/\//g, '-') || 'root'}-${i + 1}`, path, code: m[1] })),
);

describe('README examples', () => {
  it('there are examples in the root README and in the libraries\' READMEs', () => {
    const where = new Set(examples.map((e) => e.path));
    for (const path of ['README.md', 'packages/core/README.md', 'packages/tfjs/README.md', 'packages/onnx/README.md']) expect(where).toContain(path);
  });

  // skipLibCheck false: a consumer that checks libraries must not trip on our declarations or those they pull in.
  it('type-check (module nodenext, strict, libraries checked)', () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const e of examples) writeFileSync(join(OUT, `${e.name}.mts`), `// ${e.path}\n${e.code}\nexport {};\n`);
    writeFileSync(
      join(OUT, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        include: ['*.mts'],
      }),
    );
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', OUT], { encoding: 'utf8', timeout: 180_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
