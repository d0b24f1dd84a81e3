/** Where a command writes: results on stdout, progress and errors on stderr (an interface, so tests can capture both). */

export interface Io {
  /** Results: tables, JSON, file names. */
  out(text: string): void;
  /** Progress, notes and errors. */
  err(text: string): void;
  /** Whether stderr is a terminal: progress then updates one line in place. */
  readonly isTTY: boolean;
  /** The command line being run ("scm", the command, its options), which a new run records in config.json. */
  readonly argv?: readonly string[];
}

/** `io` running the command line `argv`. */
export function withArgv(io: Io, argv: readonly string[]): Io {
  return { out: (t) => io.out(t), err: (t) => io.err(t), get isTTY() { return io.isTTY; }, argv };
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get isTTY() {
    return process.stderr.isTTY === true;
  },
};
