import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";

/**
 * Long loops on the thread that answers every installation's webhooks give the event loop
 * a turn every few milliseconds (README, "Security model": no stretch over 50 ms).
 * `tick()` is called once per step of the work; it reads the clock only every 256 steps
 * (the clock costs more than a step) and yields once `ms` have passed since the last turn.
 */
export class TimeSlice {
  readonly #ms: number;
  #since = performance.now();
  #steps = 0;

  constructor(ms = 8) {
    this.#ms = ms;
  }

  async tick(): Promise<void> {
    if ((++this.#steps & 255) !== 0) return;
    await this.due();
  }

  /** Yields if `ms` have passed since the last turn, reading the clock now: after a step that is large on its own. */
  async due(): Promise<void> {
    if (performance.now() - this.#since < this.#ms) return;
    await nextTurn();
    this.#since = performance.now();
  }
}

/**
 * Maps items one by one, giving the loop a turn before an item once `slice`'s time is up:
 * for items that are large on their own (a thread's 500 comments of 65 KB each).
 */
export async function mapInSlices<T, R>(items: readonly T[], map: (item: T) => R, slice = new TimeSlice()): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) {
    await slice.due();
    results.push(map(item));
  }
  return results;
}

const RUN = 1_024;

/**
 * `items` sorted by `compare` (stably), giving the loop a turn through `slice`: sorting tens
 * of thousands of paths in one `Array.prototype.sort` holds the loop for ~40 ms. Runs of
 * 1,024 are sorted whole, then merged pairwise, one tick per element merged.
 */
export async function sortInSlices<T>(items: readonly T[], compare: (a: T, b: T) => number, slice = new TimeSlice()): Promise<T[]> {
  let runs: T[][] = [];
  for (let start = 0; start < items.length; start += RUN) {
    runs.push(items.slice(start, start + RUN).sort(compare));
    await slice.due();
  }
  while (runs.length > 1) {
    const merged: T[][] = [];
    for (let r = 0; r < runs.length; r += 2) {
      const a = runs[r] as T[];
      const b = runs[r + 1];
      if (b === undefined) {
        merged.push(a);
        continue;
      }
      const out: T[] = [];
      let i = 0;
      let j = 0;
      while (i < a.length || j < b.length) {
        // Equal items keep their order: the left run's first.
        if (j >= b.length || (i < a.length && compare(a[i] as T, b[j] as T) <= 0)) out.push(a[i++] as T);
        else out.push(b[j++] as T);
        await slice.tick();
      }
      merged.push(out);
    }
    runs = merged;
  }
  return runs[0] ?? [];
}
