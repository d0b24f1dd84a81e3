/** A TypeScript entry as a page, for tests that need no build tool of their own. */
import { writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles `entry` for the browser into `outdir` as page.js, with an index.html that loads it.
 * Node built-ins stay external: the packages import them only on their Node paths (@scm/tfjs's
 * wasm set-up, tfjs's platform code), which never run in a page.
 */
export async function bundlePage(entry: string, outdir: string): Promise<void> {
  await build({
    entryPoints: { page: entry },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
    external: [...builtinModules, 'node:*'],
  });
  await writeFile(join(outdir, 'index.html'), '<!doctype html>\n<meta charset="utf-8">\n<script type="module" src="page.js"></script>\n');
}
