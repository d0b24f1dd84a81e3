/** The `scm` bin as npm links it: present right after install, before and after the build. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, oneLine, tempDir } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the scm bin', () => {
  it('runs as `npx scm` in the repository without asking the registry', () => {
    // --no-install: a bin npm did not link fails here instead of being looked up as a package "scm".
    const r = spawnSync('npx', ['--no-install', 'scm', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, npm_config_offline: 'true' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: scm <command>/);
  });

  it('says how to build when dist/ is missing', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    copyFileSync(BIN, join(dir, 'bin', 'scm.js'));
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'scm.js'), '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toBe('scm: the command line is not built yet: run `npm run build` at the repository root');
  });
});
