/** Test settings every package shares. CI runs the packages one after another on 2 cores, and the
 * numeric suites (conformance, MNIST parsing, browser runs) can take seconds per test under load. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
