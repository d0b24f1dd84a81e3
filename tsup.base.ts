/** The build every library package shares: ESM with types, its own dependencies left external. */
import { defineConfig, type Options } from 'tsup';

export function libraryConfig(entry: Record<string, string>): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    external: [/^@tensorflow\//, /^@scm\//],
  };
  return defineConfig(options);
}
