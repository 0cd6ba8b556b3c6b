import { randomUUID } from "node:crypto";
import type { ProbotOctokit } from "probot";
import type { Settings } from "./config/settings.js";
import { systemPrompt } from "./conversation/system-prompt.js";
import { listHookDeliveries, redeliverHookDelivery } from "./github/app-calls.js";
import { InstallationGitHub } from "./github/installation.js";
import { MentionReader } from "./mentions/mention-reader.js";
import { INTERRUPTED_NOTICE, runAnswer } from "./runs/answer-run.js";
import { authorize, loadRepoConfig } from "./runs/authorize.js";
import { planRecovery } from "./runs/recovery.js";
import { deliveriesToRedeliver } from "./runs/redelivery.js";
import { RunCoordinator, type RunHandle, type RunTicket } from "./runs/run-coordinator.js";
import type { MentionEvent, RunJournal, RunRecord } from "./state/run-journal.js";
import { SqliteJournal } from "./state/sqlite-journal.js";
import { SnapshotCache } from "./repository/repo-snapshot.js";
import { serializedBytes } from "./repository/held-bytes.js";
import type { SymbolIndex } from "./code-index/symbol-index.js";
import type { RepoView } from "./planning/repo-view.js";
import { renderComment } from "./comments/comment-format.js";
import { isGitHubError, isPermanentFailure } from "./github/errors.js";
import { appLogin, sameLogin } from "./github/logins.js";
import { RequestLimiter, type LimitVerdict } from "./limits/request-limiter.js";
import { WriteScheduler, type SlotRequest } from "./scheduler/write-scheduler.js";
import type { ModelClient } from "./streaming/model-client.js";
import type { Clock } from "./util/clock.js";
import type { Logger } from "./util/logger.js";

/**
 * The composition root: one per process. It owns the write scheduler of every
 * installation, the run coordinator, and the decision of what a mention asks for.
 */

export interface DevbuddyDeps {
  readonly settings: Settings;
  readonly clock: Clock;
  readonly log: Logger;
  readonly model: ModelClient;
  /** The App's slug, from `GET /app`; resolved once, at start-up. */
  readonly slug: () => Promise<string>;
  /** Handled deliveries and runs in progress; in memory (lost on restart) when not given. */
  readonly journal?: RunJournal;
  /** GitHub as the App itself (its JWT), for the delivery log. */
  readonly appOctokit?: () => Promise<ProbotOctokit>;
  /** Reads comments for requests; a long comment in a worker thread (the default). */
  readonly mentions?: MentionReader;
}

/** Per-event readers the handler provides, as the event's installation. */
export interface MentionSources {
  /** `.github/devbuddy.yml` with what it extends (`readConfigFile`); null when there is none. */
  readonly loadConfig: () => Promise<unknown>;
}

export type MentionDecision = "ignored" | "duplicate" | "accepted" | "stop-requested" | "over-limit";

/** Thrown on the webhook path while stopping: the 503 tells GitHub the delivery failed, so it can be redelivered. */
export class ShuttingDownError extends Error {
  override readonly name = "ShuttingDownError";
  readonly status = 503;
}

/** What a run needs from outside: GitHub as the installation, and the event's own readers. */
interface RunContext {
  readonly octokit: ProbotOctokit;
  readonly sources: MentionSources;
}

/** Rebuilds a run's context from what the journal kept of its event (the handler's Probot context is gone). */
type ContextFor = (run: RunRecord) => Promise<RunContext>;

/** Failed deliveries this recent are asked for again at start-up; GitHub keeps 3 days of them. */
const REDELIVERY_WINDOW_MS = 24 * 3_600_000;
/** At most this many deliveries are read, and this many asked for again, per start. */
const REDELIVERY_SCAN = 1_000;
const REDELIVERY_MAX = 100;

/** How often this process says it is alive and looks for runs a stopped process left. */
const RECOVERY_INTERVAL_MS = 5_000;
/** A process silent this long is taken to be gone (three missed heartbeats). */
const SILENT_MS = 3 * RECOVERY_INTERVAL_MS;

/** What a symbol index holds of a view, file by file (all of each file's analysis), for measuring. */
function* analysesByFile(view: RepoView, index: SymbolIndex): Iterable<unknown> {
  for (const path of view.loaded.keys()) yield index.analysisOf(path);
}

const newRunId = (): string => randomUUID().replaceAll("-", "").slice(0, 12);

export class Devbuddy {
  readonly #deps: DevbuddyDeps;
  readonly #journal: RunJournal;
  readonly #mentions: MentionReader;
  /** Aborted at shutdown: recovery stops looking for other processes' runs. */
  readonly #recovery = new AbortController();
  #recovering: Promise<void> | undefined;
  /** Each installation's write scheduler, and when it was last handed out. */
  readonly #schedulers = new Map<number, { readonly scheduler: WriteScheduler; handedOutAt: number }>();
  readonly #snapshots: SnapshotCache;
  /** Requests per person and installation: spam, a loop or a stranger cannot spend the budgets. */
  readonly #requests: RequestLimiter;
  /** Requests per person and repository, against the repository's own (lower) limit. */
  readonly #repoRequests: RequestLimiter;
  /** Over-limit notices per person and installation: one an hour, whichever limit was hit. */
  readonly #notices: RequestLimiter;
  /** 😕 to people who may not ask, per person and installation, and per installation. */
  readonly #strangerReactions: { readonly perPerson: RequestLimiter; readonly perInstallation: RequestLimiter };
  readonly coordinator: RunCoordinator;

  constructor(deps: DevbuddyDeps) {
    this.#deps = deps;
    this.#journal = deps.journal ?? new SqliteJournal(":memory:", { log: deps.log });
    this.#mentions =
      deps.mentions ?? new MentionReader({ onFallback: (err) => deps.log.warn({ err }, "a worker could not read a long comment; read it on the main thread") });
    this.#snapshots = new SnapshotCache(deps.settings.repository.cacheBytes);
    this.#requests = new RequestLimiter({ limit: deps.settings.requests.perUser, windowMs: deps.settings.requests.windowMs, clock: deps.clock });
    this.#repoRequests = new RequestLimiter({ limit: deps.settings.requests.perUser, windowMs: deps.settings.requests.windowMs, clock: deps.clock });
    this.#notices = new RequestLimiter({ limit: 1, windowMs: deps.settings.requests.windowMs, clock: deps.clock });
    const strangers = deps.settings.strangerReactions;
    this.#strangerReactions = {
      perPerson: new RequestLimiter({ limit: 1, windowMs: strangers.perPersonMs, clock: deps.clock }),
      perInstallation: new RequestLimiter({ limit: strangers.perInstallation, windowMs: strangers.windowMs, clock: deps.clock }),
    };
    this.coordinator = new RunCoordinator({
      journal: this.#journal,
      clock: deps.clock,
      log: deps.log.child({ name: "runs" }),
      graceMs: deps.settings.shutdown.graceMs,
      flushMs: deps.settings.shutdown.flushMs,
      maxConcurrentPerInstallation: deps.settings.concurrentRuns,
      maxConcurrent: deps.settings.concurrentRunsTotal,
    });
  }

  /**
   * The one write scheduler of an installation, shared by all its runs. Quiet installations'
   * schedulers are dropped on the way, so the map holds the installations active within
   * the last hour, not every installation ever seen.
   */
  scheduler(installationId: number): WriteScheduler {
    const { settings, clock, log } = this.#deps;
    const now = clock.now();
    this.#forgetDormantSchedulers(now);
    let entry = this.#schedulers.get(installationId);
    if (!entry) {
      const scheduler = new WriteScheduler({
        limits: settings.budget,
        clock,
        log: log.child({ name: "writes", installationId }),
        retryAfterBaseMs: settings.retryAfterBaseMs,
        secondaryPauseMs: settings.secondaryPauseMs,
        maxPauseMs: settings.maxPauseMs,
      });
      entry = { scheduler, handedOutAt: now };
      this.#schedulers.set(installationId, entry);
    }
    entry.handedOutAt = now;
    return entry.scheduler;
  }

  /** Installations whose write scheduler is kept (for tests and metrics). */
  get schedulerCount(): number {
    return this.#schedulers.size;
  }

  /**
   * Drops a scheduler only when a new one would pace the same (`dormant`: idle, not paused,
   * no write left in its hour window) and it was last handed out an hour ago, so whoever
   * took it has long finished (a run writes within minutes) and two schedulers never pace
   * one installation at once.
   */
  #forgetDormantSchedulers(now: number): void {
    for (const [installationId, entry] of this.#schedulers) {
      if (entry.scheduler.dormant && now - entry.handedOutAt >= this.#deps.settings.budget.hourMs) this.#schedulers.delete(installationId);
    }
  }

  /**
   * Decides what a new comment or issue asks for and starts the work in the background.
   * Returns at once: the webhook response never waits for GitHub writes or the model.
   */
  async onMention(event: MentionEvent, octokit: ProbotOctokit, sources: MentionSources): Promise<MentionDecision> {
    if (!event.text.includes("@")) return "ignored";
    const slug = await this.#deps.slug();
    // devbuddy's own comments come back as webhooks: never an instruction. Other bots
    // get as far as the run, which answers them only if the repository allows them by name.
    if (sameLogin(event.sender.login, appLogin(slug))) return "ignored";
    const mention = await this.#mentions.read(event.text, slug);
    if (!mention) return "ignored";
    if (this.coordinator.closed) throw new ShuttingDownError("devbuddy is shutting down; redeliver this event later");

    const api = new InstallationGitHub(octokit, this.scheduler(event.installationId));
    const log = this.#deps.log.child({ delivery: event.deliveryId });

    if (mention.command === "stop") {
      // A bot cannot stop an answer; reacting to it would feed a loop.
      if (event.sender.type === "Bot") return "ignored";
      if (!(await this.coordinator.claim(event))) return "duplicate";
      if (!this.#withinLimit(event, api, sources, log)) return "over-limit";
      void this.coordinator.track(this.#stop(event, api, sources, this.#ticket(event).issueKey, log));
      return "stop-requested";
    }
    let overLimit = false;
    const result = await this.coordinator.submit(this.#ticket(event), (handle) => {
      // Counted here, once a request is known not to be a redelivery.
      if (!this.#withinLimit(event, api, sources, log)) {
        overLimit = true;
        return Promise.resolve();
      }
      return this.#answer(event, { octokit, sources }, handle, newRunId(), 1, log);
    });
    if (result === "shutting-down") throw new ShuttingDownError("devbuddy is shutting down; redeliver this event later");
    if (result === "duplicate") log.info({ trigger: event.triggerKey }, "redelivered request ignored");
    return overLimit ? "over-limit" : result;
  }

  #ticket(event: MentionEvent): RunTicket {
    return {
      deliveryId: event.deliveryId,
      triggerKey: event.triggerKey,
      issueKey: `${event.installationId}/${event.repo.owner}/${event.repo.repo}#${event.issue.number}`,
      installationKey: String(event.installationId),
    };
  }

  /** One answer, recorded in the journal from acceptance to its closed comment. */
  async #answer(event: MentionEvent, context: RunContext, handle: RunHandle, runId: string, attempt: number, log: Logger): Promise<void> {
    const api = new InstallationGitHub(context.octokit, this.scheduler(event.installationId));
    const slug = await this.#deps.slug();
    const { settings, clock, model } = this.#deps;
    const journal = this.#journal;
    // The journal is there for the next process; a write it refuses (a full disk) must not cost this answer.
    const record = (what: string, write: Promise<void>): void =>
      void write.catch((error: unknown) => log.warn({ err: error, runId }, `could not record ${what} in the run journal`));
    await journal.runAccepted({ runId, event, attempt }).catch((error: unknown) => log.warn({ err: error, runId }, "could not record the run in the journal"));
    // The repositories this run reads stay counted (and are not dropped) until it ends.
    const releases: Array<() => void> = [];
    const closed = await runAnswer(
      {
        deliveryId: event.deliveryId,
        installationId: event.installationId,
        repo: event.repo,
        issue: event.issue,
        target: event.target,
        triggerKey: event.triggerKey,
        ...(event.triggerComment ? { triggerComment: event.triggerComment } : {}),
        sender: event.sender.login,
        senderType: event.sender.type,
      },
      handle,
      {
        api,
        model,
        botLogin: appLogin(slug),
        systemPrompt: (options) => systemPrompt(appLogin(slug), options),
        planning: {
          loadConfig: context.sources.loadConfig,
          configDefaults: settings.planner,
          loadRepository: async (request) => {
            const { snapshot, release } = await this.#snapshots.acquire(
              api,
              event.repo,
              {
                ...(request.include ? { include: request.include } : {}),
                exclude: request.exclude,
                limits: settings.repository,
                priority: request.priority,
                pinned: request.pinned,
                signal: request.signal,
              },
              log,
            );
            releases.push(release);
            return snapshot;
          },
          indexed: (view, index) =>
            void this.#snapshots
              .holdIndex(view, () => serializedBytes(analysesByFile(view, index)))
              .catch((error: unknown) => log.warn({ err: error }, "could not measure the symbol index")),
        },
        clock,
        log,
        editIntervalMs: settings.editIntervalMs,
        finalWrite: settings.finalWrite,
        maxThreadComments: settings.maxThreadComments,
        images: settings.images,
        runId,
        admit: (limit) => this.#withinRepoLimit(event, api, limit, log),
        mayReactToStranger: () => this.#mayReactToStranger(event),
        progress: {
          answering: () => record("the acknowledged run", journal.runAnswering(runId)),
          written: (parts) => record("the answer's comments", journal.partsWritten(runId, parts)),
        },
      },
    ).finally(() => releases.forEach((release) => release()));
    // An answer whose last write failed stays in the journal: the next start closes it.
    if (closed) record("the run's end", journal.runEnded(runId));
  }

  /**
   * Finds the runs an earlier process left unfinished (it was killed, or ran out of
   * memory) and deals with each once: a comment cut off mid-answer is closed with the
   * text it has and a notice; a request that had not shown anything yet is answered
   * again, once. Looks at start-up and then every `RECOVERY_INTERVAL_MS`, saying each time
   * that this process is alive: a run is taken over only from a process that has been
   * silent for `SILENT_MS` or has stopped, never from one still finishing its answers.
   * Runs in the background until shutdown; the App takes new work meanwhile.
   */
  recover(contextFor: ContextFor): Promise<void> {
    // Not one of the coordinator's tasks: it never settles on its own. Shutdown ends it.
    this.#recovering ??= this.#recoverLoop(contextFor).catch((error: unknown) =>
      this.#deps.log.error({ err: error }, "recovery of unfinished runs stopped"),
    );
    return this.#recovering;
  }

  async #recoverLoop(contextFor: ContextFor): Promise<void> {
    const log = this.#deps.log.child({ name: "recovery" });
    // On a beat of its own: a round of recovery can wait on GitHub (a rate-limit pause)
    // far longer than another process waits before taking this one's answers.
    const beating = this.#every(() => this.#journal.heartbeat(), log);
    await this.#journal.prune();
    await this.#every(() => this.#recoverOnce(contextFor, log), log);
    await beating;
  }

  /** Runs `step` now and every RECOVERY_INTERVAL_MS after the last one ended, until shutdown. */
  async #every(step: () => Promise<void>, log: Logger): Promise<void> {
    const signal = this.#recovery.signal;
    while (!signal.aborted) {
      await step().catch((error: unknown) => log.warn({ err: error }, "a recovery step failed"));
      await this.#deps.clock.sleep(RECOVERY_INTERVAL_MS * this.#deps.settings.timeScale, signal).catch(() => undefined);
    }
  }

  /**
   * Asks GitHub to deliver again the requests it could not deliver while devbuddy was down,
   * restarting or crashed (GitHub never does so on its own). Once per start, for the last
   * day; a delivery devbuddy handled, or asked for before, is left alone. With the App's JWT.
   * Call it once the webhook server listens, or GitHub's new attempt finds no one there;
   * `startedAt` (wall clock) is when the process started, before it listened.
   */
  async redeliverMissed(startedAt: number): Promise<void> {
    const log = this.#deps.log.child({ name: "redelivery" });
    const { appOctokit } = this.#deps;
    if (!appOctokit) return;
    try {
      const octokit = await appOctokit();
      const deliveries = await listHookDeliveries(octokit, startedAt - REDELIVERY_WINDOW_MS, REDELIVERY_SCAN);
      const guids = [...new Set(deliveries.map((d) => d.guid))];
      const seen = await this.#journal.claimed(guids.flatMap((guid) => [`delivery:${guid}`, `redeliver:${guid}`]));
      const handled = new Set(guids.filter((guid) => seen.has(`delivery:${guid}`) || seen.has(`redeliver:${guid}`)));
      const missed = deliveriesToRedeliver(deliveries, handled, startedAt).slice(0, REDELIVERY_MAX);
      if (missed.length > 0) log.info({ deliveries: missed.length }, "asking GitHub to deliver again the requests it could not deliver while devbuddy was away");
      for (const delivery of missed) {
        if (this.#recovery.signal.aborted) return;
        // Claimed first: a second start never asks for the same delivery again.
        if (!(await this.#journal.claim([`redeliver:${delivery.guid}`]))) continue;
        await redeliverHookDelivery(octokit, delivery.id).catch((error: unknown) =>
          log.warn({ err: error, delivery: delivery.guid }, "GitHub refused to deliver a missed request again"),
        );
      }
    } catch (error) {
      log.warn({ err: error }, "could not look for the requests GitHub failed to deliver");
    }
  }

  async #recoverOnce(contextFor: ContextFor, log: Logger): Promise<void> {
    const runs = await this.#journal.unfinished(SILENT_MS * this.#deps.settings.timeScale);
    if (runs.length > 0) log.info({ runs: runs.length }, "found runs an earlier process left unfinished");
    for (const run of runs) {
      if (this.#recovery.signal.aborted || !(await this.#journal.adopt(run.runId, run.instance, this.#journal.instance))) continue;
      const runLog = log.child({ runId: run.runId, delivery: run.event.deliveryId, attempt: run.attempt });
      try {
        await this.#recoverRun(run, contextFor, runLog);
      } catch (error) {
        // GitHub refusing for good (the App was uninstalled, the repository is gone): nothing
        // left to close. Anything else is tried again.
        const permanent = isPermanentFailure(error);
        runLog.warn({ err: error, permanent }, "could not recover an unfinished run");
        // Otherwise it goes back to the process that left it, so the next round (not only the next start) tries again.
        if (permanent) await this.#journal.runEnded(run.runId);
        else await this.#journal.adopt(run.runId, this.#journal.instance, run.instance);
      }
    }
  }

  async #recoverRun(run: RunRecord, contextFor: ContextFor, log: Logger): Promise<void> {
    const { event } = run;
    // A write waiting out a rate limit must not hold up a shutdown.
    const signal = this.#recovery.signal;
    const context = await contextFor(run);
    const api = new InstallationGitHub(context.octokit, this.scheduler(event.installationId));
    const issue = { ...event.repo, issueNumber: event.issue.number };
    // What GitHub shows of the run: a write the dead process sent may have landed after all.
    const botLogin = appLogin(await this.#deps.slug());
    const listed = await api.listComments(issue, this.#deps.settings.maxThreadComments);
    const shown = listed.comments.filter((c) => sameLogin(c.author, botLogin));
    const recovery = planRecovery(run, INTERRUPTED_NOTICE, shown);
    if (recovery.kind === "forget") return this.#journal.runEnded(run.runId);
    if (recovery.kind === "resume") {
      // Stopping: the run goes back to the journal, for the next process to resume.
      if (signal.aborted) throw new Error("shutting down before the run could be resumed");
      log.info("resuming a request that had shown nothing before the restart");
      void this.coordinator.start(this.#ticket(event), (handle) => this.#answer(event, context, handle, run.runId, recovery.attempt, log));
      return;
    }
    if (recovery.kind === "close") {
      log.info({ parts: recovery.edits.length }, "closing an answer cut off by the restart");
      for (const edit of recovery.edits) {
        await api.write({ priority: "essential", key: run.runId, signal }, (w) => w.updateComment(issue, edit.commentId, edit.body)).catch((error: unknown) => {
          // A deleted comment has nothing left to close.
          if (!isGitHubError(error, "not-found")) throw error;
        });
      }
    } else if (recovery.notice) {
      log.warn("a request was interrupted by restarts twice; giving up on it");
      const body = renderComment({
        text: "",
        meta: { v: 1, run: run.runId, part: 1, state: "interrupted", trigger: event.triggerKey },
        notice: recovery.notice,
      });
      await api.write({ priority: "essential", key: run.runId, signal }, (w) => w.createComment(issue, body));
    } else {
      log.warn("a request was interrupted by restarts twice before it was authorized; dropping it");
    }
    await this.#journal.runEnded(run.runId);
  }

  /**
   * Takes one request from the sender's hourly allowance. Over it, the first refusal of a
   * stretch gets one short comment, later ones nothing at all: the reply cannot be made to spam.
   */
  #withinLimit(event: MentionEvent, api: InstallationGitHub<SlotRequest>, sources: MentionSources, log: Logger): boolean {
    const verdict = this.#requests.take(`${event.installationId}/${event.sender.login.toLowerCase()}`);
    // Counted before the sender is known to be allowed (that costs GitHub reads): the notice waits for it.
    return this.#admitted(verdict, this.#deps.settings.requests.perUser, event, api, log, sources);
  }

  /** The same, against the repository's own limit (its config may set it lower, never higher). */
  #withinRepoLimit(event: MentionEvent, api: InstallationGitHub<SlotRequest>, limit: number, log: Logger): boolean {
    const key = `${event.installationId}/${event.repo.owner}/${event.repo.repo}/${event.sender.login.toLowerCase()}`.toLowerCase();
    return this.#admitted(this.#repoRequests.take(key, limit), limit, event, api, log);
  }

  /** `unauthorized`: the sender's readers, when it is not yet known whether they may ask at all. */
  #admitted(verdict: LimitVerdict, limit: number, event: MentionEvent, api: InstallationGitHub<SlotRequest>, log: Logger, unauthorized?: MentionSources): boolean {
    if (verdict.allowed) return true;
    log.info({ sender: event.sender.login, limit, notify: verdict.notify, retryAfterMs: verdict.retryAfterMs }, "request over the per-person limit");
    // A bot is never answered with a comment: that could feed a loop between two Apps. A
    // person hears of it once an hour at most, whether the installation's or the repository's limit refused.
    const notify = verdict.notify && event.sender.type !== "Bot" && this.#notices.take(`${event.installationId}/${event.sender.login.toLowerCase()}`).allowed;
    if (notify) void this.coordinator.track(this.#refuse(event, api, limit, verdict.retryAfterMs, log, unauthorized));
    return false;
  }

  async #refuse(event: MentionEvent, api: InstallationGitHub<SlotRequest>, perUser: number, retryAfterMs: number, log: Logger, unauthorized?: MentionSources): Promise<void> {
    // Someone who may not ask gets 😕 at most, never a comment: the notice cannot be made to post for a stranger.
    if (unauthorized && !(await this.#mayAsk(event, api, unauthorized, log))) return;
    const minutes = Math.max(1, Math.ceil(retryAfterMs / this.#deps.settings.timeScale / 60_000));
    const notice =
      `⏳ Sorry, ${event.sender.login}: devbuddy answers each person at most ${perUser === 1 ? "1 request" : `${perUser} requests`} an hour here, ` +
      `so this one was not answered. Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`;
    const body = renderComment({
      text: "",
      meta: { v: 1, run: newRunId(), part: 1, state: "failed", trigger: event.triggerKey },
      notice,
    });
    try {
      await api.write({ priority: "essential", key: `limit:${event.triggerKey}` }, (w) =>
        w.createComment({ ...event.repo, issueNumber: event.issue.number }, body),
      );
    } catch (error) {
      log.warn({ err: error }, "could not post the over-limit notice");
    }
  }

  /** Whether the sender may ask here: the same permission and config rules as for an answer. */
  async #mayAsk(event: MentionEvent, api: InstallationGitHub<SlotRequest>, sources: MentionSources, log: Logger): Promise<boolean> {
    try {
      const { config } = await loadRepoConfig(sources.loadConfig, this.#deps.settings.planner, log);
      return (await authorize(api, { repo: event.repo, sender: event.sender.login, senderType: event.sender.type }, config, log)) === "allowed";
    } catch (error) {
      log.warn({ err: error }, "could not tell whether the sender may ask; taking it they may not");
      return false;
    }
  }

  /** A 😕 to someone who may not ask: one per person and installation per 10 minutes, and a few per installation an hour. */
  #mayReactToStranger(event: MentionEvent): boolean {
    const person = this.#strangerReactions.perPerson.take(`${event.installationId}/${event.sender.login.toLowerCase()}`);
    return person.allowed && this.#strangerReactions.perInstallation.take(String(event.installationId)).allowed;
  }

  /** Whoever may start an answer may stop one: the same permission and config rules. */
  async #stop(event: MentionEvent, api: InstallationGitHub<SlotRequest>, sources: MentionSources, issueKey: string, log: Logger): Promise<void> {
    try {
      const allowed = await this.#mayAsk(event, api, sources, log);
      const stopped = allowed && this.coordinator.stop(issueKey, event.sender.login);
      log.info({ sender: event.sender.login, allowed, stopped }, "stop requested");
      if (!allowed) {
        if (this.#mayReactToStranger(event)) {
          await api
            .write({ priority: "courtesy", key: `stop:${event.triggerKey}` }, (w) => w.react(event.repo, event.target, "confused"))
            .catch((error: unknown) => log.info({ err: error }, "no 😕 for a sender who may not stop answers"));
        }
        return;
      }
      await api.write({ priority: "essential", key: `stop:${event.triggerKey}` }, (w) =>
        w.react(event.repo, event.target, stopped ? "+1" : "confused"),
      );
    } catch (error) {
      log.warn({ err: error }, "handling a stop request failed");
    }
  }

  async shutdown(): Promise<void> {
    this.#recovery.abort();
    // Refuses new work at once (a delivery now gets 503); then waits for recovery's last step.
    const stopping = this.coordinator.shutdown();
    await this.#recovering;
    await stopping;
    await this.#mentions.destroy();
    await this.#journal.close();
  }
}
