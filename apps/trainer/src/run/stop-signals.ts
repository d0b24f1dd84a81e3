/**
 * SIGINT (Ctrl-C) and SIGTERM while a run trains. Killing the process outright would lose every
 * step since the last checkpoint and leave the lock behind, so the first signal only asks the run
 * to stop: the step under way finishes, the next one throws Interrupted instead of training, and
 * the trainer writes its checkpoint and releases the lock on the way out. A second signal is the
 * user insisting: the default action (exit at once) applies, and what it leaves behind (a lock of a
 * dead process, a temporary) the next run clears up.
 */
import type { StepCounts, Stepper, StepStats } from '@scm/core';
import { Interrupted } from '../options/errors.js';
import type { Io } from '../options/io.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof SIGNALS)[number];

/** Listens for SIGINT and SIGTERM until `dispose`; `requested` is the first one received. */
export class StopSignals {
  requested: StopSignal | undefined;
  private readonly listener = (signal: StopSignal) => {
    if (this.requested !== undefined) {
      this.dispose();
      process.kill(process.pid, signal);
      return;
    }
    this.requested = signal;
    this.io.err(`\n${signal}: stopping after this step and writing the checkpoint (send it again to stop at once)\n`);
  };

  constructor(private readonly io: Io) {
    for (const s of SIGNALS) process.on(s, this.listener);
  }

  dispose(): void {
    for (const s of SIGNALS) process.off(s, this.listener);
  }
}

/** `inner` as a Stepper that throws Interrupted, instead of stepping, once a stop was requested. */
export class StopOnSignal<S extends StepCounts> implements Stepper<S> {
  constructor(
    private readonly inner: Stepper<S>,
    private readonly signals: StopSignals,
  ) {}

  get state(): S {
    return this.inner.state;
  }

  async step(): Promise<StepStats> {
    // A synchronous step awaited in a loop never returns to the event loop, where signals are
    // delivered: one turn of it per step lets them in, at a cost far below a step's.
    await new Promise((r) => setImmediate(r));
    const signal = this.signals.requested;
    if (signal !== undefined) throw new Interrupted(signal, `stopped by ${signal} at step ${this.inner.state.step}`);
    return this.inner.step();
  }
}
