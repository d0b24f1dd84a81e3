import { describe, expect, it } from 'vitest';
import { DeadlineError, withDeadline } from '../src/deadline.js';

const never = new Promise<never>(() => {});

describe('withDeadline', () => {
  it('fails work that never settles with an error naming the step and the limit', async () => {
    const started = Date.now();
    await expect(withDeadline(never, 50, 'ONNX Runtime session creation')).rejects.toThrow(
      new DeadlineError('ONNX Runtime session creation did not finish within 0.05 s'),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("passes on the work's result or its own error when it settles in time", async () => {
    await expect(withDeadline(Promise.resolve(42), 1000, 'x')).resolves.toBe(42);
    await expect(withDeadline(Promise.reject(new Error('HTTP 404')), 1000, 'x')).rejects.toThrow('HTTP 404');
  });
});
