/** "Did you mean": the nearest of the names a command line knows, for a misspelt option or command. */

/** Edit distance (insertions, deletions, substitutions and swaps of neighbours). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name closest to `word`, if close enough to be a slip: within a third of its length in
 * edits (at least 1), or a name it is the start of (`--check` for `--checkpoint-every`).
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const name of known) {
    const d = distance(word, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  if (best !== undefined) return best;
  const extended = known.filter((name) => word.length >= 3 && name.startsWith(word));
  return extended.length === 1 ? extended[0] : undefined;
}

/** " (did you mean X?)" or nothing. */
export function didYouMean(word: string, known: readonly string[], show: (name: string) => string = (n) => n): string {
  const near = closest(word, known);
  return near === undefined ? '' : ` (did you mean ${show(near)}?)`;
}
