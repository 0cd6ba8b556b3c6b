import { createHistogram, type RecordableHistogram } from "node:perf_hooks";
import type { Logger } from "./logger.js";

/**
 * Watches the event loop in production. One loop serves every installation, so liveness is
 * an invariant (README, "Security model"): nothing may hold the loop longer than
 * `boundMs` at a stretch. When something does, the operator sees a warning with the
 * stretch, instead of only deliveries GitHub gave up on. Every window also logs (at debug)
 * the window's and the whole process's delay, which `npm run bench` reads.
 *
 * A timer fires every `RESOLUTION_MS`; each gap between two firings is recorded (in a
 * perf_hooks histogram), so its max is the longest stretch the loop could not run a timer.
 * It is not `monitorEventLoopDelay`: that one forgets its last firing on `reset()`, so a
 * stretch that begins right after a window ends would be recorded nowhere.
 */

export interface LoopDelayReport {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LoopWatchOptions {
  readonly log: Logger;
  readonly windowMs: number;
  readonly boundMs: number;
}

const RESOLUTION_MS = 10;

const report = (histogram: RecordableHistogram): LoopDelayReport => ({
  p50Ms: round(histogram.percentile(50) / 1e6),
  p99Ms: round(histogram.percentile(99) / 1e6),
  maxMs: round(histogram.max / 1e6),
});

const round = (ms: number): number => Math.round(ms * 10) / 10;

export function watchLoop(options: LoopWatchOptions): { stop(): LoopDelayReport } {
  const window = createHistogram();
  const total = createHistogram();
  let last = process.hrtime.bigint();
  const sampler = setInterval(() => {
    const now = process.hrtime.bigint();
    window.record(now - last);
    total.record(now - last);
    last = now;
  }, RESOLUTION_MS);
  sampler.unref();
  const timer = setInterval(() => {
    if (window.count === 0) return;
    const current = report(window);
    window.reset();
    if (current.maxMs > options.boundMs) {
      options.log.warn(
        { loopDelay: current, boundMs: options.boundMs },
        `the event loop was held ${current.maxMs} ms at a stretch (bound ${options.boundMs} ms): every installation waited; this is a defect`,
      );
    }
    options.log.debug({ loopDelay: current, sinceStart: report(total), windowMs: options.windowMs }, "event loop delay");
  }, options.windowMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      clearInterval(sampler);
      return report(total);
    },
  };
}
