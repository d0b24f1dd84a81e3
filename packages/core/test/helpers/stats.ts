/** Statistical checks shared by the tests: moments, correlation, Kolmogorov-Smirnov, chi-square. */

export const mean = (x: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
};

export const centralMoment = (x: ArrayLike<number>, k: number): number => {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** k;
  return s / x.length;
};

export const correlation = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
};

/** Kolmogorov-Smirnov statistic of a sample against a continuous CDF. */
export function ksStatistic(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** P(sqrt(n) D > x) ~ 2 exp(-2 x^2): the critical D for a false-alarm probability of 1e-6. */
export const ksCritical = (n: number): number => Math.sqrt(Math.log(2e6) / 2) / Math.sqrt(n);

/** Pearson chi-square of observed counts against equal expected counts. */
export function chiSquareUniform(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const expected = total / counts.length;
  let chi = 0;
  for (let i = 0; i < counts.length; i++) chi += (counts[i] - expected) ** 2 / expected;
  return chi;
}

/** Wilson-Hilferty: the chi-square quantile with `df` degrees of freedom at z = 5 (p ~ 3e-7). */
export const chiSquareCritical = (df: number): number => df * (1 - 2 / (9 * df) + 5 * Math.sqrt(2 / (9 * df))) ** 3;

/** Normal CDF via erf (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
