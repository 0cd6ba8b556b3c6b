import { performance } from "node:perf_hooks";

/**
 * How a function's time grows with its input, measured in one run: the time on an input
 * `factor` times larger over the time on the smaller one. Linear work gives about
 * `factor`; quadratic work `factor²`. Each size is timed several times and the fastest
 * taken, so that a pause of the machine does not count. Assert a ratio, never a time.
 */
export function growthRatio(run: (input: string) => unknown, makeInput: (size: number) => string, size: number, factor = 4, repeats = 5): number {
  const small = makeInput(size);
  const large = makeInput(size * factor);
  const fastest = (input: string): number => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      run(input);
      best = Math.min(best, performance.now() - start);
    }
    // Below the timer's resolution a ratio means nothing: count it as 0.05 ms.
    return Math.max(best, 0.05);
  };
  fastest(small); // warm up the JIT on the small input first
  return fastest(large) / fastest(small);
}

/** Linear (or n·log n) growth by `factor` stays below this; quadratic growth is factor² and above. */
export function linearBound(factor = 4): number {
  return factor * 2.5;
}
