/** Builds dist/cli.js before the tests, so the spawned-process tests run the current sources. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const tsup = join(dirname(createRequire(import.meta.url).resolve('tsup/package.json')), 'dist', 'cli-default.js');
  execFileSync(process.execPath, [tsup, '--silent'], { cwd: root, stdio: 'inherit' });
}
