/**
 * The toolkit's one source of randomness. A stream is Philox4x32-10 with a fixed key, read as
 * consecutive 32-bit words of blocks 0, 1, 2, ... (counter word 0 first, carrying upwards), so:
 * - `new Rng(seed)` is the Random123 stream with key (seed mod 2^32, floor(seed / 2^32));
 * - a position is (key, counter, word offset), which `state()` returns as plain JSON and
 *   `Rng.fromState` restores exactly: checkpoints resume bit for bit;
 * - draws are whole words, so `uniform(3)` then `uniform(5)` equals `uniform(8)`.
 * Integer draws and uniforms are exact on every platform. Normals go through Math.log/cos/sin,
 * which the specification does not pin down; V8 and SpiderMonkey both use fdlibm ports.
 */
import { philox4x32 } from './philox.js';

/** A stream's position as plain JSON (what checkpoints store); {@link Rng.fromState} restores it. */
export interface RngState {
  /** The generator; only Philox4x32-10 exists. */
  readonly algorithm: 'philox4x32-10';
  /** The stream's key, two uint32 words. */
  readonly key: readonly number[];
  /** The block the next word comes from, four uint32 words, word 0 least significant. */
  readonly counter: readonly number[];
  /** Index of the next word within that block, 0..3. */
  readonly offset: number;
}

const ALGORITHM: RngState['algorithm'] = 'philox4x32-10';
const TWO_POW_32 = 2 ** 32;
/**
 * Counter word 2 of the blocks that derive `fork` keys. A stream reaches a non-zero word 2 only
 * after 2^64 blocks, so derivation blocks never coincide with blocks a stream hands out.
 */
const FORK_DOMAIN = 0x666f726b;
const LABEL_NUMBER = 1;
const LABEL_STRING = 2;

/**
 * A seeded stream of random numbers (Philox4x32-10, counter-based), the toolkit's only source of
 * randomness: the same seed gives the same draws on every backend and platform, and a stream's
 * position can be saved and restored exactly.
 */
export class Rng {
  private readonly key = new Uint32Array(2);
  private readonly counter = new Uint32Array(4);
  private offset = 0;
  private readonly block = new Uint32Array(4);
  private blockReady = false;

  /** `seed`: an integer in [0, 2^53) as a number, or in [0, 2^64) as a bigint. */
  constructor(seed: number | bigint) {
    const s = seedToBigInt(seed);
    this.key[0] = Number(s & 0xffffffffn);
    this.key[1] = Number(s >> 32n);
  }

  /** Float32 uniforms in [0, 1): the top 24 bits of one word each, so every value is exact. */
  uniform(n: number): Float32Array {
    const out = new Float32Array(checkCount('uniform', n));
    for (let i = 0; i < out.length; i++) out[i] = (this.nextWord() >>> 8) * 2 ** -24;
    return out;
  }

  /** Float64 uniforms in [0, 1) with 53 random bits, from two words each. */
  uniform64(n: number): Float64Array {
    const out = new Float64Array(checkCount('uniform64', n));
    for (let i = 0; i < out.length; i++) out[i] = this.nextUniform64();
    return out;
  }

  /**
   * Standard normals by Box-Muller on float64 uniforms. Each pair of outputs uses four words;
   * an odd `n` drops the last partner, so normal draws are whole pairs.
   */
  normal64(n: number): Float64Array {
    const out = new Float64Array(checkCount('normal64', n));
    for (let i = 0; i < out.length; i += 2) {
      // 1 - u lies in (0, 1], keeping the logarithm finite.
      const radius = Math.sqrt(-2 * Math.log(1 - this.nextUniform64()));
      const angle = 2 * Math.PI * this.nextUniform64();
      out[i] = radius * Math.cos(angle);
      if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
    }
    return out;
  }

  /** `normal64(n)` rounded to float32: drawing in double keeps the tails right. */
  normal(n: number): Float32Array {
    return new Float32Array(this.normal64(n));
  }

  /** Integers uniform in [0, high), 1 <= high <= 2^31, without modulo bias (rejection). */
  randint(n: number, high: number): Int32Array {
    if (!Number.isInteger(high) || high < 1 || high > 2 ** 31) {
      throw new Error(`Rng.randint: high must be an integer in [1, 2^31], got ${high}`);
    }
    const out = new Int32Array(checkCount('randint', n));
    for (let i = 0; i < out.length; i++) out[i] = this.below(high);
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(checkCount('permutation', n));
    for (let i = 0; i < out.length; i++) out[i] = i;
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /**
   * A new stream keyed by the next two words of this one. It advances this stream, so successive
   * calls give different children; use `fork` for a child that does not depend on position.
   */
  split(): Rng {
    const child = new Rng(0);
    child.key[0] = this.nextWord();
    child.key[1] = this.nextWord();
    return child;
  }

  /**
   * A child stream determined by this stream's key and `label` alone: it neither advances this
   * stream nor depends on how far it has been read, so `rng.fork('data')` stays the same when
   * other draws are added elsewhere. Labels: strings, or non-negative safe integers (a number
   * and its decimal string are different labels).
   */
  fork(label: string | number): Rng {
    const words = labelWords(label);
    const child = new Rng(0);
    child.key.set(this.key);
    const block = new Uint32Array(4);
    for (let i = 0; i < words.length; i += 2) {
      philox4x32([words[i], words[i + 1] ?? 0, FORK_DOMAIN, i / 2], child.key, block);
      child.key.set(block.subarray(0, 2));
    }
    return child;
  }

  /** The stream's current position; drawing from this Rng afterwards does not change the returned object. */
  state(): RngState {
    return { algorithm: ALGORITHM, key: Array.from(this.key), counter: Array.from(this.counter), offset: this.offset };
  }

  /**
   * A stream at the saved position `s`.
   *
   * @throws Error naming the field when `s` is not a valid state (another algorithm, wrong word counts, words outside uint32).
   */
  static fromState(s: RngState): Rng {
    if (s === null || typeof s !== 'object') throw new Error('Rng.fromState: the state must be an object');
    if (s.algorithm !== ALGORITHM) {
      throw new Error(`Rng.fromState: algorithm must be "${ALGORITHM}", got ${JSON.stringify(s.algorithm)}`);
    }
    checkWords('key', s.key, 2);
    checkWords('counter', s.counter, 4);
    if (!Number.isInteger(s.offset) || s.offset < 0 || s.offset > 3) {
      throw new Error(`Rng.fromState: offset must be an integer in 0..3, got ${JSON.stringify(s.offset)}`);
    }
    const rng = new Rng(0);
    rng.key.set(s.key);
    rng.counter.set(s.counter);
    rng.offset = s.offset;
    return rng;
  }

  private nextWord(): number {
    if (!this.blockReady) {
      philox4x32(this.counter, this.key, this.block);
      this.blockReady = true;
    }
    const word = this.block[this.offset++];
    if (this.offset === 4) {
      this.offset = 0;
      this.blockReady = false;
      for (let i = 0; i < 4; i++) {
        this.counter[i] += 1;
        // A word that wrapped to zero carries into the next one.
        if (this.counter[i] !== 0) break;
      }
    }
    return word;
  }

  private nextUniform64(): number {
    const hi = this.nextWord() >>> 5;
    const lo = this.nextWord() >>> 6;
    return (hi * 2 ** 26 + lo) * 2 ** -53;
  }

  /** Uniform in [0, high): words at or above the largest multiple of high are redrawn. */
  private below(high: number): number {
    const limit = TWO_POW_32 - (TWO_POW_32 % high);
    let word = this.nextWord();
    while (word >= limit) word = this.nextWord();
    return word % high;
  }
}

function seedToBigInt(seed: number | bigint): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw new Error(`Rng: a bigint seed must lie in [0, 2^64), got ${seed}`);
    return seed;
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`Rng: a number seed must be an integer in [0, 2^53), got ${seed}`);
  }
  return BigInt(seed);
}

function checkCount(method: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`Rng.${method}: n must be a non-negative integer, got ${n}`);
  return n;
}

function checkWords(field: string, words: unknown, length: number): asserts words is number[] {
  const ok =
    Array.isArray(words) &&
    words.length === length &&
    words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32);
  if (!ok) {
    throw new Error(`Rng.fromState: ${field} must be ${length} uint32 words, got ${JSON.stringify(words)}`);
  }
}

/** A type tag, the payload length, then the payload as uint32 words (UTF-8, little-endian). */
function labelWords(label: string | number): number[] {
  if (typeof label === 'number') {
    if (!Number.isSafeInteger(label) || label < 0) {
      throw new Error(`Rng.fork: a number label must be a non-negative safe integer, got ${label}`);
    }
    return [LABEL_NUMBER, 2, label >>> 0, Math.floor(label / TWO_POW_32)];
  }
  const bytes = new TextEncoder().encode(label);
  const words = [LABEL_STRING, bytes.length];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push((bytes[i] | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) >>> 0);
  }
  return words;
}
