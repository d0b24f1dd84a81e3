/** What each published package.json promises npm and its users. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPENDENCY_FIELDS, dependencies, publishedPackages, readJson, ROOT, type Manifest } from './workspace.js';

const published = publishedPackages();
const versions = new Map(published.map((p) => [p.manifest.name, p.manifest.version]));
/** Packages that only execute core's primitives (or feed it data): an app must have exactly one core. */
const ADAPTERS = ['@scm/tfjs', '@scm/webgpu', '@scm/tfjs-node-gpu', '@scm/onnx', '@scm/datasets'];

/** Whether `version` satisfies a caret or a ">=a <b" range: the two forms our manifests use. */
function satisfies(version: string, range: string): boolean {
  const parse = (v: string) => v.split('.').map(Number);
  const cmp = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  const v = parse(version);
  const between = /^>=(\S+) <(\S+)$/.exec(range);
  if (between) return cmp(v, parse(between[1])) >= 0 && cmp(v, parse(between[2])) < 0;
  const caret = /^\^(\S+)$/.exec(range);
  if (!caret) throw new Error(`unexpected range ${range}`);
  const low = parse(caret[1]);
  // semver's caret keeps the leftmost non-zero part: ^0.1.2 is < 0.2.0, ^0.0.3 is < 0.0.4.
  const high = low[0] > 0 ? [low[0] + 1, 0, 0] : low[1] > 0 ? [0, low[1] + 1, 0] : [0, 0, low[2] + 1];
  return cmp(v, low) >= 0 && cmp(v, high) < 0;
}

interface LockEntry {
  readonly link?: boolean;
  readonly resolved?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/**
 * The names of every package npm installs for the runtime dependencies of the workspace package at
 * `folder`, transitively, as the lockfile resolves them (node_modules folders nearest first).
 */
function runtimeClosure(folder: string): string[] {
  const lock = readJson<{ packages: Record<string, LockEntry> }>(join(ROOT, 'package-lock.json')).packages;
  const resolve = (from: string, name: string): string => {
    for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
      const at = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (lock[at]) return lock[at].link ? lock[at].resolved! : at;
      if (!base) throw new Error(`the lockfile does not resolve ${name} from ${from}`);
    }
  };
  const seen = new Map<string, string>();
  const visit = (at: string) => {
    const entry = lock[at];
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const dep = resolve(at, name);
      if (!seen.has(dep)) {
        seen.set(dep, name);
        visit(dep);
      }
    }
  };
  visit(folder);
  return [...new Set(seen.values())].sort();
}

describe('published manifests', () => {
  it('the published set is the libraries, the command line and the model packages', () => {
    expect(published.map((p) => p.manifest.name).sort()).toEqual([
      '@scm/cli',
      '@scm/core',
      '@scm/datasets',
      '@scm/model-emoji',
      '@scm/model-fashion-mnist',
      '@scm/model-mnist',
      '@scm/onnx',
      '@scm/tfjs',
      '@scm/tfjs-node-gpu',
      '@scm/webgpu',
    ]);
  });

  it.each(published)('$manifest.name: our packages by a real semver range the workspace version satisfies', ({ manifest }) => {
    for (const field of DEPENDENCY_FIELDS) {
      for (const [name, range] of Object.entries(dependencies(manifest, field))) {
        expect(range, `${field}.${name}`).not.toMatch(/^\*$|^workspace:|^latest$/);
        if (versions.has(name)) expect(satisfies(versions.get(name)!, range), `${field}.${name} ${range}`).toBe(true);
      }
    }
  });

  it.each(published.filter((p) => ADAPTERS.includes(p.manifest.name)))('$manifest.name: @scm/core is a peer, not a dependency', ({ manifest }) => {
    expect(dependencies(manifest, 'dependencies')).not.toHaveProperty('@scm/core');
    expect(dependencies(manifest, 'peerDependencies')).toHaveProperty('@scm/core');
  });

  it.each(published)('$manifest.name: no type packages, build or CLI tooling among runtime dependencies', ({ manifest }) => {
    const runtime = Object.keys({ ...dependencies(manifest, 'dependencies'), ...dependencies(manifest, 'optionalDependencies') });
    // protobufjs 6 ships its command-line tools (about 19 MB) with the runtime; onnx-proto depends on it.
    // The one type package allowed: tfjs-core's declarations name the global Long that @types/long
    // declares, so @scm/tfjs's consumers type-check without skipLibCheck only with it installed.
    const allowed = manifest.name === '@scm/tfjs' ? ['@types/long'] : [];
    const tooling = runtime.filter((n) => /^@types\/|^typescript$|^tsup$|^vitest$|^@changesets\/|^protobufjs(-cli)?$|^onnx-proto$/.test(n));
    expect(tooling.filter((n) => !allowed.includes(n))).toEqual([]);
  });

  it('@scm/onnx: nothing it installs is a protobuf library or a type package (it has its own ONNX codec, src/proto/)', () => {
    const closure = runtimeClosure('packages/onnx');
    expect(closure).toContain('onnxruntime-common');
    expect(closure.filter((n) => /^@types\/|^protobufjs$|^@protobufjs\/|^onnx-proto$|^long$/.test(n))).toEqual([]);
  });

  it('@scm/datasets: the data packages (MNIST 41 and 149 MB, emoji 82 and 70 MB) are optional peers, loaded on demand', () => {
    const m = published.find((p) => p.manifest.name === '@scm/datasets')!.manifest;
    for (const name of ['mnist', 'fashion-mnist', 'emoji-datasource-google', 'emoji-datasource-twitter']) {
      expect(dependencies(m, 'dependencies')).not.toHaveProperty(name);
      expect(dependencies(m, 'peerDependencies')).toHaveProperty(name);
      expect((m.peerDependenciesMeta as Record<string, { optional?: boolean }>)[name]).toEqual({ optional: true });
    }
  });

  it('onnxruntime-node is a runtime dependency only of the command line, which runs it', () => {
    const users = published.filter((p) => 'onnxruntime-node' in { ...dependencies(p.manifest, 'dependencies'), ...dependencies(p.manifest, 'optionalDependencies') });
    expect(users.map((p) => p.manifest.name)).toEqual(['@scm/cli']);
  });

  it.each(published)('$manifest.name: the metadata npm shows', ({ folder, manifest }) => {
    const m = manifest as Manifest & Record<string, any>;
    expect(m.license).toBe('MIT');
    expect(m.description).toMatch(/\w{3}/);
    expect(m.keywords.length).toBeGreaterThan(2);
    expect(m.repository).toMatchObject({ type: 'git', directory: folder });
    expect(m.repository.url).toBe(readJson<Manifest & Record<string, any>>(join(ROOT, 'packages/core/package.json')).repository.url);
    expect(m.homepage).toMatch(new RegExp(`/${folder}#readme$`));
    expect(m.bugs.url).toMatch(/\/issues$/);
    expect(m.engines).toEqual({ node: '>=20.19' });
    expect(m.publishConfig).toEqual({ access: 'public' });
    expect(m.scripts.prepack).toBe('node ../../scripts/check-packable.mjs');
  });

  it.each(published)('$manifest.name: its LICENSE is the repository\'s MIT licence', ({ folder }) => {
    const root = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(root).toMatch(/^MIT License\n/);
    expect(readFileSync(join(ROOT, folder, 'LICENSE'), 'utf8')).toBe(root);
  });
});

describe('the release script', () => {
  it('builds the published packages, then lets changesets publish', () => {
    const scripts = readJson<{ scripts: Record<string, string> }>(join(ROOT, 'package.json')).scripts;
    expect(scripts.release).toMatch(/^turbo run build .*&& changeset publish$/);
  });
});
