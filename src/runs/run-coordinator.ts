import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { RunJournal } from "../state/run-journal.js";

/**
 * Background work of the App, outside the webhook's HTTP response:
 *
 * - runs are accepted once per delivery id and once per trigger (GitHub redelivers);
 * - runs on one issue take turns in arrival order, so a follow-up sees the answer before it;
 * - at most `maxConcurrentPerInstallation` runs of one installation hold a turn at once,
 *   and at most `maxConcurrent` runs of the whole process (each holds a repository and its
 *   index in memory); the others wait, in arrival order, and are told how many requests
 *   are ahead of them, so neither a busy installation nor fifty of them run unbounded answers;
 * - `stop` cancels the run that holds an issue's turn;
 * - `shutdown` stops taking work, lets running answers finish for a grace period, then
 *   cancels them (each closes its comment honestly) and waits for their final writes.
 */

export type CancelReason =
  | { readonly kind: "stop"; readonly by: string }
  | { readonly kind: "shutdown" };

export interface RunTicket {
  readonly deliveryId: string;
  /** Identifies the request across redeliveries, e.g. "c<comment id>". */
  readonly triggerKey: string;
  /** Runs with the same key take turns, e.g. "<installation>/<owner>/<repo>#<number>". */
  readonly issueKey: string;
  /** Runs with the same key share `maxConcurrentPerInstallation` turns, e.g. the installation id. */
  readonly installationKey?: string;
}

export interface RunHandle {
  /** Aborts with a `CancelReason` when the run is stopped or the App shuts down. */
  readonly cancelSignal: AbortSignal;
  /** Aborts when a shutdown's time for final writes is up. */
  readonly flushSignal: AbortSignal;
  /**
   * Resolves when the issue's earlier runs are done and a turn is free; rejects with the
   * cancel reason. `onQueued` hears, while the run waits for a turn its installation or the
   * process has none of, how many requests are ahead of it (running or waiting), and again
   * whenever that number changes.
   */
  waitForTurn(onQueued?: (ahead: number) => void): Promise<void>;
}

export type SubmitResult = "accepted" | "duplicate" | "shutting-down";

interface Tracked {
  readonly ticket: RunTicket;
  readonly cancel: AbortController;
  hasTurn: boolean;
  /** Holds one of its installation's turns (released when the run ends). */
  holdsSlot: boolean;
  /** Holds one of the process's turns. */
  holdsGlobal: boolean;
}

export interface RunCoordinatorOptions {
  /** Where handled deliveries are recorded; durable, so a redelivery after a restart is still recognized. */
  readonly journal: Pick<RunJournal, "claim">;
  readonly clock: Clock;
  readonly log: Logger;
  readonly graceMs: number;
  readonly flushMs: number;
  /** Runs of one installation that may hold a turn at once (default: no limit). */
  readonly maxConcurrentPerInstallation?: number;
  /** Runs of the whole process that may hold a turn at once (default: no limit). */
  readonly maxConcurrent?: number;
}

interface Waiter {
  readonly wake: () => void;
  readonly onQueued: ((ahead: number) => void) | undefined;
}

/** Turns shared by some runs (one installation's, or the process's): a counting semaphore, first come first served. */
class Slots {
  active = 0;
  readonly waiting: Waiter[] = [];

  /** Tells every waiter how many requests are ahead of it: those running, and those waiting before it. */
  tellPositions(): void {
    this.waiting.forEach((waiter, i) => waiter.onQueued?.(this.active + i));
  }
}

export class RunCoordinator {
  readonly #opts: RunCoordinatorOptions;
  readonly #tails = new Map<string, Promise<void>>();
  readonly #runs = new Set<Tracked>();
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #flush = new AbortController();
  readonly #slots = new Map<string, Slots>();
  readonly #global = new Slots();
  #closed = false;

  constructor(opts: RunCoordinatorOptions) {
    this.#opts = opts;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `execute` in the background, unless this request was seen before or the App is
   * stopping. Resolves once the request is recorded, before `execute` starts.
   */
  async submit(ticket: RunTicket, execute: (handle: RunHandle) => Promise<void>): Promise<SubmitResult> {
    if (this.#closed) return "shutting-down";
    if (!(await this.claim(ticket))) return "duplicate";
    return this.start(ticket, execute);
  }

  /**
   * Runs `execute` for a request already claimed (one resumed after a restart). A run
   * started while the App stops is cancelled before its turn and closes its comment.
   */
  start(ticket: RunTicket, execute: (handle: RunHandle) => Promise<void>): "accepted" {
    const tracked: Tracked = { ticket, cancel: new AbortController(), hasTurn: false, holdsSlot: false, holdsGlobal: false };
    const previous = this.#tails.get(ticket.issueKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(ticket.issueKey, tail);

    const handle: RunHandle = {
      cancelSignal: tracked.cancel.signal,
      flushSignal: this.#flush.signal,
      waitForTurn: (onQueued) =>
        new Promise<void>((resolve, reject) => {
          const signal = tracked.cancel.signal;
          const onCancel = (): void => reject(signal.reason);
          if (signal.aborted) return onCancel();
          signal.addEventListener("abort", onCancel, { once: true });
          void previous
            .then(() => this.#acquire(tracked, onQueued))
            .then(() => {
              signal.removeEventListener("abort", onCancel);
              // A queued run does not start once the App is stopping.
              if (this.#closed) tracked.cancel.abort({ kind: "shutdown" } satisfies CancelReason);
              if (signal.aborted) return onCancel();
              tracked.hasTurn = true;
              resolve();
            });
        }),
    };
    this.#runs.add(tracked);
    this.track(
      execute(handle)
        .catch((error: unknown) => this.#opts.log.error({ err: error, ticket }, "run failed unexpectedly"))
        .finally(() => {
          this.#runs.delete(tracked);
          this.#release(tracked);
          release();
          if (this.#tails.get(ticket.issueKey) === tail) this.#tails.delete(ticket.issueKey);
        }),
    );
    return "accepted";
  }

  /** Waits for one of the installation's turns, then one of the process's; returns at once for a run that is cancelled meanwhile. */
  async #acquire(tracked: Tracked, onQueued: ((ahead: number) => void) | undefined): Promise<void> {
    const key = tracked.ticket.installationKey;
    const perInstallation = this.#opts.maxConcurrentPerInstallation;
    if (key !== undefined && perInstallation !== undefined) {
      let slots = this.#slots.get(key);
      if (!slots) {
        slots = new Slots();
        this.#slots.set(key, slots);
      }
      if (slots.active >= perInstallation) {
        this.#opts.log.info({ installation: key, running: slots.active, waiting: slots.waiting.length + 1 }, "run waits for a free turn of its installation");
      }
      tracked.holdsSlot = await this.#take(slots, perInstallation, tracked.cancel.signal, onQueued);
      if (!tracked.holdsSlot) return;
    }
    const max = this.#opts.maxConcurrent;
    if (max === undefined) return;
    if (this.#global.active >= max) {
      this.#opts.log.info({ running: this.#global.active, waiting: this.#global.waiting.length + 1 }, "run waits for a free turn of the process");
    }
    tracked.holdsGlobal = await this.#take(this.#global, max, tracked.cancel.signal, onQueued);
  }

  /** One of `slots`' turns: true once held, false if `signal` aborted first. */
  async #take(slots: Slots, max: number, signal: AbortSignal, onQueued: ((ahead: number) => void) | undefined): Promise<boolean> {
    if (slots.active < max) {
      slots.active++;
      return true;
    }
    if (signal.aborted) return false;
    // The turn is handed over by `#give` (still counted as active), so no newcomer can
    // take it between one run's end and the next one's start.
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        wake: () => {
          signal.removeEventListener("abort", leave);
          resolve(true);
        },
        onQueued,
      };
      const leave = (): void => {
        const at = slots.waiting.indexOf(waiter);
        if (at >= 0) slots.waiting.splice(at, 1);
        slots.tellPositions();
        resolve(false);
      };
      slots.waiting.push(waiter);
      signal.addEventListener("abort", leave, { once: true });
      onQueued?.(slots.active + slots.waiting.length - 1);
    });
  }

  /** Hands a finished run's turns to the next waiting runs. */
  #release(tracked: Tracked): void {
    if (tracked.holdsGlobal) {
      tracked.holdsGlobal = false;
      this.#give(this.#global);
    }
    const key = tracked.ticket.installationKey;
    const slots = key === undefined ? undefined : this.#slots.get(key);
    if (!slots || !tracked.holdsSlot) return;
    tracked.holdsSlot = false;
    this.#give(slots);
    if (slots.active === 0) this.#slots.delete(key as string);
  }

  #give(slots: Slots): void {
    const next = slots.waiting.shift();
    // The turn passes on, still counted.
    if (next) next.wake();
    else slots.active--;
    slots.tellPositions();
  }

  /** True the first time a delivery and its trigger are seen; false for any redelivery. */
  claim(ticket: Pick<RunTicket, "deliveryId" | "triggerKey">): Promise<boolean> {
    return this.#opts.journal.claim([`delivery:${ticket.deliveryId}`, `trigger:${ticket.triggerKey}`]);
  }

  /** Cancels the run that currently has the issue's turn. True if there was one. */
  stop(issueKey: string, by: string): boolean {
    for (const run of this.#runs) {
      if (run.ticket.issueKey === issueKey && run.hasTurn && !run.cancel.signal.aborted) {
        run.cancel.abort({ kind: "stop", by } satisfies CancelReason);
        return true;
      }
    }
    return false;
  }

  /** Keeps a background promise alive until shutdown has waited for it. */
  track<T>(task: Promise<T>): Promise<T> {
    this.#tasks.add(task);
    const forget = (): void => void this.#tasks.delete(task);
    task.then(forget, forget);
    return task;
  }

  /** Resolves once no background work is left. */
  async settled(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  get activeRuns(): number {
    return this.#runs.size;
  }

  /** Issues and installations with state held here, and background tasks (for tests and metrics): all 0 once no work is left. */
  get held(): { readonly issues: number; readonly installations: number; readonly tasks: number } {
    return { issues: this.#tails.size, installations: this.#slots.size, tasks: this.#tasks.size };
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { log, graceMs, flushMs } = this.#opts;
    for (const run of this.#runs) {
      if (!run.hasTurn) run.cancel.abort({ kind: "shutdown" } satisfies CancelReason);
    }
    log.info({ runs: this.#runs.size, graceMs }, "shutting down: letting running answers finish");
    if (!(await this.#settledWithin(graceMs))) {
      log.warn({ runs: this.#runs.size }, "grace period over: interrupting running answers");
      for (const run of this.#runs) run.cancel.abort({ kind: "shutdown" } satisfies CancelReason);
      if (!(await this.#settledWithin(flushMs))) {
        this.#flush.abort(new Error("shutdown: no time left for final writes"));
        await this.#settledWithin(Math.max(1, flushMs / 10));
      }
    }
  }

  async #settledWithin(ms: number): Promise<boolean> {
    const timer = new AbortController();
    try {
      return await Promise.race([this.settled().then(() => true), this.#opts.clock.sleep(ms, timer.signal).then(() => false)]);
    } finally {
      timer.abort();
    }
  }
}
