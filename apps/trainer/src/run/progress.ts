/**
 * Progress on stderr. On a terminal one line updates in place
 * (`step 120/2000  loss 0.8123  12.3 steps/s  ETA 2m31s`); elsewhere (pipes, CI logs) each update
 * is a plain line of its own.
 */
import type { LogEntry } from '@scm/core';
import type { Io } from '../options/io.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatLoss(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

export function formatStep(e: LogEntry, total: number): string {
  const parts = [
    `step ${e.step}/${total}`,
    `loss ${formatLoss(e.loss)}`,
    `${e.stepsPerSec.toFixed(1)} steps/s`,
    e.step < total ? `ETA ${formatDuration(e.etaSec)}` : `took ${formatDuration(e.elapsedSec)}`,
  ];
  if (e.skipped > 0) parts.push(`${e.skipped} skipped`);
  return parts.join('  ');
}

export class Progress {
  private open = false;

  constructor(
    private readonly io: Io,
    private readonly prefix = '',
  ) {}

  /** A status that replaces the previous one on a terminal. */
  update(text: string): void {
    const line = this.prefix + text;
    if (this.io.isTTY) {
      this.io.err(`\r${line}\x1b[K`);
      this.open = true;
    } else {
      this.io.err(`${line}\n`);
    }
  }

  step(e: LogEntry, total: number): void {
    this.update(formatStep(e, total));
  }

  /** A line that stays (ends any line being updated first). */
  note(text: string): void {
    this.done();
    this.io.err(`${this.prefix}${text}\n`);
  }

  /** Ends the updating line, keeping its last state on screen. */
  done(): void {
    if (this.open) this.io.err('\n');
    this.open = false;
  }
}

/**
 * Progress of drawing n samples in batches of `batch`, each taking about `evaluations` network
 * evaluations: a status at every tenth of the way (ten lines at most off a terminal), counted in
 * evaluations as well as batches, so a draw of one batch but many steps is never silent either.
 */
export function samplingProgress(
  io: Io,
  n: number,
  began: number,
  work: { batch: number; evaluations: number },
): { onBatch: (done: number) => void; onEvaluation: () => void; done: () => void } {
  const progress = new Progress(io);
  let shown = 0;
  let finished = 0;
  let evaluated = 0;
  let shownCount = 0;
  const report = (done: number) => {
    const tenth = Math.floor((done * 10) / n);
    // A few samples in one batch pass several tenths per sample: a line only when the count moves.
    if (done >= n || tenth <= shown || Math.floor(done) <= shownCount) return;
    shown = tenth;
    shownCount = Math.floor(done);
    const rate = done / Math.max((performance.now() - began) / 1000, 1e-9);
    progress.update(`sampled ${Math.floor(done)}/${n}  ${rate.toFixed(rate < 10 ? 2 : 0)} samples/s  ETA ${formatDuration((n - done) / rate)}`);
  };
  return {
    onBatch: (done) => {
      finished = done;
      evaluated = 0;
      report(done);
    },
    onEvaluation: () => {
      evaluated++;
      report(finished + Math.min(work.batch, n - finished) * Math.min(evaluated / work.evaluations, 1));
    },
    done: () => progress.done(),
  };
}
