/**
 * changesets' release plan: a change to @scm/core moves every published library and the command
 * line to one new version (a fixed group), and never to 1.0.0, though the adapters take core as a
 * peer dependency (changesets bumps peer dependents a major when their range no longer holds). The
 * model packages depend on nothing and version on their own: their weights change when a model is
 * retrained, not when the code does.
 */
import assembleReleasePlan from '@changesets/assemble-release-plan';
import { read } from '@changesets/config';
import { getPackages } from '@manypkg/get-packages';
import { describe, expect, it } from 'vitest';
import { publishedPackages, ROOT } from './workspace.js';

const published = publishedPackages();
const isModel = (name: string) => name.startsWith('@scm/model-');
const names = published.map((p) => p.manifest.name).filter((n) => !isModel(n)).sort();
const coreVersion = published.find((p) => p.manifest.name === '@scm/core')!.manifest.version;

function bumped(version: string, type: 'patch' | 'minor'): string {
  const [major, minor, patch] = version.split('.').map(Number);
  return type === 'patch' ? `${major}.${minor}.${patch + 1}` : `${major}.${minor + 1}.0`;
}

describe('changesets release plan', () => {
  it.each(['patch', 'minor'] as const)('a %s of @scm/core releases every published package at one version', async (type) => {
    const packages = await getPackages(ROOT);
    const config = await read(ROOT, packages);
    const plan = assembleReleasePlan([{ id: 'core-change', summary: 'a change to core', releases: [{ name: '@scm/core', type }] }], packages, config, undefined);
    const releases = plan.releases.filter((r) => names.includes(r.name));
    expect(releases.map((r) => r.name).sort()).toEqual(names);
    expect([...new Set(releases.map((r) => r.newVersion))]).toEqual([bumped(coreVersion, type)]);
    expect(plan.releases.filter((r) => isModel(r.name) && r.type !== 'none')).toEqual([]);
  });
});
