/** The build every library package shares: ESM with types, its own dependencies left external. */
import { defineConfig, type Options } from 'tsup';

/** `dtsBanner`: text put before the declarations, e.g. a reference the bundler would drop. */
export function libraryConfig(entry: Record<string, string>, dtsBanner?: string): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm'],
    dts: dtsBanner === undefined ? true : { banner: dtsBanner },
    clean: true,
    sourcemap: true,
    target: 'es2022',
    external: [/^@tensorflow\//, /^@scm\//],
  };
  return defineConfig(options);
}
