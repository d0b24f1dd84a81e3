/**
 * The data packages are optional peer dependencies (tens of MB each): a user installs the ones
 * they load, and loading one that is missing says exactly what to install.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/**
 * The folder of the installed package `npm`, resolved from @scm/datasets.
 *
 * @param size - Its installed size ("41 MB"), shown in the hint since it is why the package is optional.
 * @throws Error naming the package, its size and the install line when it is not installed.
 */
export function optionalPeerRoot(npm: string, size: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${npm}/package.json`));
  } catch {
    throw new Error(`the "${npm}" package (${size}) is not installed; it is an optional peer dependency of @scm/datasets: npm install ${npm}`);
  }
}
