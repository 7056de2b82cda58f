// Order statistics for the benchmark's figures: percentiles (linear interpolation) and summaries.
// Pure functions, unit-tested; empty input yields null rather than a made-up number.

/** The p-th percentile (0..100) with linear interpolation between closest ranks (numpy's default). */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const rank = (p / 100) * (v.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}

export interface Summary {
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((x) => Number.isFinite(x));
  return {
    p50: percentile(finite, 50),
    p95: percentile(finite, 95),
    max: finite.length ? Math.max(...finite) : null,
  };
}

/** Rounds to `digits` decimals; null stays null. */
export function round(x: number | null | undefined, digits = 1): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** a / b, or null when either is missing or b is zero. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Cumulative count of events over time: [[t, count], ...] sorted by t (for the "serving over time" chart). */
export function cumulative(times: readonly number[]): [number, number][] {
  return [...times].filter((t) => Number.isFinite(t)).sort((a, b) => a - b).map((t, i) => [t, i + 1]);
}
