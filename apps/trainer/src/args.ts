/**
 * Option parsing shared by every command: node:util parseArgs in strict mode, its errors turned
 * into one-line usage errors, value parsers that name the option they check, the options every
 * command takes, and --help text generated from the same table.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

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

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  seed: { type: 'string', value: 'N', help: 'random seed, a non-negative integer (default 0)' },
  backend: {
    type: 'string',
    value: 'NAME',
    help:
      'wasm (TensorFlow.js on WebAssembly, the fast default) or cpu (TensorFlow.js in plain JavaScript); training and ' +
      'consistency sampling also take onnx (ONNX Runtime: a compiled training step, an exported sampler)',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export interface CommandHelp {
  readonly name: string;
  readonly summary: string;
  /** Usage line(s) after "scm <name> ". */
  readonly usage: string;
  readonly options: OptionSpecs;
  /** Extra paragraphs after the option list. */
  readonly notes?: readonly string[];
}

/** Parses argv (after the command name) against `options` plus the common ones; never lets a parseArgs error through. */
export function parseOptions(command: string, options: OptionSpecs, argv: readonly string[]): OptionValues {
  const all = { ...options, ...COMMON_OPTIONS };
  const config = Object.fromEntries(
    Object.entries(all).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
  try {
    const { values } = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false });
    return values as OptionValues;
  } catch (e) {
    throw new UsageError(`${explainParseError(e)} (see scm ${command} --help)`);
  }
}

function explainParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(err.message ?? '')?.[1] ?? '';
  const flag = quoted.split(' ')[0];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag}`;
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

/** Whether `raw` is written as a whole number (digits, an optional leading +): what parseInteger reads. */
export const isIntegerText = (raw: string) => /^\+?\d+$/.test(raw.trim());

/** An integer >= min (default 1). */
export function parseInteger(flag: string, raw: string, min = 1): number {
  const v = isIntegerText(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v) || v < min) {
    const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
    throw new UsageError(`--${flag} must be ${what}, got ${show(raw)}`);
  }
  return v;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number > 0 (or >= min when given), in decimal notation. */
export function parseNumber(flag: string, raw: string, range: { min?: number; positive?: boolean } = { positive: true }): number {
  // Decimal notation only, as parseInteger: Number() alone would take "0x10" as 16 and "" as 0.
  const v = DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
  const ok = Number.isFinite(v) && (range.positive ? v > 0 : true) && (range.min === undefined || v >= range.min);
  if (!ok) {
    const what = range.min !== undefined ? `a number of at least ${range.min}` : 'a positive number';
    throw new UsageError(`--${flag} must be ${what}, got ${show(raw)}`);
  }
  return v;
}

/** A comma-separated list of positive integers, e.g. "1,2,4". */
export function parseIntegerList(flag: string, raw: string): number[] {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`--${flag} must be a comma-separated list of positive integers, got ${show(raw)}`);
  return parts.map((p) => parseInteger(flag, p));
}

export function parseChoice<C extends string>(flag: string, raw: string, choices: readonly C[], what = `--${flag}`): C {
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`unknown ${what} ${show(raw)}: choose one of ${choices.join(', ')}`);
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

export function optNumber(values: OptionValues, name: string): number | undefined {
  const v = str(values, name);
  return v === undefined ? undefined : parseNumber(name, v);
}

export interface CommonOptions {
  readonly seed: number;
  readonly seedGiven: boolean;
  readonly backend: BackendName;
}

/**
 * --seed and --backend; `backends` are the ones the command runs on (default: the TensorFlow.js
 * ones), `fallback` the one it runs on when --backend is not given.
 */
export function commonOptions(values: OptionValues, backends: readonly BackendName[] = TFJS_BACKENDS, fallback: BackendName = 'wasm'): CommonOptions {
  const seed = optInteger(values, 'seed', 0);
  const backend = str(values, 'backend');
  if (backend !== undefined && (BACKENDS as readonly string[]).includes(backend) && !backends.includes(backend as BackendName)) {
    throw new UsageError(`--backend ${backend} does not apply to this command: choose one of ${backends.join(', ')}`);
  }
  return { seed: seed ?? 0, seedGiven: seed !== undefined, backend: backend === undefined ? fallback : parseChoice('backend', backend, backends, 'backend') };
}

// ---- help ------------------------------------------------------------------------------------

export function formatHelp(h: CommandHelp): string {
  const rows = Object.entries({ ...h.options, ...COMMON_OPTIONS }).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [left, o.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = [`Usage: scm ${h.name} ${h.usage}`, '', h.summary, '', 'Options:', ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`)];
  for (const note of h.notes ?? []) lines.push('', note);
  return `${lines.join('\n')}\n`;
}
