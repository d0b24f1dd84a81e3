/**
 * Stryker configuration for one target of targets.json, chosen by MUTATION_TARGET (run.ts loops over
 * them). Concurrency 1 and incremental mode: the machine is shared, and a rerun after adding tests
 * only retests the mutants whose code or covering tests changed.
 */
import config from './targets.json' with { type: 'json' };

const name = process.env.MUTATION_TARGET;
const target = config.targets.find((t) => t.name === name);
if (!target) {
  throw new Error(`MUTATION_TARGET must be one of ${config.targets.map((t) => t.name).join(', ')}; got ${name}`);
}
const work = `bench/results/tmp/mutation/${target.name.replaceAll('/', '-')}`;

export default {
  testRunner: 'vitest',
  // Tests import the sources directly; "related" lookup does not see through the sandbox, so it is off.
  vitest: { configFile: `${target.dir}/vitest.config.ts`, dir: target.dir, related: false },
  mutate: [target.mutate],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  incremental: true,
  incrementalFile: `${work}.incremental.json`,
  reporters: ['json', 'progress-append-only'],
  jsonReporter: { fileName: `${work}.report.json` },
  // The sandbox needs only the packages and the shared vitest settings, not the apps or the models.
  // Leading slashes: a bare 'models' would also drop packages/core/src/models (and with it every test file importing core's index).
  ignorePatterns: ['/apps', '/models', '/bench', '/.changeset', '**/dist', '**/.turbo'],
  timeoutMS: 20000,
  tempDirName: 'bench/results/tmp/stryker',
  cleanTempDir: 'always',
};
