/**
 * The two kinds of failure the command line reports: a usage error (exit code 2: the command line
 * itself is wrong) and a runtime error (exit code 1: files, runs, checkpoints). Both print as one
 * line, without a stack trace.
 */

export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class RunError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

/** A run stopped by SIGINT or SIGTERM: exit code 128 + the signal's number, as a shell reports it. */
export class Interrupted extends Error {
  readonly exitCode: number;
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    message: string,
  ) {
    super(message);
    this.name = 'Interrupted';
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

/** The exit code for any thrown value: 2 for usage errors, 130/143 for a signal, 1 for everything else. */
export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError ? 2 : e instanceof Interrupted ? e.exitCode : 1;
}

/** One line: the message of an Error (first line only), or the value as a string. */
export function describeError(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').find((line) => line.trim() !== '') ?? 'unknown error';
}
