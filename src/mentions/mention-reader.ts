import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Piscina } from "piscina";
import { mayMention, parseMention, type Mention } from "./parse-mention.js";

/**
 * Reads a comment for a request to devbuddy on the webhook path without holding the event
 * loop (README, "Security model"). A comment that names devbuddy is read with the Markdown
 * reader: in time linear in its length, but a 64 KB comment of hostile emphasis or brackets
 * still takes 15–30 ms, and a burst of them arriving together would hold the loop for their
 * sum. So a comment up to `inlineChars` is read here (well under a millisecond), a longer one in a
 * worker thread (piscina). If the worker cannot read it (it died, or took longer than
 * `budgetMs` because a burst queued ahead of it), the comment is read here after a turn of
 * the loop: a request is never dropped because a worker failed.
 *
 * The worker runs the compiled module (lib/mentions/mention-worker.js), as parse-pool.ts does.
 */

const WORKER = fileURLToPath(new URL("../../lib/mentions/mention-worker.js", import.meta.url));

export interface MentionReaderOptions {
  /** Comments up to this many characters are read on the calling thread (default 4,096). */
  readonly inlineChars?: number;
  /** Worker threads at most (default: one core less than the machine has, at least 1, at most 2). */
  readonly threads?: number;
  /** Time one comment may wait and take in a worker before it is read here instead (default 2 s). */
  readonly budgetMs?: number;
  /** Told when a worker failed and the comment was read here. */
  readonly onFallback?: (reason: unknown) => void;
}

/**
 * A worker that read a megabyte comment holds ~50 MB of heap until it exits: it exits after a
 * second idle, and its young generation is kept small, so a pasted log does not leave the
 * process tens of megabytes larger (the size-bomb e2e test bounds the App's memory).
 */
const IDLE_MS = 1_000;
const YOUNG_MB = 8;

export class MentionReader {
  readonly #inlineChars: number;
  readonly #budgetMs: number;
  readonly #threads: number;
  readonly #onFallback: (reason: unknown) => void;
  #pool: Piscina<{ text: string; slug: string }, Mention | null> | undefined;

  constructor(options: MentionReaderOptions = {}) {
    this.#inlineChars = options.inlineChars ?? 4_096;
    this.#budgetMs = options.budgetMs ?? 2_000;
    this.#threads = options.threads ?? Math.min(2, Math.max(1, availableParallelism() - 1));
    this.#onFallback = options.onFallback ?? (() => undefined);
  }

  /** What the comment asks of devbuddy (`slug` is the App's login without `[bot]`), or null. */
  async read(text: string | null | undefined, slug: string): Promise<Mention | null> {
    if (typeof text !== "string" || !mayMention(text, slug)) return null;
    if (text.length <= this.#inlineChars) return parseMention(text, slug);
    this.#pool ??= new Piscina({ filename: WORKER, minThreads: 0, maxThreads: this.#threads, idleTimeout: IDLE_MS, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } });
    try {
      return await this.#pool.run({ text, slug }, { signal: AbortSignal.timeout(this.#budgetMs) });
    } catch (error) {
      this.#onFallback(error);
      await nextTurn();
      return parseMention(text, slug);
    }
  }

  /** Ends the workers (shutdown, tests). */
  async destroy(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }
}
