/** changesets' plan for the pending changesets: every published package moves to one new version. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedPackages, ROOT } from './workspace.js';

describe('changesets release plan', () => {
  it('keeps the published packages on one version, and a core minor never makes an adapter 1.0.0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scm-changeset-'));
    try {
      const out = join(dir, 'plan.json');
      execFileSync('npx', ['changeset', 'status', '--output', out], { cwd: ROOT, stdio: 'ignore' });
      const names = publishedPackages().map((p) => p.manifest.name).sort();
      // Private workspaces (tests, the demo) appear too when their dev dependencies move.
      const releases = (JSON.parse(readFileSync(out, 'utf8')) as { releases: Array<{ name: string; newVersion: string }> }).releases.filter((r) => names.includes(r.name));
      if (releases.length === 0) return; // nothing pending: no plan to check
      expect(releases.map((r) => r.name).sort()).toEqual(names);
      const next = new Set(releases.map((r) => r.newVersion));
      expect(next.size).toBe(1);
      expect([...next][0]).toMatch(/^0\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
