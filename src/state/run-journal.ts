import type { ThreadEntry, ThreadIssue } from "../conversation/thread-to-messages.js";
import type { ReactionTarget } from "../github/issue-writes.js";
import type { RepoRef } from "../github/refs.js";
import type { WrittenPart } from "../streaming/live-comment.js";

/**
 * What must outlive the process: which deliveries were handled (so a redelivery after a
 * restart is not answered twice) and which answers were in progress (so a hard kill never
 * leaves a comment that says "writing…" forever).
 *
 * Every method is asynchronous so that a shared store (Redis, for several instances of the
 * App) can implement it; `SqliteJournal` is the embedded one. Each process has its own
 * `instance` name and says it is alive (`heartbeat`): a run belongs to the instance that
 * started it, and another instance takes it over, through `adopt` (which succeeds once),
 * only after that instance closed the journal or fell silent. So a new process started
 * while the old one still finishes its answers (a rolling deploy) leaves them alone.
 */

export type { WrittenPart };

/**
 * A request as the webhook gave it (`src/handlers/mention-event.ts` reads it from the
 * payload): what a run starts from, kept in the journal so that a resumed run can too.
 */
export interface MentionEvent {
  readonly deliveryId: string;
  readonly installationId: number;
  readonly repo: RepoRef;
  readonly issue: ThreadIssue;
  /** The Markdown that may mention the App: the new comment, or the new issue's body. */
  readonly text: string;
  readonly target: ReactionTarget;
  readonly triggerKey: string;
  readonly triggerComment?: ThreadEntry;
  readonly sender: { readonly login: string; readonly type: string };
}

export type RunPhase =
  /** Accepted, not yet authorized: nothing is visible on GitHub. */
  | "accepted"
  /** Authorized and acknowledged (👀); its comment may be partly written. */
  | "answering";

export interface RunRecord {
  readonly runId: string;
  /** The request as the webhook gave it: what a resumed run starts from. */
  readonly event: MentionEvent;
  readonly phase: RunPhase;
  /** How many processes have started this run (1 for the first). */
  readonly attempt: number;
  /** Each comment of the answer as last written to GitHub: enough to write it again, closed. */
  readonly parts: readonly WrittenPart[];
  /** Wall-clock milliseconds. */
  readonly startedAt: number;
  readonly instance: string;
}

export interface RunJournal {
  /** This process's name in the journal. */
  readonly instance: string;
  /**
   * Records the keys (a delivery id, a trigger) atomically. True when none of them was
   * recorded before: the caller handles the request; false for a redelivery.
   */
  claim(keys: readonly string[]): Promise<boolean>;
  /** Which of `keys` were claimed before. */
  claimed(keys: readonly string[]): Promise<Set<string>>;
  /** A run was accepted (or resumed: `attempt` counts the processes that started it). */
  runAccepted(run: { readonly runId: string; readonly event: MentionEvent; readonly attempt: number }): Promise<void>;
  runAnswering(runId: string): Promise<void>;
  /** The parts of the answer as GitHub now shows them. */
  partsWritten(runId: string, parts: readonly WrittenPart[]): Promise<void>;
  /** The run's comment is closed (or it never had one): nothing is left to recover. */
  runEnded(runId: string): Promise<void>;
  /** Says this instance is alive (a count others watch, not a time); call it well within `silentForMs` of `unfinished`. */
  heartbeat(): Promise<void>;
  /**
   * Unended runs of other instances that closed the journal or have not said they are
   * alive for `silentForMs`, measured on this instance's own monotonic clock (never a
   * time another process wrote, so a wall-clock step cannot make a live peer look gone).
   */
  unfinished(silentForMs: number): Promise<RunRecord[]>;
  /**
   * Moves a run from one instance to another, if `from` still has it: false if someone else
   * took it first. Taking it over is `adopt(id, dead, this.instance)`; handing it back for
   * a later try is `adopt(id, this.instance, dead)`.
   */
  adopt(runId: string, from: string, to: string): Promise<boolean>;
  /** Forgets claims older than `olderThanMs` (wall clock; default: the store's retention, longer than GitHub's 3 days of redelivery). */
  prune(olderThanMs?: number): Promise<void>;
  /** Stops for good: this instance's unended runs become the next one's at once. */
  close(): Promise<void>;
}
