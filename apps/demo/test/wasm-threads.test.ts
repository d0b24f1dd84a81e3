import { describe, expect, it } from 'vitest';
import { wasmThreads } from '../src/wasm-threads.js';

describe('wasmThreads', () => {
  it('is one thread where the page is not cross-origin isolated, and says how to get more', () => {
    const { threads, why } = wasmThreads(false, 16);
    expect(threads).toBe(1);
    expect(why).toMatch(/not cross-origin isolated.*COOP\/COEP/);
  });

  it('is every logical core where the page is isolated', () => {
    expect(wasmThreads(true, 12)).toEqual({ threads: 12, why: 'cross-origin isolated, 12 logical cores' });
    expect(wasmThreads(true, 1)).toEqual({ threads: 1, why: 'cross-origin isolated, 1 logical core' });
  });

  it('is one thread where the browser hides its core count', () => {
    expect(wasmThreads(true, 0).threads).toBe(1);
    expect(wasmThreads(true, Number.NaN).threads).toBe(1);
  });
});
