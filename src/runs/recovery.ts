import { parseComment, renderComment, type PartMeta, type RenderInput } from "../comments/comment-format.js";
import type { RunRecord, WrittenPart } from "../state/run-journal.js";

/**
 * What to do, after a restart, with a run an earlier process left unfinished. Pure:
 * `Devbuddy.recover` reads what GitHub shows of the run and applies the result.
 *
 * What GitHub shows wins over the journal: the journal has the last write the killed
 * process saw answered, but a write it sent may have landed after all (its final edit,
 * a follow-up part it was creating). So the run's comments are read back first.
 *
 * - One of its comments still says "writing…": close them all honestly, with the text
 *   each shows and a notice on the last.
 * - All of them are closed (the final edit landed): nothing to do.
 * - Nothing of it is visible: run it again from the start, once. A request that keeps
 *   the App from finishing (an out-of-memory kill, say) must not do so forever.
 * - Acknowledged (👀) but its second start failed too: say so in a comment.
 */

/** Processes that may start one request: the first, and one after a restart. */
export const MAX_ATTEMPTS = 2;

export const GAVE_UP_NOTICE =
  "⏸️ Interrupted: devbuddy was restarted twice while preparing this answer, so it gave up on this request. Mention me again to retry.";

/** One of the run's comments as GitHub shows it now. */
export interface ShownComment {
  readonly id: number;
  readonly body: string;
}

export type Recovery =
  | { readonly kind: "close"; readonly edits: ReadonlyArray<{ readonly commentId: number; readonly body: string }> }
  | { readonly kind: "resume"; readonly attempt: number }
  | { readonly kind: "give-up"; readonly notice?: string }
  /** Its comments were closed before the crash, or deleted since: only the journal entry was left. */
  | { readonly kind: "forget" };

interface Part {
  readonly id: number;
  readonly url: string | undefined;
  readonly text: string;
  readonly meta: PartMeta;
  /** What the journal knew of its footer (notes, model, usage). */
  readonly input: RenderInput | undefined;
}

export function planRecovery(run: RunRecord, notice: string, shown: readonly ShownComment[]): Recovery {
  const parts = partsOf(run, shown);
  if (parts.length > 0) {
    if (parts.every((part) => part.meta.state !== "streaming")) return { kind: "forget" };
    return { kind: "close", edits: parts.map((part, i) => ({ commentId: part.id, body: closedBody(parts, i, notice) })) };
  }
  // It had posted, but the comments are gone: someone deleted them.
  if (run.parts.length > 0) return { kind: "forget" };
  if (run.attempt < MAX_ATTEMPTS) return { kind: "resume", attempt: run.attempt + 1 };
  // Still "accepted": the sender was never authorized, so nobody is owed a reply.
  return run.phase === "answering" ? { kind: "give-up", notice: GAVE_UP_NOTICE } : { kind: "give-up" };
}

/** The run's comments GitHub shows, in part order, with what the journal knew of each. */
function partsOf(run: RunRecord, shown: readonly ShownComment[]): Part[] {
  const known = new Map<number, WrittenPart>(run.parts.map((part) => [part.id, part]));
  const someUrl = run.parts[0]?.url;
  const parts: Part[] = [];
  for (const comment of shown) {
    const parsed = parseComment(comment.body);
    if (!parsed || parsed.meta.run !== run.runId) continue;
    const journal = known.get(comment.id);
    // A part the journal never heard of (created as the process died) gets its URL from a known one's.
    const url = journal?.url ?? someUrl?.replace(/\d+$/, String(comment.id));
    parts.push({ id: comment.id, url, text: parsed.text, meta: parsed.meta, input: journal?.input });
  }
  return parts.sort((a, b) => a.meta.part - b.meta.part);
}

/**
 * Part `i` as an interrupted answer: the text GitHub shows, its footer as the journal
 * knew it, linked to its neighbours, the notice on the last part.
 */
function closedBody(parts: readonly Part[], i: number, notice: string): string {
  const part = parts[i] as Part;
  const { activity: _activity, notice: _notice, previousUrl: _previous, nextUrl: _next, ...footer } = part.input ?? { meta: part.meta };
  const previousUrl = parts[i - 1]?.url;
  const nextUrl = parts[i + 1]?.url;
  return renderComment({
    ...footer,
    text: part.text,
    meta: { ...part.meta, state: "interrupted" },
    parts: parts.length,
    ...(previousUrl ? { previousUrl } : {}),
    ...(nextUrl ? { nextUrl } : {}),
    ...(i === parts.length - 1 ? { notice } : {}),
  });
}
