/**
 * Option parsing shared by every command: node:util parseArgs in strict mode, its errors turned
 * into one-line usage errors, value parsers that name the option they check, the options every
 * command takes, and --help text generated from the same table.
 */
import { parseArgs } from 'node:util';
import { defaultBackend } from './backend-choice.js';
import { UsageError } from './errors.js';
import { didYouMean } from './suggest.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder of the value in --help, e.g. "N" or "DIR". */
  readonly value?: string;
  readonly help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export const BACKENDS = ['wasm', 'cpu', 'onnx'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** The TensorFlow.js backends: every command computes with one (onnx sets up its runs on wasm). */
export const TFJS_BACKENDS = ['wasm', 'cpu'] as const satisfies readonly BackendName[];
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];

const BACKEND_HELP: Record<BackendName, string> = {
  onnx: 'onnx (ONNX Runtime: a compiled training step, an exported sampler; about 3x as fast as wasm)',
  wasm: 'wasm (TensorFlow.js on WebAssembly)',
  cpu: 'cpu (TensorFlow.js in plain JavaScript, the slowest)',
};

/** --seed and --backend for a command that takes them, --help for every command. */
export function commonSpecs(h: Pick<CommandHelp, 'backends' | 'seed'>): OptionSpecs {
  const backends = h.backends ?? TFJS_BACKENDS;
  const fallback = defaultBackend(backends);
  const choices = [...backends].sort((a, b) => Number(b === fallback) - Number(a === fallback)).map((b) => BACKEND_HELP[b]);
  const rule = backends.includes('onnx') ? 'the default where onnxruntime-node loads, else wasm' : 'wasm is the default';
  return {
    ...(h.seed === false ? {} : { seed: { type: 'string', value: 'N', help: 'random seed, a non-negative integer (default 0)' } }),
    ...(backends.length === 0
      ? {}
      : { backend: { type: 'string', value: 'NAME', help: `${choices.join(', ')}; ${rule} (here: ${fallback})` } satisfies OptionSpec }),
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  };
}

export interface CommandHelp {
  readonly name: string;
  readonly summary: string;
  /** Usage line(s) after "scm <name> ". */
  readonly usage: string;
  readonly options: OptionSpecs;
  /** Extra paragraphs after the option list. */
  readonly notes?: readonly string[];
  /** The backends it runs on (default: the TensorFlow.js ones); none where --backend does not apply. */
  readonly backends?: readonly BackendName[];
  /** false where --seed does not apply (nothing is drawn). */
  readonly seed?: boolean;
}

/**
 * Parses argv (after the command name) against the command's options plus the common ones it takes;
 * never lets a parseArgs error through. An option given twice is refused: which one counts would be a guess.
 */
export function parseOptions(h: CommandHelp, argv: readonly string[]): OptionValues {
  const all = { ...h.options, ...commonSpecs(h) };
  const config = Object.fromEntries(
    Object.entries(all).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: withNegativeValues(argv, all), options: config, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    throw new UsageError(`${explainParseError(e, h, Object.keys(all))} (see scm ${h.name} --help)`);
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given more than once (see scm ${h.name} --help)`);
    seen.add(t.name);
  }
  return parsed.values as OptionValues;
}

function explainParseError(e: unknown, h: CommandHelp, known: readonly string[]): string {
  const err = e as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(err.message ?? '')?.[1] ?? '';
  const flag = quoted.split(' ')[0];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = flag.replace(/^--?/, '').split('=')[0];
      if ((name === 'seed' || name === 'backend') && !known.includes(name)) {
        return `--${name} does not apply to ${h.name}: it ${name === 'seed' ? 'draws nothing at random' : 'computes nothing with a backend'}`;
      }
      return `unknown option ${flag}${didYouMean(name, known, (n) => `--${n}`)}`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(err.message ?? '')) return `option ${flag} takes no value`;
      if (/ambiguous/.test(err.message ?? '')) return `option ${flag} got a value starting with "-"; write it as ${flag}=VALUE`;
      return `option ${flag} needs a value`;
    default:
      return (err.message ?? String(e)).split('\n')[0];
  }
}

// ---- value parsers ---------------------------------------------------------------------------

const show = (raw: string) => JSON.stringify(raw);

/**
 * argv with "--name -2" joined into "--name=-2" where --name takes a value and -2 is a number, which
 * parseArgs would otherwise refuse as a value that may be an option (no option is a number).
 */
function withNegativeValues(argv: readonly string[], specs: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && specs[name]?.type === 'string' && next?.startsWith('-') && DECIMAL.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/**
 * Whether `raw` is a whole number written canonically (digits, no sign, spaces or leading zeros):
 * what parseInteger reads. "+5", " 5" and "05" are refused, so that a value means one thing.
 */
export const isIntegerText = (raw: string) => /^(0|[1-9]\d*)$/.test(raw);

/** An integer >= min (default 1). */
export function parseInteger(flag: string, raw: string, min = 1): number {
  const v = isIntegerText(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v) || v < min) {
    const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
    throw new UsageError(`--${flag} must be ${what}, got ${show(raw)}`);
  }
  return v;
}

// No leading "+" or spaces, as for integers.
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number in decimal notation: > 0 by default, >= min when given, any with `{}`. */
export function parseNumber(flag: string, raw: string, range: { min?: number; positive?: boolean } = { positive: true }): number {
  // Decimal notation only, as parseInteger: Number() alone would take "0x10" as 16 and "" as 0.
  const v = DECIMAL.test(raw) ? Number(raw) : NaN;
  const ok = Number.isFinite(v) && (range.positive ? v > 0 : true) && (range.min === undefined || v >= range.min);
  if (!ok) {
    const what = range.min !== undefined ? `a number of at least ${range.min}` : range.positive ? 'a positive number' : 'a finite number';
    throw new UsageError(`--${flag} must be ${what}, got ${show(raw)}`);
  }
  return v;
}

/** A comma-separated list of positive integers, e.g. "1,2,4". */
export function parseIntegerList(flag: string, raw: string): number[] {
  const parts = raw.split(',');
  if (parts.some((p) => p === '')) throw new UsageError(`--${flag} must be a comma-separated list of positive integers, got ${show(raw)}`);
  return parts.map((p) => parseInteger(flag, p));
}

export function parseChoice<C extends string>(flag: string, raw: string, choices: readonly C[], what = `--${flag}`): C {
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`unknown ${what} ${show(raw)}${didYouMean(raw, choices)}: choose one of ${choices.join(', ')}`);
  return raw as C;
}

// ---- typed accessors on parsed values --------------------------------------------------------

export function str(values: OptionValues, flag: string): string | undefined {
  const v = values[flag];
  return typeof v === 'string' ? v : undefined;
}

export function requireStr(values: OptionValues, flag: string, command: string): string {
  const v = str(values, flag);
  if (v === undefined || v === '') throw new UsageError(`missing --${flag} (see scm ${command} --help)`);
  return v;
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

export function optInteger(values: OptionValues, name: string, min = 1): number | undefined {
  const v = str(values, name);
  return v === undefined ? undefined : parseInteger(name, v, min);
}

export function optNumber(values: OptionValues, name: string, range?: Parameters<typeof parseNumber>[2]): number | undefined {
  const v = str(values, name);
  return v === undefined ? undefined : parseNumber(name, v, range);
}

export interface CommonOptions {
  readonly seed: number;
  readonly seedGiven: boolean;
  readonly backend: BackendName;
  /** Whether --backend chose it (else it is the default, see defaultBackend). */
  readonly backendGiven: boolean;
}

/** --seed and --backend of a command (`h`: its help, which says which backends it runs on). */
export function commonOptions(values: OptionValues, h: Pick<CommandHelp, 'backends'>): CommonOptions {
  const backends = h.backends ?? TFJS_BACKENDS;
  const seed = optInteger(values, 'seed', 0);
  const backend = str(values, 'backend');
  if (backend !== undefined && (BACKENDS as readonly string[]).includes(backend) && !backends.includes(backend as BackendName)) {
    throw new UsageError(`--backend ${backend} does not apply to this command: choose one of ${backends.join(', ')}`);
  }
  return {
    seed: seed ?? 0,
    seedGiven: seed !== undefined,
    backend: backend === undefined ? defaultBackend(backends) : parseChoice('backend', backend, backends, 'backend'),
    backendGiven: backend !== undefined,
  };
}

// ---- help ------------------------------------------------------------------------------------

export function formatHelp(h: CommandHelp): string {
  const rows = Object.entries({ ...h.options, ...commonSpecs(h) }).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [left, o.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = [`Usage: scm ${h.name} ${h.usage}`, '', h.summary, '', 'Options:', ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`)];
  for (const note of h.notes ?? []) lines.push('', note);
  return `${lines.join('\n')}\n`;
}
