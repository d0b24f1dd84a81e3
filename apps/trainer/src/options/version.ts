/** The package's version, read from its package.json. */
import { existsSync, readFileSync } from 'node:fs';

// The nearest package.json above this module: the same file from the bundle (dist/) and from the
// sources the tests import (src/options/), which sit at different depths.
function packageJsonUrl(): URL {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = new URL('package.json', dir);
    if (existsSync(candidate)) return candidate;
    if (dir.pathname === '/') throw new Error(`no package.json above ${import.meta.url}`);
  }
}

export const VERSION: string = (JSON.parse(readFileSync(packageJsonUrl(), 'utf8')) as { version: string }).version;
