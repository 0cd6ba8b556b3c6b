import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * How long the event loop was held while some work ran: the measure of liveness
 * (DEVELOPERS.md, issue 9). One loop serves every installation, so no input may hold it
 * longer than `LOOP_BOUND_MS` at a stretch.
 *
 * `monitorEventLoopDelay` samples with a timer every `resolution` ms and records how late
 * each one fired; its `max` is the longest stretch the loop could not run a timer.
 */

/** The invariant: no stretch longer than this. */
export const LOOP_BOUND_MS = 50;

const RESOLUTION_MS = 10;

export interface LoopDelay {
  /** Longest stretch, in ms. */
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
}

/** Runs `work` (sync or async) and reports how long the loop was held while it ran. */
export async function measureLoop<T>(work: () => T | Promise<T>): Promise<{ readonly result: T; readonly delay: LoopDelay }> {
  const histogram = await armedMonitor();
  try {
    const result = await work();
    // The timer must fire once after a synchronous stretch to record it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { result, delay: delayOf(histogram) };
  } finally {
    histogram.disable();
  }
}

/**
 * A monitor that has recorded its first sample. Its timer's first firing only sets the
 * baseline: a stretch that starts before it is not recorded at all (a 200 ms spin right after
 * `enable()` reads as 10 ms), so a measure taken without waiting could never fail.
 */
async function armedMonitor(): Promise<ReturnType<typeof monitorEventLoopDelay>> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  for (let waited = 0; histogram.count < 1; waited += RESOLUTION_MS) {
    if (waited > 5_000) throw new Error("the event-loop monitor never recorded a sample");
    await new Promise((resolve) => setTimeout(resolve, RESOLUTION_MS));
  }
  return histogram;
}

function delayOf(histogram: ReturnType<typeof monitorEventLoopDelay>): LoopDelay {
  const ms = (ns: number): number => ns / 1e6;
  // The histogram records the delay beyond the timer's own interval.
  return { maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), p50Ms: ms(histogram.percentile(50)) };
}

/** A running monitor, for loops measured across a whole scenario (an e2e run, a bench). */
export async function startLoopMonitor(): Promise<{ stop(): LoopDelay }> {
  const histogram = await armedMonitor();
  return {
    stop() {
      histogram.disable();
      return delayOf(histogram);
    },
  };
}

/**
 * Fails when `work` holds the loop longer than `boundMs` at a stretch. These machines are
 * shared: the scheduler can stop a whole process for tens of ms. So a stretch over the
 * bound is measured up to twice more before it counts; a real stall (an algorithm quadratic in
 * its input holds the loop for seconds) is over the bound every time.
 */
export async function expectLoopFree<T>(work: () => T | Promise<T>, boundMs = LOOP_BOUND_MS, attempts = 3): Promise<T> {
  let last: LoopDelay | undefined;
  let result: T | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const measured = await measureLoop(work);
    result = measured.result;
    last = measured.delay;
    if (last.maxMs <= boundMs) return result;
  }
  throw new Error(`the event loop was held for ${last?.maxMs.toFixed(1)} ms at a stretch (bound: ${boundMs} ms; p99 ${last?.p99Ms.toFixed(1)} ms)`);
}
