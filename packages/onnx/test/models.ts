/** Small MLPs with random non-zero weights everywhere (the default init zeroes the output layer). */
import { createMlp, normalInit, Rng, type HostParams, type MlpConfig, type Model } from '@scm/core';

export const SIGMA_D = 0.5;

export function smallMlp(overrides: Partial<MlpConfig> = {}, seed = 1): { model: Model; params: HostParams } {
  const model = createMlp({ width: 32, blocks: 2, embChannels: 16, normGroups: 4, logvarChannels: 16, ...overrides });
  const rng = new Rng(seed);
  const init = model.init(rng);
  const params = Object.fromEntries(
    Object.entries(init).map(([name, t]) => [name, normalInit(rng, t.shape, t.shape[0], name.endsWith('.bias') ? 0.1 : 1)]),
  );
  return { model, params };
}
