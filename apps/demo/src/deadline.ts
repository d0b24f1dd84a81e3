/**
 * Every long step of loading and sampling ends in a result or in an error naming the step, never in
 * a page that says "Loading" forever: a runtime that deadlocks or a server that stops sending gives
 * no error of its own.
 */

/** How long each step may take. Generous: software WebGPU compiles and runs a first 8x8 grid in minutes. */
export const DEADLINES_MS = {
  /** Asking for the WebGPU adapter at start. */
  adapter: 10_000,
  /** No new bytes of a file for this long. */
  fetchStall: 30_000,
  /** Runtime start and session (or weights upload) creation. */
  setup: 120_000,
  /** One batch; the first includes compiling kernels. */
  run: 300_000,
} as const;

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** `work`'s result, or a DeadlineError saying `what` did not finish within `ms`. The work itself is not cancelled. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} did not finish within ${formatSeconds(ms)}`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

const formatSeconds = (ms: number) => `${ms / 1000} s`;
