import { describe, expect, it } from 'vitest';
import { describeAdapter } from '../src/adapter.js';

/** Like GPUSupportedLimits: the limits are getters on the prototype, not own properties. */
class Limits {
  get maxBufferSize() {
    return 268435456;
  }
  get maxComputeWorkgroupSizeX() {
    return 256;
  }
}

describe('describeAdapter', () => {
  it('reads info, every numeric limit (prototype getters included) and the features, sorted', async () => {
    const report = await describeAdapter({
      features: new Set(['timestamp-query', 'shader-f16']),
      limits: new Limits(),
      info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
    });
    expect(report).toEqual({
      available: true,
      info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
      limits: { maxBufferSize: 268435456, maxComputeWorkgroupSizeX: 256 },
      features: ['shader-f16', 'timestamp-query'],
    });
  });

  it('asks older implementations for their info, and keeps only the fields it knows', async () => {
    const report = await describeAdapter({
      features: [],
      limits: {},
      requestAdapterInfo: async () => ({ vendor: 'acme', extra: 1 }) as { vendor: string },
    });
    expect(report.info).toEqual({ vendor: 'acme' });
  });
});
