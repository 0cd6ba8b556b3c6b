import { setImmediate } from "node:timers/promises";

/**
 * Maps items one by one, giving the event loop a turn whenever `sliceMs` have passed, so
 * that work over a whole thread (500 comments of 65 KB each) never holds it: every other
 * delivery and the write scheduler's timers run in between (issue 9, the liveness invariant).
 */
export async function mapYielding<T, R>(items: readonly T[], map: (item: T) => R, sliceMs = 10): Promise<R[]> {
  const results: R[] = [];
  let sliceStart = performance.now();
  for (const item of items) {
    if (performance.now() - sliceStart >= sliceMs) {
      await setImmediate();
      sliceStart = performance.now();
    }
    results.push(map(item));
  }
  return results;
}
