import { describe, expect, it } from 'vitest';
import { classifyAdapter } from '../src/webgpu-probe.js';

describe('classifyAdapter', () => {
  it.each([
    // Chromium's SwiftShader, as headless Chromium reports it.
    [{ vendor: 'google', architecture: 'swiftshader' }, 'google swiftshader'],
    // Mesa's software Vulkan drivers, as Linux and VM users get them.
    [{ vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, 'mesa llvmpipe (LLVM 15.0.6, 256 bits)'],
    [{ vendor: 'mesa', description: 'lavapipe' }, 'mesa lavapipe'],
    [{ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }, 'microsoft Microsoft Basic Render Driver'],
  ])('calls %o software by its name', (info, description) => {
    expect(classifyAdapter(info)).toEqual({ kind: 'software', description });
  });

  it('trusts isFallbackAdapter, on the info or on the adapter, whatever the name', () => {
    expect(classifyAdapter({ vendor: 'acme', isFallbackAdapter: true }).kind).toBe('software');
    expect(classifyAdapter({ vendor: 'acme' }, true).kind).toBe('software');
  });

  it('calls GPUs hardware, including ones that do not name themselves', () => {
    expect(classifyAdapter({ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false })).toEqual({ kind: 'hardware', description: 'nvidia hopper' });
    expect(classifyAdapter({ vendor: 'apple', architecture: 'metal-3' }).kind).toBe('hardware');
    // "warp" inside another word is no WARP adapter.
    expect(classifyAdapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Warpath' }).kind).toBe('hardware');
    expect(classifyAdapter({})).toEqual({ kind: 'hardware', description: 'an adapter that does not name itself' });
  });
});
