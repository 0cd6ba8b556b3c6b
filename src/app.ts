import { randomUUID } from "node:crypto";
import type { ProbotOctokit } from "probot";
import type { Settings } from "./config/settings.js";
import { systemPrompt } from "./conversation/system-prompt.js";
import { InstallationGitHub } from "./github/github-adapter.js";
import type { MentionEvent } from "./handlers/mention-event.js";
import { mayMention, parseMention } from "./mentions/parse-mention.js";
import { runAnswer } from "./runs/answer-run.js";
import { authorize, loadRepoConfig } from "./runs/authorize.js";
import { MemoryJournal, type DeliveryJournal } from "./runs/delivery-journal.js";
import { RunCoordinator } from "./runs/run-coordinator.js";
import { SnapshotCache } from "./repository/repo-snapshot.js";
import { renderComment } from "./comments/comment-format.js";
import { RequestLimiter } from "./limits/request-limiter.js";
import { WriteScheduler } from "./scheduler/write-scheduler.js";
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
  readonly journal?: DeliveryJournal;
}

/** Per-event readers the handler provides (they need Probot's context). */
export interface MentionSources {
  /** `context.config("devbuddy.yml")`. */
  readonly loadConfig: () => Promise<unknown>;
}

export type MentionDecision = "ignored" | "duplicate" | "accepted" | "stop-requested" | "over-limit";

/** Thrown on the webhook path while stopping: the 503 tells GitHub the delivery failed, so it can be redelivered. */
export class ShuttingDownError extends Error {
  override readonly name = "ShuttingDownError";
  readonly status = 503;
}

export class Devbuddy {
  readonly #deps: DevbuddyDeps;
  readonly #schedulers = new Map<number, WriteScheduler>();
  readonly #snapshots: SnapshotCache;
  /** Requests per person and installation: spam, a loop or a stranger cannot spend the budgets. */
  readonly #requests: RequestLimiter;
  readonly coordinator: RunCoordinator;

  constructor(deps: DevbuddyDeps) {
    this.#deps = deps;
    this.#snapshots = new SnapshotCache(deps.settings.repository.cacheBytes);
    this.#requests = new RequestLimiter({ limit: deps.settings.requests.perUser, windowMs: deps.settings.requests.windowMs, clock: deps.clock });
    this.coordinator = new RunCoordinator({
      journal: deps.journal ?? new MemoryJournal(),
      clock: deps.clock,
      log: deps.log.child({ name: "runs" }),
      graceMs: deps.settings.shutdown.graceMs,
      flushMs: deps.settings.shutdown.flushMs,
      maxConcurrentPerInstallation: deps.settings.concurrentRuns,
    });
  }

  /** The one write scheduler of an installation, shared by all its runs. */
  scheduler(installationId: number): WriteScheduler {
    let scheduler = this.#schedulers.get(installationId);
    if (!scheduler) {
      const { settings, clock, log } = this.#deps;
      scheduler = new WriteScheduler({
        limits: settings.budget,
        clock,
        log: log.child({ name: "writes", installationId }),
        retryAfterBaseMs: settings.retryAfterBaseMs,
        secondaryPauseMs: settings.secondaryPauseMs,
        maxPauseMs: settings.maxPauseMs,
      });
      this.#schedulers.set(installationId, scheduler);
    }
    return scheduler;
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
    if (event.sender.login.toLowerCase() === `${slug}[bot]`.toLowerCase()) return "ignored";
    if (!mayMention(event.text, slug)) return "ignored";
    const mention = parseMention(event.text, slug);
    if (!mention) return "ignored";
    if (this.coordinator.closed) throw new ShuttingDownError("devbuddy is shutting down; redeliver this event later");

    const api = new InstallationGitHub(octokit, this.scheduler(event.installationId));
    const issueKey = `${event.installationId}/${event.repo.owner}/${event.repo.repo}#${event.issue.number}`;
    const log = this.#deps.log.child({ delivery: event.deliveryId });

    if (mention.command === "stop") {
      // A bot cannot stop an answer; reacting to it would feed a loop.
      if (event.sender.type === "Bot") return "ignored";
      if (!this.coordinator.claim(event)) return "duplicate";
      if (!this.#withinLimit(event, api, log)) return "over-limit";
      void this.coordinator.track(this.#stop(event, api, sources, issueKey, log));
      return "stop-requested";
    }
    const runId = randomUUID().replaceAll("-", "").slice(0, 12);
    const { settings, clock, model } = this.#deps;
    let overLimit = false;
    const ticket = { deliveryId: event.deliveryId, triggerKey: event.triggerKey, issueKey, installationKey: String(event.installationId) };
    const result = this.coordinator.submit(ticket, (handle) => {
      // Counted here, once a request is known not to be a redelivery.
      if (!this.#withinLimit(event, api, log)) {
        overLimit = true;
        return Promise.resolve();
      }
      return runAnswer(
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
          botLogin: `${slug}[bot]`,
          systemPrompt: (options) => systemPrompt(`${slug}[bot]`, options),
          planning: {
            loadConfig: sources.loadConfig,
            configDefaults: settings.planner,
            loadRepository: (request) =>
              this.#snapshots.get(
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
              ),
          },
          clock,
          log,
          editIntervalMs: settings.editIntervalMs,
          finalWrite: settings.finalWrite,
          maxThreadComments: settings.maxThreadComments,
          maxRunTokens: settings.maxRunTokens,
          runId,
        },
      );
    });
    if (result === "shutting-down") throw new ShuttingDownError("devbuddy is shutting down; redeliver this event later");
    if (result === "duplicate") log.info({ trigger: event.triggerKey }, "redelivered request ignored");
    return overLimit ? "over-limit" : result;
  }

  /**
   * Takes one request from the sender's hourly allowance. Over it, the first refusal of a
   * stretch gets one short comment, later ones nothing at all: the reply cannot be made to spam.
   */
  #withinLimit(event: MentionEvent, api: InstallationGitHub, log: Logger): boolean {
    const verdict = this.#requests.take(`${event.installationId}/${event.sender.login.toLowerCase()}`);
    if (verdict.allowed) return true;
    log.info({ sender: event.sender.login, notify: verdict.notify, retryAfterMs: verdict.retryAfterMs }, "request over the per-person limit");
    // A bot is never answered with a comment: that could feed a loop between two Apps.
    if (verdict.notify && event.sender.type !== "Bot") void this.coordinator.track(this.#refuse(event, api, verdict.retryAfterMs, log));
    return false;
  }

  async #refuse(event: MentionEvent, api: InstallationGitHub, retryAfterMs: number, log: Logger): Promise<void> {
    const { perUser } = this.#deps.settings.requests;
    const minutes = Math.max(1, Math.ceil(retryAfterMs / this.#deps.settings.timeScale / 60_000));
    const notice =
      `⏳ Sorry, ${event.sender.login}: devbuddy answers each person at most ${perUser === 1 ? "1 request" : `${perUser} requests`} an hour here, ` +
      `so this one was not answered. Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`;
    const body = renderComment({
      text: "",
      meta: { v: 1, run: randomUUID().replaceAll("-", "").slice(0, 12), part: 1, state: "failed", trigger: event.triggerKey },
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

  /** Whoever may start an answer may stop one: the same permission and config rules. */
  async #stop(event: MentionEvent, api: InstallationGitHub, sources: MentionSources, issueKey: string, log: Logger): Promise<void> {
    try {
      const { config } = await loadRepoConfig(sources.loadConfig, this.#deps.settings.planner, log);
      const authorization = await authorize(api, { repo: event.repo, sender: event.sender.login, senderType: event.sender.type }, config, log);
      const stopped = authorization === "allowed" && this.coordinator.stop(issueKey, event.sender.login);
      log.info({ sender: event.sender.login, authorization, stopped }, "stop requested");
      await api.write({ priority: "essential", key: `stop:${event.triggerKey}` }, (w) =>
        w.react(event.repo, event.target, stopped ? "+1" : "confused"),
      );
    } catch (error) {
      log.warn({ err: error }, "handling a stop request failed");
    }
  }

  shutdown(): Promise<void> {
    return this.coordinator.shutdown();
  }
}
