import { describe, expect, it } from 'vitest';
import type { LogEntry } from '@scm/core';
import { formatDuration, Progress } from '../src/run/progress.js';

const entry = (step: number): LogEntry => ({ step, loss: 0.81234, gradNorm: 1, lr: 1e-3, skipped: 0, stepsPerSec: 12.34, elapsedSec: 10, etaSec: 151 });

function capture(isTTY: boolean) {
  let text = '';
  return { io: { out: () => {}, err: (t: string) => void (text += t), isTTY }, text: () => text };
}

describe('progress', () => {
  it('updates one line in place on a terminal', () => {
    const c = capture(true);
    const p = new Progress(c.io);
    p.step(entry(120), 2000);
    p.step(entry(140), 2000);
    p.done();
    expect(c.text()).toBe('\rstep 120/2000  loss 0.8123  12.3 steps/s  ETA 2m31s\x1b[K\rstep 140/2000  loss 0.8123  12.3 steps/s  ETA 2m31s\x1b[K\n');
  });

  it('prints a plain line per update elsewhere', () => {
    const c = capture(false);
    const p = new Progress(c.io);
    p.step(entry(120), 2000);
    p.step(entry(2000), 2000);
    p.done();
    expect(c.text()).toBe('step 120/2000  loss 0.8123  12.3 steps/s  ETA 2m31s\nstep 2000/2000  loss 0.8123  12.3 steps/s  took 10s\n');
  });

  it('formats durations', () => {
    expect([formatDuration(4.4), formatDuration(151), formatDuration(3725), formatDuration(Infinity)]).toEqual(['4s', '2m31s', '1h02m', '?']);
  });
});
