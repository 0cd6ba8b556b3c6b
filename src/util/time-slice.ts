import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";

/**
 * Long loops on the thread that answers every installation's webhooks give the event loop
 * a turn every few milliseconds (issue 9: no stretch over 50 ms). `tick()` is called once per
 * step of the work; it reads the clock only every 256 steps (the clock costs more than a step)
 * and yields once `ms` have passed since the last turn.
 */
export class TimeSlice {
  readonly #ms: number;
  #since = performance.now();
  #steps = 0;

  constructor(ms = 8) {
    this.#ms = ms;
  }

  async tick(): Promise<void> {
    if ((++this.#steps & 255) !== 0 || performance.now() - this.#since < this.#ms) return;
    await nextTurn();
    this.#since = performance.now();
  }
}
