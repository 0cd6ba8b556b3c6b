/** Small statistics over recorded times, for load tests and benchmarks. */

/** Most values of `times` (ascending) within any `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  let first = 0;
  for (let i = 0; i < times.length; i++) {
    while ((times[first] as number) <= (times[i] as number) - windowMs) first++;
    max = Math.max(max, i - first + 1);
  }
  return max;
}

/** The value below which a share `p` (0–1) of `values` lies; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}
