#!/usr/bin/env node
// The `scm` bin is this committed file, not dist/cli.js: npm links a workspace's bin at install
// time, before anything is built, and skips a target that does not exist yet (`npx scm` would then
// ask the registry for a package named "scm").
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('scm: the command line is not built yet: run `npm run build` at the repository root\n');
  process.exitCode = 1;
} else {
  const { runCli } = await import(cli.href);
  process.exitCode = await runCli(process.argv.slice(2));
}
