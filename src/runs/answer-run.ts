import { parseComment } from "../comments/comment-format.js";
import { threadToMessages, type ThreadEntry, type ThreadIssue } from "../conversation/thread-to-messages.js";
import type {
  InstallationApi,
  IssueRef,
  ReactionContent,
  ReactionTarget,
  RepoPermission,
  RepoRef,
} from "../github/github-adapter.js";
import { LiveComment, type FinalOutcome } from "../streaming/live-comment.js";
import type { ModelClient } from "../streaming/model-client.js";
import { ModelError, type FinishReason, type TokenUsage } from "../streaming/stream-parts.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { CancelReason, RunHandle } from "./run-coordinator.js";

/**
 * One answer, from a mention to a finished comment: authorize the sender, acknowledge,
 * wait for the issue's turn, read the thread, stream the model's text into a live
 * comment, and close it with an honest outcome and a reaction.
 */

/** The plain data a run needs, taken from the webhook payload by the handler. */
export interface AnswerRequest {
  readonly deliveryId: string;
  readonly installationId: number;
  readonly repo: RepoRef;
  readonly issue: ThreadIssue;
  /** The comment (or the issue) that asked; it gets the reactions. */
  readonly target: ReactionTarget;
  /** "c<comment id>" or "i<issue id>": the same request across redeliveries. */
  readonly triggerKey: string;
  /** The triggering comment as the payload had it, in case the comment list lags behind. */
  readonly triggerComment?: ThreadEntry;
  readonly sender: string;
}

export interface AnswerRunDeps {
  readonly api: InstallationApi;
  readonly model: ModelClient;
  readonly botLogin: string;
  readonly systemPrompt: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly editIntervalMs: number;
  readonly finalWrite: { readonly attempts: number; readonly backoffMs: number };
  readonly maxThreadComments: number;
  readonly runId: string;
}

const WRITERS: ReadonlySet<RepoPermission> = new Set(["admin", "maintain", "write"]);

export function mayTrigger(permission: RepoPermission): boolean {
  return WRITERS.has(permission);
}

function cancelReason(signal: AbortSignal): CancelReason | undefined {
  const reason = signal.reason as CancelReason | undefined;
  return signal.aborted && (reason?.kind === "stop" || reason?.kind === "shutdown") ? reason : undefined;
}

const RETRY_HINT = "Mention me again to retry.";

export function decideOutcome(input: {
  readonly text: string;
  readonly finish?: FinishReason;
  readonly failure?: ModelError;
  readonly cancel?: CancelReason;
}): FinalOutcome {
  if (input.cancel?.kind === "stop") return { state: "stopped", notice: `⏹️ Stopped at the request of ${input.cancel.by}.` };
  if (input.cancel?.kind === "shutdown") {
    return {
      state: "interrupted",
      notice: "⏸️ Interrupted: devbuddy was restarted while writing this answer. Mention me again to continue.",
    };
  }
  if (input.failure) {
    const lead = input.text.length > 0 ? "⚠️ This answer is incomplete." : "⚠️ devbuddy could not answer.";
    return { state: "failed", notice: `${lead} ${input.failure.message} ${RETRY_HINT}` };
  }
  if (input.finish === "length") {
    return { state: "done", notice: "✂️ The model reached its output limit, so this answer may end mid-way." };
  }
  if (input.finish === "content_filter") {
    return { state: "failed", notice: `⚠️ The model service withheld the rest of this answer (content filter). ${RETRY_HINT}` };
  }
  return { state: "done" };
}

function alreadyAnswered(comments: readonly ThreadEntry[], botLogin: string, triggerKey: string): boolean {
  return comments.some(
    (c) => c.author.toLowerCase() === botLogin.toLowerCase() && parseComment(c.body)?.meta.trigger === triggerKey,
  );
}

export async function runAnswer(request: AnswerRequest, handle: RunHandle, deps: AnswerRunDeps): Promise<void> {
  const { api, clock, runId } = deps;
  const issueRef: IssueRef = { ...request.repo, issueNumber: request.issue.number };
  const log = deps.log.child({ runId, issue: `${request.repo.owner}/${request.repo.repo}#${request.issue.number}` });
  const react = (content: ReactionContent): Promise<void> =>
    api
      .write({ priority: "essential", key: runId }, (w) => w.react(request.repo, request.target, content))
      .catch((error: unknown) => log.warn({ err: error, content }, "reaction failed"));

  // Only people who could push the change themselves may spend the App's budget; nothing
  // of the repository is sent anywhere for anyone else.
  let permission: RepoPermission;
  try {
    permission = await api.permission(request.repo, request.sender);
  } catch (error) {
    log.error({ err: error, sender: request.sender }, "could not read the sender's permission; not answering");
    await react("confused");
    return;
  }
  if (!mayTrigger(permission)) {
    log.info({ sender: request.sender, permission }, "mention by a user without write access ignored");
    await react("confused");
    return;
  }
  void react("eyes");

  const live = new LiveComment({
    api,
    issue: issueRef,
    runId,
    trigger: request.triggerKey,
    model: deps.model.model,
    clock,
    log,
    editIntervalMs: deps.editIntervalMs,
    finalAttempts: deps.finalWrite.attempts,
    finalBackoffMs: deps.finalWrite.backoffMs,
  });

  try {
    await handle.waitForTurn();
  } catch {
    // Stopping before the turn came: the App is shutting down.
    await live.finish(decideOutcome({ text: "", cancel: { kind: "shutdown" } }), handle.flushSignal);
    return;
  }

  let thread: ThreadEntry[];
  try {
    thread = await api.listComments(issueRef, deps.maxThreadComments);
  } catch (error) {
    log.error({ err: error }, "could not read the issue thread");
    await live.finish({ state: "failed", notice: `⚠️ devbuddy could not read this issue's comments from GitHub. ${RETRY_HINT}` }, handle.flushSignal);
    await react("confused");
    return;
  }
  if (alreadyAnswered(thread, deps.botLogin, request.triggerKey)) {
    log.info({ trigger: request.triggerKey }, "this request already has an answer; not answering again");
    return;
  }
  if (request.triggerComment && !thread.some((c) => c.id === request.triggerComment?.id)) {
    thread.push(request.triggerComment);
  }
  const messages = threadToMessages(request.issue, thread, {
    botLogin: deps.botLogin,
    currentRunId: runId,
    currentTrigger: request.triggerKey,
    systemPrompt: deps.systemPrompt,
  });

  const model = new AbortController();
  const onCancel = (): void => model.abort(handle.cancelSignal.reason);
  handle.cancelSignal.addEventListener("abort", onCancel, { once: true });
  let postFailure: unknown;
  const started = live.start().catch((error: unknown) => {
    postFailure = error;
    model.abort(error);
  });

  let text = "";
  let finish: FinishReason | undefined;
  let usage: TokenUsage | undefined;
  let failure: ModelError | undefined;
  try {
    if (handle.cancelSignal.aborted) onCancel();
    for await (const part of deps.model.stream(messages, model.signal)) {
      if (part.type === "text-delta") {
        text += part.text;
        live.update(text);
      } else {
        finish = part.reason;
        usage = part.usage;
      }
    }
  } catch (error) {
    failure = error instanceof ModelError ? error : new ModelError("server", "The model request failed unexpectedly.", { cause: error });
  } finally {
    handle.cancelSignal.removeEventListener("abort", onCancel);
  }
  await started;

  const cancel = cancelReason(handle.cancelSignal);
  const outcome = decideOutcome({
    text,
    ...(finish === undefined ? {} : { finish }),
    ...(failure && !cancel ? { failure } : {}),
    ...(cancel ? { cancel } : {}),
  });
  log.info(
    { outcome: outcome.state, finish, failure: failure?.kind, chars: text.length, usage, postFailure: postFailure !== undefined },
    "model run ended",
  );
  const delivery = await live.finish(outcome, handle.flushSignal);
  if (outcome.state === "done" && delivery.delivered) await react("rocket");
  else if (outcome.state === "failed" || !delivery.delivered) await react("confused");
}
