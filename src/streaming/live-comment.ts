import { MAX_PART_CHARS, renderComment, reopener, splitText, type PartState, type RenderInput } from "../comments/comment-format.js";
import { isGitHubError } from "../github/errors.js";
import type { InstallationApi } from "../github/installation.js";
import type { GitHubWrites } from "../github/issue-writes.js";
import type { IssueRef } from "../github/refs.js";
import type { SlotRequest } from "../scheduler/write-scheduler.js";
import { retry } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";

/**
 * One run's answer on GitHub: a comment that is edited as text streams in.
 *
 * The comment is reconciled, not patched: `#desired()` renders what every part of the
 * answer should say now, and each write slot the scheduler grants performs the single
 * most useful write towards it (create a missing part, complete an earlier part, then
 * refresh the live one), computed when the slot starts. So edits coalesce to the latest
 * text, nothing is sent twice, and a deleted comment is simply created again.
 *
 * Text longer than one comment continues in follow-up comments, linked both ways; the
 * parts concatenate to exactly the model's text.
 */

export interface FinalOutcome {
  readonly state: Exclude<PartState, "streaming">;
  /** Shown above the footer: why the answer is incomplete, in plain words. */
  readonly notice?: string;
}

export interface LiveCommentOptions {
  readonly api: Pick<InstallationApi<SlotRequest>, "write">;
  readonly issue: IssueRef;
  readonly runId: string;
  readonly trigger?: string;
  readonly model: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Minimum time from the end of one write of this answer to the start of its next progress edit. */
  readonly editIntervalMs: number;
  /** Attempts for each final write that fails transiently, and the first backoff delay. */
  readonly finalAttempts: number;
  readonly finalBackoffMs: number;
  readonly maxPartChars?: number;
  /** Default MAX_ANSWER_CHARS. */
  readonly maxAnswerChars?: number;
  /**
   * How the text of one comment is shown (the planner links and marks the references it
   * names, mentions are neutralized, foreign images defused): applied to each part as the
   * comment GitHub renders it, and again only when that part's text changed. Default: as it is.
   */
  readonly present?: (text: string) => string;
  /** Told after every successful write what each part now shows (the run journal keeps it, to close the answer after a crash). */
  readonly onWritten?: (parts: readonly WrittenPart[]) => void;
}

/** A part as GitHub shows it: its comment, and what it was rendered from. */
export interface WrittenPart {
  readonly id: number;
  readonly url: string;
  readonly input: RenderInput;
}

interface Part {
  id?: number;
  url?: string;
  /** Body last written successfully, and what it was rendered from. */
  written?: string;
  input?: RenderInput;
}

type Write = { readonly kind: "create" | "update"; readonly index: number; readonly body: string; readonly input: RenderInput };

const MAX_RECREATIONS = 3;

/**
 * The longest answer shown (about four comments; a plan is a few thousand characters, and
 * OpenAI's models stop at 32k output tokens, ~130k characters). A model streaming without
 * end would otherwise make every edit render ever more text on the one event loop; what
 * comes past it is not shown, the comment says so, and the log keeps it.
 */
export const MAX_ANSWER_CHARS = 256_000;

/** One part of the model's text as shown, kept while the part's text stays the same. */
interface Presented {
  readonly raw: string;
  /** The fence it was reopened with (see `reopener`), as given. */
  readonly reopen: string;
  readonly text: string;
  /** The reopen actually rendered: "" when presenting changed the fence line. */
  readonly shownReopen: string;
  /** What the next part must reopen; computed on first use. */
  next?: string;
}

export interface DeliveryResult {
  readonly delivered: boolean;
  readonly urls: readonly string[];
}

export class LiveComment {
  readonly #opts: LiveCommentOptions;
  readonly #parts: Part[] = [];
  #text = "";
  /** The whole text, when it is longer than the answer may be. */
  #overlong: string | undefined;
  readonly #presented: Presented[] = [];
  #activity: string | undefined;
  #notes: readonly string[] = [];
  #usage: string | undefined;
  #final: FinalOutcome | undefined;
  #progress: AbortController | undefined;
  #lastWriteEndedAt = Number.NEGATIVE_INFINITY;
  #broken = false;
  #recreated = 0;

  constructor(opts: LiveCommentOptions) {
    this.#opts = opts;
  }

  get urls(): string[] {
    return this.#parts.flatMap((p) => (p.url ? [p.url] : []));
  }

  /** Creates the first comment, showing that devbuddy is at work. Throws if GitHub refuses. */
  async start(): Promise<void> {
    const failure = await this.#drive(() => this.#parts[0]?.id !== undefined);
    if (failure !== undefined) throw failure.error;
    // Text that arrived while the comment was being created.
    this.#requestProgress();
  }

  /** The full text so far (not a delta): the latest always wins. */
  update(text: string): void {
    if (this.#final) return;
    const max = this.#opts.maxAnswerChars ?? MAX_ANSWER_CHARS;
    if (text.length > max) {
      this.#overlong = text;
      // Not between the halves of a surrogate pair.
      text = text.slice(0, isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max);
    }
    this.#text = text;
    this.#requestProgress();
  }

  /** What devbuddy is doing now ("reading `src/ai.ts` …"), shown in the status line while streaming. */
  setActivity(activity: string | undefined): void {
    if (this.#final || activity === this.#activity) return;
    this.#activity = activity;
    this.#requestProgress();
  }

  /** What the answer cost ("≈12.3k tokens"), shown in the status line of its last part. */
  setUsage(usage: string): void {
    this.#usage = usage;
    this.#requestProgress();
  }

  /** Facts shown above the status line, e.g. an invalid config; they stay in the final comment. */
  setNotes(notes: readonly string[]): void {
    this.#notes = notes;
    this.#requestProgress();
  }

  /**
   * Writes the final text and outcome. Transient failures are retried with backoff; a
   * rate limit waits in the scheduler. If the answer cannot be delivered (or `signal`
   * gives up first), its full text goes to the log, so no text is ever lost.
   */
  async finish(outcome: FinalOutcome, signal?: AbortSignal): Promise<DeliveryResult> {
    const overlong = this.#overlong;
    if (overlong !== undefined) {
      const shown = this.#text.length;
      this.#opts.log.warn(
        { runId: this.#opts.runId, shown, length: overlong.length, rest: overlong.slice(shown) },
        "the answer was longer than an answer may be; the part not shown is in this log line",
      );
      const cut = `✂️ The answer was longer than ${shown.toLocaleString("en-US")} characters; devbuddy showed only that much.`;
      outcome = { ...outcome, notice: outcome.notice ? `${outcome.notice}\n${cut}` : cut };
    }
    this.#final = outcome;
    this.#progress?.abort();
    const failure = await this.#drive(() => this.#next() === null, signal);
    return failure === undefined ? { delivered: true, urls: this.urls } : this.#undelivered(failure.error);
  }

  /**
   * Essential writes until `done()`. Transient failures are retried with backoff; returns
   * the error that made it give up, if it did.
   */
  async #drive(done: () => boolean, signal?: AbortSignal): Promise<{ error: unknown } | undefined> {
    const { api, runId, clock, log, finalAttempts, finalBackoffMs } = this.#opts;
    while (!done()) {
      try {
        await retry(() => api.write({ priority: "essential", key: runId, ...(signal ? { signal } : {}) }, (w) => this.#writeOnce(w)), {
          clock,
          attempts: finalAttempts,
          backoff: { baseMs: finalBackoffMs },
          retryable: (error) => isGitHubError(error, "transient"),
          ...(signal ? { signal } : {}),
          onFailure: (error, { attempt, delayMs }) =>
            log.warn({ err: error, runId, failures: attempt + 1, retry: delayMs !== undefined }, "writing the answer comment failed"),
        });
      } catch (error) {
        return { error };
      }
    }
    return undefined;
  }

  #undelivered(reason: unknown): DeliveryResult {
    this.#opts.log.error(
      { runId: this.#opts.runId, reason: reason instanceof Error ? reason.message : String(reason), text: this.#text },
      "could not deliver the answer to GitHub; its full text is in this log line",
    );
    return { delivered: false, urls: this.urls };
  }

  #requestProgress(): void {
    if (this.#progress || this.#final || this.#broken || this.#parts[0]?.id === undefined) return;
    if (this.#next() === null) return;
    const controller = new AbortController();
    this.#progress = controller;
    const notBefore = this.#lastWriteEndedAt + this.#opts.editIntervalMs;
    this.#opts.api
      .write({ priority: "progress", key: this.#opts.runId, notBefore, signal: controller.signal }, (w) => this.#writeOnce(w))
      .then(
        () => {
          this.#progress = undefined;
          this.#requestProgress();
        },
        (error: unknown) => {
          this.#progress = undefined;
          if (controller.signal.aborted) return;
          // A transient failure is retried by the next update; anything else would fail
          // every later edit too, so stop editing and let `finish` report it.
          if (!isGitHubError(error, "transient")) this.#broken = true;
          this.#opts.log.warn({ err: error, runId: this.#opts.runId }, "progress edit of the answer failed");
        },
      );
  }

  #desired(): Array<{ readonly input: RenderInput; readonly body: string }> {
    const chunks = this.#shownParts();
    const state: PartState = this.#final?.state ?? "streaming";
    const last = chunks.length - 1;
    return chunks.map(({ text, reopen }, index) => {
      const previousUrl = this.#parts[index - 1]?.url;
      const nextUrl = this.#parts[index + 1]?.url;
      const input: RenderInput = {
        text,
        ...(reopen ? { reopen } : {}),
        meta: {
          v: 1,
          run: this.#opts.runId,
          part: index + 1,
          state,
          ...(this.#opts.trigger === undefined ? {} : { trigger: this.#opts.trigger }),
        },
        model: this.#opts.model,
        ...(index === last && this.#final?.notice ? { notice: this.#final.notice } : {}),
        ...(index === last && this.#notes.length > 0 ? { notes: this.#notes } : {}),
        ...(index === last && this.#usage ? { usage: this.#usage } : {}),
        ...(index === last && !this.#final && this.#activity ? { activity: this.#activity } : {}),
        ...(previousUrl ? { previousUrl } : {}),
        ...(nextUrl ? { nextUrl } : {}),
        ...(this.#final ? { parts: chunks.length } : {}),
      };
      return { input, body: renderComment(input) };
    });
  }

  /**
   * The parts as shown. The model's text is cut into parts first and each is presented as
   * the comment it becomes (a part cut inside a fence reopens it, so its code stays code),
   * so an edit presents only the part whose text changed, not the whole answer again. A
   * part that presenting made too long (links are longer than names) is cut once more.
   */
  #shownParts(): Array<{ readonly text: string; readonly reopen: string }> {
    const max = this.#opts.maxPartChars ?? MAX_PART_CHARS;
    const raw = splitText(this.#text, max);
    const shown: Array<{ text: string; reopen: string }> = [];
    let reopen = "";
    raw.forEach((text, index) => {
      let part = this.#presented[index];
      if (part?.raw !== text || part.reopen !== reopen) {
        part = this.#present(text, reopen);
        this.#presented[index] = part;
      }
      if (part.text.length <= max) shown.push({ text: part.text, reopen: part.shownReopen });
      else {
        let before = part.shownReopen;
        splitText(part.text, max).forEach((piece, at) => {
          shown.push({ text: piece, reopen: at === 0 ? part.shownReopen : reopener(before) });
          before += piece;
        });
      }
      if (index < raw.length - 1) reopen = part.next ??= reopener(part.reopen + part.raw);
    });
    this.#presented.length = raw.length;
    return shown;
  }

  #present(raw: string, reopen: string): Presented {
    const present = this.#opts.present;
    if (!present) return { raw, reopen, text: raw, shownReopen: reopen };
    const out = present(reopen + raw);
    return out.startsWith(reopen) ? { raw, reopen, text: out.slice(reopen.length), shownReopen: reopen } : { raw, reopen, text: out, shownReopen: "" };
  }

  /** The one write that brings GitHub closest to `#desired()`, or null when it shows it already. */
  #next(): Write | null {
    const desired = this.#desired();
    const missing = desired.findIndex((_, i) => this.#parts[i]?.id === undefined);
    const stale = missing >= 0 ? missing : desired.findIndex((want, i) => this.#parts[i]?.written !== want.body);
    if (stale < 0) return null;
    const want = desired[stale] as { input: RenderInput; body: string };
    return { kind: missing >= 0 ? "create" : "update", index: stale, ...want };
  }

  async #writeOnce(writes: GitHubWrites): Promise<void> {
    const next = this.#next();
    if (next === null) return;
    const part = (this.#parts[next.index] ??= {});
    try {
      const posted =
        next.kind === "create"
          ? await writes.createComment(this.#opts.issue, next.body)
          : await writes.updateComment(this.#opts.issue, part.id as number, next.body);
      part.id = posted.id;
      part.url = posted.url;
      part.written = next.body;
      part.input = next.input;
      this.#opts.onWritten?.(
        this.#parts.flatMap((p) => (p.id !== undefined && p.url !== undefined && p.input ? [{ id: p.id, url: p.url, input: p.input }] : [])),
      );
    } catch (error) {
      if (!(isGitHubError(error, "not-found") && next.kind === "update")) throw error;
      // Someone deleted this part. The next write posts it again (GitHub cannot restore a
      // deleted comment); a bounded number of times, in case deletions keep coming.
      if (++this.#recreated > MAX_RECREATIONS) throw error;
      this.#opts.log.warn({ runId: this.#opts.runId, commentId: part.id }, "answer comment was deleted; posting it again");
      delete part.id;
      delete part.url;
      delete part.written;
      delete part.input;
    } finally {
      this.#lastWriteEndedAt = this.#opts.clock.now();
    }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
