/**
 * Stopping a run that diverges. The step guard skips an update whose loss or gradient is not
 * finite, which saves a run from one bad batch; but a run that has blown up skips every step
 * from then on and would otherwise train on silently, to exit 0. After SKIPPED_IN_A_ROW skips in
 * a row the run stops with an error. Checkpoints due while steps are being skipped wait for an
 * applied step, so the checkpoint left on disk predates the trouble.
 */
import type { StepCounts, Stepper, StepStats } from '@scm/core';
import { RunError } from '../options/errors.js';

export const SKIPPED_IN_A_ROW = 10;

/** `inner` as a Stepper that throws a RunError after `limit` skipped steps in a row. */
export class DivergenceWatch<S extends StepCounts> implements Stepper<S> {
  private inARow = 0;

  constructor(
    private readonly inner: Stepper<S>,
    /** Says which checkpoint the stopped run leaves, for the message. */
    private readonly kept: () => string,
    private readonly limit = SKIPPED_IN_A_ROW,
  ) {}

  get state(): S {
    return this.inner.state;
  }

  /** Whether the last step was skipped: a checkpoint now could hold a run that is blowing up. */
  get skipping(): boolean {
    return this.inARow > 0;
  }

  async step(): Promise<StepStats> {
    const stats = await this.inner.step();
    this.inARow = stats.applied ? 0 : this.inARow + 1;
    if (this.inARow >= this.limit) {
      const last = this.inner.state.step;
      throw new RunError(
        `training diverged: steps ${last - this.limit + 1} to ${last} all had a non-finite loss or gradient and were skipped; ` +
          `stopped ${this.kept()}; try a lower --lr`,
      );
    }
    return stats;
  }
}
