import { parseComment } from "../comments/comment-format.js";
import { neutralizeMentions } from "../comments/neutralize-mentions.js";
import { defuseImages, type ImagePolicy } from "../comments/defuse-images.js";
import { cappedNotice, configNotice, REPO_GUIDANCE_PATH, unreadableNotice, type RepoConfig, type RepoConfigDefaults } from "../config/repo-config.js";
import type { SystemPromptOptions } from "../conversation/system-prompt.js";
import { quoteThread, threadToMessages, type ThreadEntry, type ThreadIssue, type ThreadQuotes } from "../conversation/thread-to-messages.js";
import { factsFor, indexFor, unverifiableFacts, type Grounding } from "../planning/grounding.js";
import { runPlanLoop, type PlanLoopResult } from "../planning/plan-loop.js";
import { planMessages } from "../planning/plan-messages.js";
import { planKindOf } from "../planning/plan-request.js";
import { RepoTools } from "../planning/repo-tools.js";
import type { RepoView } from "../planning/repo-view.js";
import { buildStartingContext } from "../planning/starting-context.js";
import { extractTermsYielding, type Term } from "../planning/thread-terms.js";
import { truncateMiddle } from "../planning/token-budget.js";
import { referenceSummary, verifyReferences, type CodeFacts } from "../planning/verify-references.js";
import { isEmptyRepository } from "../github/errors.js";
import { sameLogin } from "../github/logins.js";
import { answersSinceLastPerson, MAX_BOT_ANSWERS_IN_A_ROW } from "../limits/bot-chain.js";
import { longestRun } from "../markdown/fences.js";
import type { CommentList } from "../github/comments.js";
import type { InstallationApi } from "../github/installation.js";
import type { ReactionContent, ReactionTarget } from "../github/issue-writes.js";
import type { IssueRef, RepoRef } from "../github/refs.js";
import type { SlotRequest } from "../scheduler/write-scheduler.js";
import { LiveComment, type FinalOutcome, type WrittenPart } from "../streaming/live-comment.js";
import type { ModelClient } from "../streaming/model-client.js";
import type { FinishReason, ModelError, TokenUsage } from "../streaming/stream-parts.js";
import { patternNotice } from "../repository/glob.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import { authorize, loadRepoConfig, type Authorization } from "./authorize.js";
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
  /** "Bot" for GitHub Apps and other bot accounts: they may trigger only when the repository allows them by name. */
  readonly senderType?: string;
}

/** What the repository loader is asked for; it answers with the repository at its default branch's head. */
export interface RepositoryRequest {
  readonly include: readonly string[] | undefined;
  readonly exclude: readonly string[];
  /** Ranks files when not all can be read: the ones the thread names first. */
  readonly priority: (path: string) => number;
  /** Read whatever the filters say: `.github/devbuddy.md`. */
  readonly pinned: readonly string[];
  readonly signal: AbortSignal;
}

export interface PlanningDeps {
  /** `.github/devbuddy.yml` as `readConfigFile` returns it (null when absent; throws on bad YAML). */
  readonly loadConfig: () => Promise<unknown>;
  readonly configDefaults: RepoConfigDefaults;
  readonly loadRepository: (request: RepositoryRequest) => Promise<RepoView>;
  /** Told of the symbol index built (or reused) for a view, so its memory is counted. */
  readonly indexed?: (view: RepoView, index: Grounding["index"]) => void;
}

export interface AnswerRunDeps {
  readonly api: InstallationApi<SlotRequest>;
  readonly model: ModelClient;
  readonly botLogin: string;
  readonly systemPrompt: (options: SystemPromptOptions) => string;
  readonly planning: PlanningDeps;
  readonly clock: Clock;
  readonly log: Logger;
  readonly editIntervalMs: number;
  readonly finalWrite: { readonly attempts: number; readonly backoffMs: number };
  readonly maxThreadComments: number;
  /** Where images in the answer may load from; others become links. Default: github.com only. */
  readonly images?: ImagePolicy;
  readonly runId: string;
  /**
   * Takes one request from the sender's allowance in this repository, whose config may
   * set it lower than the operator's; false when it is used up (the caller has told the
   * sender, once). Asked only for an authorized request.
   */
  readonly admit?: (requestsPerUser: number) => boolean;
  /** Told what the run shows on GitHub, so that an answer cut off by a crash can be closed after a restart. */
  readonly progress?: RunProgress;
  /**
   * Whether a 😕 to this sender, who may not ask, may be sent now (the caller limits them
   * per person and installation); default: always. It is the lowest-priority write.
   */
  readonly mayReactToStranger?: () => boolean;
}

export interface RunProgress {
  /** The run was authorized and acknowledged: from now on it is visible. */
  answering(): void;
  /** What each comment of the answer now shows. */
  written(parts: readonly WrittenPart[]): void;
}

function cancelReason(signal: AbortSignal): CancelReason | undefined {
  const reason = signal.reason as CancelReason | undefined;
  return signal.aborted && (reason?.kind === "stop" || reason?.kind === "shutdown") ? reason : undefined;
}

const GITHUB_IMAGES: ImagePolicy = { githubHost: "github.com", allowedHosts: [] };

const RETRY_HINT = "Mention me again to retry.";
/** Shown on an answer cut off by a restart: by a graceful shutdown, or found after a crash. */
export const INTERRUPTED_NOTICE = "⏸️ Interrupted: devbuddy was restarted while writing this answer. Mention me again to continue.";

export function decideOutcome(input: {
  readonly text: string;
  readonly finish?: FinishReason;
  readonly failure?: ModelError;
  readonly cancel?: CancelReason;
}): FinalOutcome {
  if (input.cancel?.kind === "stop") return { state: "stopped", notice: `⏹️ Stopped at the request of ${input.cancel.by}.` };
  if (input.cancel?.kind === "shutdown") {
    return { state: "interrupted", notice: INTERRUPTED_NOTICE };
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

/**
 * The comments the model may see: those GitHub shows minimized are left out. A gap in a
 * long thread stays after the last comment kept before it.
 */
export function visibleThread(listed: CommentList): { comments: ThreadEntry[]; gapAfterId?: number; hidden: number } {
  const comments: ThreadEntry[] = [];
  let gapAfterId: number | undefined;
  let hidden = 0;
  for (const { minimized, ...comment } of listed.comments) {
    if (minimized) hidden++;
    else comments.push(comment);
    if (comment.id === listed.gapAfterId) gapAfterId = comments.at(-1)?.id ?? comment.id;
  }
  return { comments, hidden, ...(gapAfterId === undefined ? {} : { gapAfterId }) };
}

function alreadyAnswered(comments: readonly ThreadEntry[], botLogin: string, triggerKey: string): boolean {
  return comments.some(
    (c) => sameLogin(c.author, botLogin) && parseComment(c.body)?.meta.trigger === triggerKey,
  );
}

/** Terms from the thread, the request weighing most: what the starting context looks for. */
async function threadTerms(request: AnswerRequest, thread: readonly ThreadEntry[], botLogin: string, quoted: ThreadQuotes): Promise<Term[]> {
  const human = thread.filter((c) => !sameLogin(c.author, botLogin));
  return extractTermsYielding([
    { text: `${request.issue.title}\n${quoted.issue.text}`, weight: 2 },
    ...human.map((c) => ({ text: quoted.comments.get(c.id)?.text ?? "", weight: c.id === request.triggerComment?.id ? 3 : 1 })),
  ]);
}

function priorityFor(terms: readonly Term[]): (path: string) => number {
  const needles = terms.filter((t) => t.text.length >= 3).map((t) => ({ text: t.text.toLowerCase(), weight: t.weight }));
  return (path) => {
    const lower = path.toLowerCase();
    return needles.reduce((score, n) => (lower.includes(n.text) ? score + n.weight : score), 0);
  };
}

const GUIDANCE_TOKENS = 4_000;
/** Source code runs at about 3–4 bytes a token; reserve for the worse case. */
const BYTES_PER_TOKEN = 3;
/** At most this share of the context budget is held back for tool results. */
const TOOL_SHARE = 0.3;

/** Prompt tokens kept free, when the first request is built, for what the tools will return. */
function toolRoom(limits: RepoConfig["limits"]): number {
  return Math.min(Math.ceil(limits.readBytes / BYTES_PER_TOKEN), Math.floor(limits.contextTokens * TOOL_SHARE));
}
/** Share of the context budget the starting context may use. */
const STARTING_CONTEXT_SHARE = 0.35;
const STARTING_CONTEXT_MAX_TOKENS = 24_000;

/**
 * Resolves to true once nothing on GitHub is left saying "writing…": the answer was closed,
 * or never posted. False when its last write could not be delivered, so that a later
 * start of the App can still close it.
 */
export async function runAnswer(request: AnswerRequest, handle: RunHandle, deps: AnswerRunDeps): Promise<boolean> {
  const { api, clock, runId } = deps;
  const issueRef: IssueRef = { ...request.repo, issueNumber: request.issue.number };
  const log = deps.log.child({ runId, issue: `${request.repo.owner}/${request.repo.repo}#${request.issue.number}` });
  const react = (content: ReactionContent): Promise<void> =>
    api
      .write({ priority: "essential", key: runId }, (w) => w.react(request.repo, request.target, content))
      .catch((error: unknown) => log.warn({ err: error, content }, "reaction failed"));

  const { config, problems, capped, keptPaths, unreadable } = await loadRepoConfig(deps.planning.loadConfig, deps.planning.configDefaults, log);
  let authorization: Authorization;
  try {
    authorization = await authorize(api, request, config, log);
  } catch (error) {
    log.error({ err: error, sender: request.sender }, "could not read the sender's permission; not answering");
    await react("confused");
    return true;
  }
  if (authorization === "ignored") return true;
  if (authorization === "denied") {
    // Anyone who can comment can cause this one: limited, and dropped before it costs an answer a write.
    if (deps.mayReactToStranger?.() ?? true) {
      await api
        .write({ priority: "courtesy", key: runId }, (w) => w.react(request.repo, request.target, "confused"))
        .catch((error: unknown) => log.info({ err: error }, "no 😕 for a sender who may not ask"));
    }
    return true;
  }
  if (deps.admit && !deps.admit(config.limits.requestsPerUser)) return true;
  deps.progress?.answering();
  void react("eyes");

  // What the plan's references are checked against; known once the repository was read.
  let facts: CodeFacts | undefined;
  const live = new LiveComment({
    // Every body shows the references checked, loads no image from a stranger's host, and pings nobody the model names.
    present: (text) => neutralizeMentions(defuseImages(facts ? verifyReferences(text, facts).text : text, deps.images ?? GITHUB_IMAGES)),
    api,
    issue: issueRef,
    runId,
    trigger: request.triggerKey,
    model: config.model ?? deps.model.model,
    clock,
    log,
    editIntervalMs: deps.editIntervalMs,
    finalAttempts: deps.finalWrite.attempts,
    finalBackoffMs: deps.finalWrite.backoffMs,
    ...(deps.progress ? { onWritten: deps.progress.written } : {}),
  });
  const notes: string[] = [];
  const configProblem = unreadable !== undefined ? unreadableNotice(unreadable) : (configNotice(problems, keptPaths) ?? cappedNotice(capped));
  if (configProblem) notes.push(configProblem);
  live.setNotes(notes);

  // Waiting for a free turn: the comment says so at once, and streams once the turn comes.
  const model = new AbortController();
  let postFailure: unknown;
  let started: Promise<void> | undefined;
  const start = (): Promise<void> =>
    (started ??= live.start().catch((error: unknown) => {
      postFailure = error;
      model.abort(error);
    }));
  /** Closes a comment posted while queued, for a request that turns out not to be answered. */
  const notAnswered = async (notice: string): Promise<boolean> => {
    if (!started) return true;
    await started;
    return (await live.finish({ state: "stopped", notice }, handle.flushSignal)).delivered;
  };
  try {
    await handle.waitForTurn((ahead) => {
      live.setActivity(`queued behind ${plural(ahead, "other request")}…`);
      void start();
    });
  } catch {
    // Stopping before the turn came: the App is shutting down.
    return (await live.finish(decideOutcome({ text: "", cancel: { kind: "shutdown" } }), handle.flushSignal)).delivered;
  }

  let listed: CommentList;
  try {
    listed = await api.listComments(issueRef, deps.maxThreadComments);
  } catch (error) {
    log.error({ err: error }, "could not read the issue thread");
    const delivery = await live.finish({ state: "failed", notice: `⚠️ devbuddy could not read this issue's comments from GitHub. ${RETRY_HINT}` }, handle.flushSignal);
    await react("confused");
    return delivery.delivered;
  }
  // This run's own comment, posted while it was queued, is neither an earlier answer nor one to a bot.
  const others = started
    ? listed.comments.filter((c) => !sameLogin(c.author, deps.botLogin) || parseComment(c.body)?.meta.run !== runId)
    : listed.comments;
  // A hidden answer is still an answer: the check sees every comment read.
  if (alreadyAnswered(others, deps.botLogin, request.triggerKey)) {
    log.info({ trigger: request.triggerKey }, "this request already has an answer; not answering again");
    return notAnswered("⏹️ This request already has an answer.");
  }
  if (request.senderType === "Bot" && answersSinceLastPerson(others, deps.botLogin) >= MAX_BOT_ANSWERS_IN_A_ROW) {
    log.warn({ sender: request.sender, limit: MAX_BOT_ANSWERS_IN_A_ROW }, "a bot asked again after answers to bots in a row with no person in between; not answering (a loop between Apps)");
    return notAnswered("⏹️ Not answered: a person should write in this thread before devbuddy answers a bot again.");
  }
  // A maintainer hid the request itself (as spam, say) before its turn came: it is not answered.
  if (listed.comments.some((c) => c.minimized && c.id === request.triggerComment?.id)) {
    log.info({ trigger: request.triggerKey }, "the request was hidden (minimized) before it was answered; not answering");
    return notAnswered("⏹️ Not answered: the request was hidden.");
  }
  const visible = visibleThread(listed);
  const thread: ThreadEntry[] = visible.comments;
  const gap = visible.gapAfterId === undefined ? undefined : { afterId: visible.gapAfterId, count: listed.omitted };
  if (listed.gapAfterId !== undefined) {
    log.info({ omitted: listed.omitted, read: listed.comments.length }, "long thread: read its first and newest comments");
    const first = listed.comments.findIndex((c) => c.id === listed.gapAfterId) + 1;
    notes.push(
      `✂️ This thread has ${listed.comments.length + listed.omitted} comments: devbuddy read the first ${first} and the newest ${listed.comments.length - first}, and skipped the ${listed.omitted} in between.`,
    );
  }
  if (visible.hidden > 0) {
    log.info({ hidden: visible.hidden }, "minimized comments left out");
    notes.push(`🙈 ${visible.hidden === 1 ? "1 comment" : `${visible.hidden} comments`} hidden (minimized) on GitHub ${visible.hidden === 1 ? "was" : "were"} not read.`);
  }
  if (listed.minimizedUnknown !== undefined) {
    log.warn({ reason: listed.minimizedUnknown }, "could not tell which comments are minimized; reading them all");
    notes.push("⚠️ GitHub did not say which comments are hidden (minimized), so devbuddy read them all.");
  }
  // The payload's copy of the request, unless the list has it (hidden or not) already.
  if (request.triggerComment && !listed.comments.some((c) => c.id === request.triggerComment?.id)) {
    thread.push(request.triggerComment);
  }

  const onCancel = (): void => model.abort(handle.cancelSignal.reason);
  handle.cancelSignal.addEventListener("abort", onCancel, { once: true });
  if (handle.cancelSignal.aborted) onCancel();
  live.setActivity("reading the repository…");
  const posted = start();

  // Read the repository while the comment is being posted: the reader sees it at once.
  // A thread can be 500 comments of 65 KB: read one at a time, the event loop free in between.
  const quoted = await quoteThread(request.issue, thread.filter((c) => !sameLogin(c.author, deps.botLogin)));
  const terms = await threadTerms(request, thread, deps.botLogin, quoted);
  let grounding: Grounding | undefined;
  let guidance: string | undefined;
  let noCode = "The repository could not be read for this answer.";
  try {
    // Fail closed: without its config, nothing says which files the repository keeps from the model.
    if (unreadable !== undefined) throw new RepositoryWithheld();
    const view = await deps.planning.loadRepository({
      include: config.include,
      exclude: config.exclude,
      priority: priorityFor(terms),
      pinned: [REPO_GUIDANCE_PATH],
      signal: model.signal,
    });
    live.setActivity(`indexing ${view.loaded.size} files…`);
    grounding = { view, index: await indexFor(view) };
    deps.planning.indexed?.(view, grounding.index);
    const skippedNote = unreadNote(view.skipped.get("too-large") ?? 0, view.skipped.get("over-budget") ?? 0, grounding.index.unparsed);
    if (skippedNote) notes.push(skippedNote);
    const patternNote = patternNotice(view.patternProblems ?? []);
    if (patternNote) notes.push(patternNote);
    if (view.treeTruncated) {
      notes.push("⚠️ GitHub listed only part of this repository's files (its tree is too large), so a file it left out is marked unverified even if it exists.");
    }
    const guidanceText = view.pinned.get(REPO_GUIDANCE_PATH);
    if (guidanceText?.trim()) guidance = await truncateMiddle(guidanceText.trim(), GUIDANCE_TOKENS, "guidance");
  } catch (error) {
    if (error instanceof RepositoryWithheld) {
      noCode = "The repository's devbuddy config could not be read, so no file of the repository was read for this answer.";
    } else if (isEmptyRepository(error)) {
      log.info("the repository has no commits yet; planning without code");
      noCode = "The repository has no commits yet.";
      notes.push("📭 This repository has no commits yet, so there is no code to check this answer against.");
    } else {
      log.warn({ err: error }, "could not read the repository; planning without it");
      if (!model.signal.aborted) notes.push("⚠️ devbuddy could not read the repository, so this answer is not checked against its code.");
    }
  }

  // From here on every edit shows the references checked, so no name appears unmarked.
  facts = grounding ? factsFor(grounding) : unverifiableFacts(`https://github.com/${request.repo.owner}/${request.repo.repo}`);
  // `tool_rounds: 0` means no tools at all: offering them with tool_choice "none" would only cost tokens.
  const useTools = config.tools && config.limits.toolRounds > 0 && grounding !== undefined;
  const threadMessages = threadToMessages(request.issue, thread, {
    botLogin: deps.botLogin,
    currentRunId: runId,
    currentTrigger: request.triggerKey,
    quoted,
    ...(gap ? { gap } : {}),
    systemPrompt: deps.systemPrompt({
      tools: useTools,
      ...(guidance ? { guidance } : {}),
      ...(config.instructions ? { instructions: config.instructions } : {}),
    }),
  });
  const contextTokens = config.limits.contextTokens;
  const starting = grounding
    ? buildStartingContext({
        view: grounding.view,
        index: grounding.index,
        terms,
        maxTokens: Math.min(Math.floor(contextTokens * STARTING_CONTEXT_SHARE), STARTING_CONTEXT_MAX_TOKENS),
      })
    : undefined;
  const kind = planKindOf(request.triggerComment?.body ?? request.issue.body);
  const fitted = await planMessages({
    thread: threadMessages,
    startingContext:
      starting?.text ?? `${noCode} You have no code to check against: say so, and do not claim that any file or symbol exists.`,
    kind,
    // The starting context is part of what planMessages fits; tool results come on top later.
    contextTokens: contextTokens - (useTools ? toolRoom(config.limits) : 0),
  });
  if (fitted.omittedTurns > 0) notes.push(`✂️ ${fitted.omittedTurns} older message${fitted.omittedTurns === 1 ? "" : "s"} of this thread did not fit the model's context and were left out.`);
  if (fitted.truncatedTurns > 0) notes.push(`✂️ ${fitted.truncatedTurns} long message${fitted.truncatedTurns === 1 ? " was" : "s were"} shortened in the middle to fit the model's context.`);
  log.info(
    { kind, tools: useTools, contextTokens: fitted.tokens, startingTokens: starting?.tokens, symbols: starting?.symbols, leftOut: starting?.leftOut },
    "planning request built",
  );
  live.setActivity("thinking…");

  const result = await runPlanLoop({
    model: deps.model,
    messages: fitted.messages,
    ...(useTools && grounding
      ? { tools: new RepoTools(grounding.view, grounding.index, { files: config.limits.files, readBytes: config.limits.readBytes }) }
      : {}),
    maxToolRounds: config.limits.toolRounds,
    maxPromptTokens: contextTokens,
    maxRunTokens: config.limits.runTokens,
    streamOptions: {
      ...(config.model ? { model: config.model } : {}),
      ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
    },
    signal: model.signal,
    log,
    onText: (text) => live.update(text),
    onActivity: (activity) => live.setActivity(activity),
  });
  handle.cancelSignal.removeEventListener("abort", onCancel);
  await posted;

  const verified = verifyReferences(result.text, facts);
  const summary = grounding ? referenceSummary(verified.references, grounding.view.sha) : undefined;
  if (result.limit) notes.push(`📚 Reading stopped at this run's limit of ${limitText(result.limit, config)}.`);
  if (summary) notes.push(summary);
  live.setNotes(notes);
  live.setUsage(usageText(result.usage, result.usageEstimated));
  live.update(result.text);

  const cancel = cancelReason(handle.cancelSignal);
  const outcome = decideOutcome({
    text: result.text,
    ...(result.finish === undefined ? {} : { finish: result.finish }),
    ...(result.failure && !cancel ? { failure: result.failure } : {}),
    ...(cancel ? { cancel } : {}),
  });
  log.info(
    {
      outcome: outcome.state,
      finish: result.finish,
      failure: result.failure?.kind,
      chars: result.text.length,
      usage: result.usage,
      usageEstimated: result.usageEstimated,
      rounds: result.rounds,
      toolCalls: result.toolCalls,
      references: verified.references.length,
      unverified: verified.references.filter((r) => r.status === "unverified").length,
      postFailure: postFailure !== undefined,
    },
    "model run ended",
  );
  const delivery = await live.finish(outcome, handle.flushSignal);
  if (outcome.state === "done" && delivery.delivered) await react("rocket");
  else if (outcome.state === "failed" || !delivery.delivered) await react("confused");
  return delivery.delivered;
}

function limitText(limit: NonNullable<PlanLoopResult["limit"]>, config: RepoConfig): string {
  switch (limit) {
    case "rounds":
      return plural(config.limits.toolRounds, "tool round");
    case "files":
      return plural(config.limits.files, "file");
    case "bytes":
      return `${plural(config.limits.readBytes, "byte")} read`;
    case "tokens":
      return plural(config.limits.contextTokens, "prompt token");
    case "run-tokens":
      return `${plural(config.limits.runTokens, "token")} per answer`;
  }
}

/**
 * Files not read because of their size or the answer's reading budget, said in the
 * comment: a maintainer whose repository holds a 300 MB dump should know it was skipped.
 * (Vendored, generated, binary and ignored files are skipped by design and not listed.)
 */
export function unreadNote(tooLarge: number, overBudget: number, unparsed: ReadonlyMap<string, string> = new Map()): string | undefined {
  const bits = [
    ...(tooLarge > 0 ? [`${plural(tooLarge, "file")} too large to read`] : []),
    ...(overBudget > 0 ? [`${plural(overBudget, "file")} beyond what one answer loads (the model could still open ${overBudget === 1 ? "it" : "them"})`] : []),
    ...(unparsed.size > 0 ? [`${plural(unparsed.size, "file")} devbuddy could not parse (${unparsedList(unparsed)})`] : []),
  ];
  if (bits.length === 0) return undefined;
  return `📦 Not read for this answer: ${bits.join(", and ")}. A name defined only there is marked unverified.`;
}

/** Files the symbol index left out (see `SymbolIndex.unparsed`), named: the first few, each with why. */
const UNPARSED_NAMED = 5;

function unparsedList(unparsed: ReadonlyMap<string, string>): string {
  const named = [...unparsed].slice(0, UNPARSED_NAMED).map(([path, reason]) => `${codeSpan(path)}: ${reason}`);
  const rest = unparsed.size - named.length;
  return `${named.join("; ")}${rest > 0 ? `; and ${plural(rest, "more file")}` : ""}`;
}

/** A repository path as inline code: its own backtick runs cannot close the span, line breaks cannot end it. */
function codeSpan(path: string): string {
  const flat = path.replace(/[\u0000-\u001f\u007f]+/g, " ");
  const fence = "`".repeat(longestRun(flat, "`") + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
}

/** "12.3k tokens" (≈ when counted here because the server sent no usage), prompt and output together. */
export function usageText(usage: TokenUsage, estimated: boolean): string {
  const total = usage.promptTokens + usage.completionTokens;
  const shown = total < 1000 ? String(total) : total < 100_000 ? `${(total / 1000).toFixed(1)}k` : `${Math.round(total / 1000)}k`;
  return `${estimated ? "≈" : ""}${shown} tokens`;
}

/** The repository is not read for this answer: its config could not be read or parsed. */
class RepositoryWithheld extends Error {}
