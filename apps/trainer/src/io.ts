/** Where a command writes: results on stdout, progress and errors on stderr (an interface, so tests can capture both). */

export interface Io {
  /** Results: tables, JSON, file names. */
  out(text: string): void;
  /** Progress, notes and errors. */
  err(text: string): void;
  /** Whether stderr is a terminal: progress then updates one line in place. */
  readonly isTTY: boolean;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get isTTY() {
    return process.stderr.isTTY === true;
  },
};
