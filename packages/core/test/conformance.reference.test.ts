import { describe, it } from 'vitest';
import { conformanceCases, ReferenceOps } from '../src/testing/index.js';

// The float64 reference checked by the suite itself: its values are the ground truth, but its
// derivatives (forward and reverse rules applied to float64) must match finite differences at 1e-6.
describe('conformance: reference-f64', () => {
  for (const c of conformanceCases(new ReferenceOps(), { tolerance: 1e-6 })) it(c.name, () => c.run());
});
