/** The repository's published packages, read from the workspace folders. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly [field: string]: unknown;
}

export interface WorkspacePackage {
  /** Relative to the repository root, e.g. packages/core. */
  readonly folder: string;
  readonly manifest: Manifest;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Every workspace package that npm publish would ship (not private). */
export function publishedPackages(): WorkspacePackage[] {
  return ['packages', 'apps']
    .flatMap((parent) => readdirSync(join(ROOT, parent)).map((name) => `${parent}/${name}`))
    .map((folder) => ({ folder, manifest: readJson<Manifest>(join(ROOT, folder, 'package.json')) }))
    .filter((p) => !p.manifest.private);
}

export const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'] as const;

export function dependencies(m: Manifest, field: (typeof DEPENDENCY_FIELDS)[number]): Record<string, string> {
  return (m[field] as Record<string, string> | undefined) ?? {};
}

/**
 * npm pack of every published package into `destination` (prepack guards run); one npm call for all,
 * since npm's start-up is the slow part. Returns each package's tarball path.
 */
export function packAll(destination: string): Map<string, string> {
  const args = ['pack', '--json', '--pack-destination', destination, ...publishedPackages().flatMap((p) => ['-w', p.manifest.name])];
  const packed = JSON.parse(execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ name: string; filename: string }>;
  return new Map(packed.map((t) => [t.name, join(destination, t.filename)]));
}
