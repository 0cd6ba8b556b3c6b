import { renderComment } from "../comments/comment-format.js";
import type { RunRecord, WrittenPart } from "../state/run-journal.js";

/**
 * What to do, after a restart, with a run an earlier process left unfinished: the
 * journal says what GitHub shows of it. Pure: `Devbuddy.recover` applies the result.
 *
 * - Its comment says "writing…": close it honestly, with the text it has and a notice.
 * - Nothing of it is visible yet: run it again from the start, once. A request that
 *   keeps the App from finishing (an out-of-memory kill, say) must not do so forever.
 * - Acknowledged (👀) but its second start failed too: say so in a comment.
 */

/** Processes that may start one request: the first, and one after a restart. */
export const MAX_ATTEMPTS = 2;

export const GAVE_UP_NOTICE =
  "⏸️ Interrupted: devbuddy was restarted twice while preparing this answer, so it gave up on this request. Mention me again to retry.";

export type Recovery =
  | { readonly kind: "close"; readonly edits: ReadonlyArray<{ readonly commentId: number; readonly body: string }> }
  | { readonly kind: "resume"; readonly attempt: number }
  | { readonly kind: "give-up"; readonly notice?: string }
  /** Its comment was closed before the crash; only the journal entry was left. */
  | { readonly kind: "forget" };

export function planRecovery(run: RunRecord, notice: string): Recovery {
  if (run.parts.length > 0) {
    if (run.parts.every((part) => part.input.meta.state !== "streaming")) return { kind: "forget" };
    return { kind: "close", edits: run.parts.map((part, i) => ({ commentId: part.id, body: closedBody(run.parts, i, notice) })) };
  }
  if (run.attempt < MAX_ATTEMPTS) return { kind: "resume", attempt: run.attempt + 1 };
  // Still "accepted": the sender was never authorized, so nobody is owed a reply.
  return run.phase === "answering" ? { kind: "give-up", notice: GAVE_UP_NOTICE } : { kind: "give-up" };
}

/**
 * Part `i` re-rendered as an interrupted answer: the text it shows, linked to its
 * neighbours, the notice on the last part. Only what GitHub showed is used, so the body
 * says no more and no less than the answer had.
 */
function closedBody(parts: readonly WrittenPart[], i: number, notice: string): string {
  const part = parts[i] as WrittenPart;
  const { activity: _activity, notice: _notice, previousUrl: _previous, nextUrl: _next, ...kept } = part.input;
  const previousUrl = parts[i - 1]?.url;
  const nextUrl = parts[i + 1]?.url;
  return renderComment({
    ...kept,
    meta: { ...part.input.meta, state: "interrupted" },
    parts: parts.length,
    ...(previousUrl ? { previousUrl } : {}),
    ...(nextUrl ? { nextUrl } : {}),
    ...(i === parts.length - 1 ? { notice } : {}),
  });
}
