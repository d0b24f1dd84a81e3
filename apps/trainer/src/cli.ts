/**
 * The scm command line: dispatch to the commands, help, and one-line errors with exit codes
 * (2: usage, 1: runtime). bin/scm.js runs `runCli`; `main` is exported so tests can run it in-process.
 */
import { formatHelp, parseOptions, type CommandHelp, type OptionValues } from './options/args.js';
import * as card from './commands/card.js';
import * as distill from './commands/distill.js';
import * as evalCommand from './commands/eval.js';
import * as exportCommand from './commands/export.js';
import * as packageCommand from './commands/package.js';
import * as plot from './commands/plot.js';
import * as quickstart from './commands/quickstart.js';
import * as sample from './commands/sample.js';
import * as trainClassifier from './commands/train-classifier.js';
import * as trainCt from './commands/train-ct.js';
import * as trainTeacher from './commands/train-teacher.js';
import { describeError, exitCodeOf, UsageError } from './options/errors.js';
import { processIo, withArgv, type Io } from './options/io.js';
import { didYouMean } from './options/suggest.js';
import { VERSION } from './options/version.js';

interface Command {
  readonly help: CommandHelp;
  run(values: OptionValues, io: Io): Promise<void>;
}

const COMMANDS: readonly Command[] = [trainTeacher, distill, trainCt, sample, evalCommand, exportCommand, packageCommand, plot, card, quickstart, trainClassifier];

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.help.name.length)) + 2;
  return [
    'Usage: scm <command> [options]',
    '',
    'Continuous-time consistency models (sCM, TrigFlow) on 2-D toy data and images. Training, sampling and evaluation',
    'run on ONNX Runtime (--backend onnx, the default where onnxruntime-node loads) or TensorFlow.js on WebAssembly',
    '(--backend wasm, the default otherwise) or in plain JavaScript (--backend cpu); scm export writes a run\'s sampler as',
    'an ONNX model.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.help.name.padEnd(width)}${c.help.summary.split('\n')[0]}`),
    '',
    'Run scm <command> --help for its options, scm --version for the version. Exit codes: 0 success, 1 runtime error,',
    '2 usage error.',
    '',
  ].join('\n');
}

/**
 * Runs one `scm` command line in-process: `argv` without the node and script paths, output and errors
 * through `io`.
 *
 * @returns The exit code: 0 success, 1 runtime failure, 2 usage error (unknown command or option).
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(globalHelp());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(globalHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.help.name === name);
  try {
    if (!command) {
      const names = COMMANDS.map((c) => c.help.name);
      throw new UsageError(`unknown command "${name}"${didYouMean(name, names)}: choose one of ${names.join(', ')} (see scm --help)`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(formatHelp(command.help));
      return 0;
    }
    await command.run(parseOptions(command.help, rest), withArgv(io, ['scm', name, ...rest]));
    return 0;
  } catch (e) {
    io.err(`scm${command ? ` ${name}` : ''}: ${describeError(e)}\n`);
    if (process.env.SCM_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return exitCodeOf(e);
  }
}

/** main on the process's streams; a failure main did not catch is still one line and exit code 1. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    process.stderr.write(`scm: ${describeError(e)}\n`);
    return 1;
  }
}
