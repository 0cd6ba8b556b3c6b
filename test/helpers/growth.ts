import { performance } from "node:perf_hooks";

/**
 * How a function's time grows with its input, measured in one run: the time on an input
 * `factor` times larger over the time on the smaller one. Linear work gives about
 * `factor`; quadratic work `factor²`. The two sizes are timed in turn several times and the
 * fastest of each taken, so that a pause of the machine (or a garbage collection landing on
 * one size) does not count; a ratio over the linear bound is measured once more before it
 * is returned, since a real quadratic is over it every time. Assert a ratio, never a time.
 */
export function growthRatio(run: (input: string) => unknown, makeInput: (size: number) => string, size: number, factor = 4, repeats = 5): number {
  const small = makeInput(size);
  const large = makeInput(size * factor);
  const time = (input: string): number => {
    const start = performance.now();
    run(input);
    return performance.now() - start;
  };
  const measure = (): number => {
    let bestSmall = Number.POSITIVE_INFINITY;
    let bestLarge = Number.POSITIVE_INFINITY;
    for (let i = 0; i < repeats; i++) {
      bestSmall = Math.min(bestSmall, time(small));
      bestLarge = Math.min(bestLarge, time(large));
    }
    // Below the timer's resolution a ratio means nothing: count it as 0.05 ms.
    return Math.max(bestLarge, 0.05) / Math.max(bestSmall, 0.05);
  };
  time(small); // warm up the JIT on the small input first
  const first = measure();
  return first < linearBound(factor) ? first : Math.min(first, measure());
}

/** Linear (or n·log n) growth by `factor` stays below this; quadratic growth is factor² and above. */
export function linearBound(factor = 4): number {
  return factor * 2.5;
}
