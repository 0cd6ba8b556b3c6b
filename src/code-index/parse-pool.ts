import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { FileAnalysis } from "./symbol-index.js";

/**
 * Parses source files in worker threads (piscina), one file per task, so that neither a
 * large repository nor one large file holds the event loop that answers every
 * installation's webhooks. A file that makes the parser throw (a `RangeError` on a member
 * chain 60,000 deep), crashes its worker (out of memory: `resourceLimits`) or takes longer
 * than `fileBudgetMs` (its worker is terminated) fails alone: the caller skips it and says so.
 *
 * The worker runs the compiled module (lib/code-index/parse-worker.js): `npm start` runs
 * lib/ anyway, and the test suite builds it once before any test (test/setup/build-once.ts).
 * The URL is the same from src/code-index/ (tests) and lib/code-index/ (production).
 */

const WORKER = fileURLToPath(new URL("../../lib/code-index/parse-worker.js", import.meta.url));

export interface ParseOptions {
  /** Worker threads at most (default: one core less than the machine has, at least 1, at most 4). */
  readonly threads?: number;
  /** Time one file may take in its worker before the worker is terminated (default 10 s). */
  readonly fileBudgetMs?: number;
  /** Heap a worker may use; past it the worker dies and only its file is lost (default 512 MB). */
  readonly maxHeapMb?: number;
}

export type ParseOutcome =
  | { readonly ok: true; readonly analysis: FileAnalysis | undefined }
  | { readonly ok: false; readonly reason: string };

const DEFAULT_BUDGET_MS = 10_000;
const DEFAULT_HEAP_MB = 512;
/** Idle workers exit after this; they are unref'd meanwhile, so they never keep the process alive. */
const IDLE_MS = 30_000;

export class ParsePool {
  readonly #pool: Piscina<{ path: string; text: string }, FileAnalysis | undefined>;
  readonly #budgetMs: number;

  constructor(options: ParseOptions = {}) {
    this.#budgetMs = options.fileBudgetMs ?? DEFAULT_BUDGET_MS;
    const threads = options.threads ?? Math.min(4, Math.max(1, availableParallelism() - 1));
    this.#pool = new Piscina({
      filename: WORKER,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: IDLE_MS,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? DEFAULT_HEAP_MB },
    });
  }

  /** Worker threads at most: how many files may be parsed at once. */
  get threads(): number {
    return this.#pool.maxThreads;
  }

  /**
   * Parses one file in a worker. Never rejects: a failure is an outcome naming its reason.
   * The budget starts when the task is handed over, so callers keep at most `threads` in flight.
   */
  async parse(path: string, text: string): Promise<ParseOutcome> {
    const timeout = AbortSignal.timeout(this.#budgetMs);
    try {
      return { ok: true, analysis: await this.#pool.run({ path, text }, { signal: timeout }) };
    } catch (error) {
      if (timeout.aborted) return { ok: false, reason: `took longer than ${Number((this.#budgetMs / 1000).toFixed(1))} s to parse` };
      return { ok: false, reason: failureReason(error) };
    }
  }

  /** Ends the workers (tests, shutdown). */
  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}

function failureReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_WORKER_OUT_OF_MEMORY") return "parsing it ran out of memory";
  if (error instanceof RangeError) return "nested too deeply to parse";
  return "the parser failed on it";
}

let shared: ParsePool | undefined;

/** The process-wide pool, created on first use. */
export function sharedParsePool(): ParsePool {
  shared ??= new ParsePool();
  return shared;
}

/**
 * Files that failed to parse, remembered by content across builds (a new snapshot of the same
 * commit, another branch holding the same file), so that one bad file costs its budget once,
 * not on every run. Keyed by path and length first, so that only a likely match is hashed.
 */
export class ParseFailures {
  readonly #max: number;
  /** "path\u0000length" → sha256 of the text and why it failed; in insertion order, oldest first. */
  readonly #failed = new Map<string, { readonly hash: string; readonly reason: string }>();

  constructor(max = 256) {
    this.#max = max;
  }

  /** Why this exact file failed before; undefined when it did not. */
  known(path: string, text: string): string | undefined {
    const entry = this.#failed.get(`${path}\u0000${text.length}`);
    return entry !== undefined && entry.hash === hashOf(text) ? entry.reason : undefined;
  }

  remember(path: string, text: string, reason: string): void {
    const key = `${path}\u0000${text.length}`;
    this.#failed.delete(key);
    this.#failed.set(key, { hash: hashOf(text), reason });
    while (this.#failed.size > this.#max) this.#failed.delete(this.#failed.keys().next().value as string);
  }
}

function hashOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
