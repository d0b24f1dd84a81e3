// prepack of every published package: refuses to pack a package whose entry points are not built
// (an unbuilt package would pack as package.json and a README, without an error) or that lacks its
// LICENSE or README. Runs in the package's folder, as npm runs lifecycle scripts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every file path a manifest promises: main, types, bin and each leaf of the exports map. */
export function promisedFiles(manifest) {
  const paths = [];
  const walk = (v) => {
    if (typeof v === 'string') paths.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk([manifest.main, manifest.types, manifest.bin, manifest.exports]);
  return [...new Set(paths.filter((p) => p !== undefined))];
}

/** What is missing from a package folder for it to be packed, as one line, or undefined. */
export function packProblem(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const missing = [...promisedFiles(manifest), 'LICENSE', 'README.md'].filter((p) => !existsSync(join(dir, p)));
  if (missing.length === 0) return undefined;
  const unbuilt = missing.some((p) => p.replace(/^\.\//, '').startsWith('dist/'));
  return `${manifest.name}: refusing to pack, missing ${missing.join(', ')}${unbuilt ? ' (build it first: npm run build at the repository root)' : ''}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problem = packProblem(process.cwd());
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exitCode = 1;
  }
}
