/** Test settings every package shares. CI runs the packages one after another on 2 cores, and the
 * numeric suites (conformance, MNIST parsing, browser runs) can take seconds per test under load. */
import { defineConfig } from 'vitest/config';

/**
 * SCM_TEST_INCLUDE, a comma-separated list of globs, narrows the test files: the mutation runs
 * (bench/mutation) use it for the targets whose full suites take too long per mutant.
 */
const include = process.env.SCM_TEST_INCLUDE?.split(',') ?? ['test/**/*.test.ts'];

export default defineConfig({
  test: {
    include,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
