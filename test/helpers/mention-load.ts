import type { ProbotOctokit } from "probot";
import { Devbuddy, type MentionDecision } from "../../src/app.js";
import { loadSettings } from "../../src/config/settings.js";
import type { MentionEvent } from "../../src/state/run-journal.js";
import type { ModelClient } from "../../src/streaming/model-client.js";
import type { ChatMessage, StreamPart } from "../../src/streaming/stream-parts.js";
import type { Clock } from "../../src/util/clock.js";
import type { Logger } from "../../src/util/logger.js";
import { FetchGitHub } from "./fetch-github.js";
import { ManualClock } from "./manual-clock.js";

/**
 * Many mentions at once: the in-process `Devbuddy` (composition root, run coordinator,
 * per-installation write schedulers, the real adapter on a real Octokit) against
 * `FetchGitHub`, with a model that streams a long answer at a steady pace, all on one
 * `ManualClock`. Used by the load test and the load benchmark.
 */

/** The answer the model streams for a request, in chunks; the key says which request it is. */
export function answerChunks(key: string, chunks: number): string[] {
  return Array.from({ length: chunks }, (_, k) => `Step ${k + 1} of the plan for ${key} is done here. `);
}

export interface StreamRecord {
  readonly key: string;
  readonly messages: readonly ChatMessage[];
  readonly startedAt: number;
  endedAt?: number;
}

/** Streams `answerChunks` for the request named in brackets in the thread's last message, one chunk every `chunkMs`. */
export class PacedModel implements ModelClient {
  readonly model = "gpt-test";
  readonly streams: StreamRecord[] = [];
  readonly #clock: Clock;
  readonly #chunks: number;
  readonly #chunkMs: number;

  constructor(clock: Clock, options: { chunks: number; chunkMs: number }) {
    this.#clock = clock;
    this.#chunks = options.chunks;
    this.#chunkMs = options.chunkMs;
  }

  async *stream(messages: readonly ChatMessage[], signal?: AbortSignal): AsyncGenerator<StreamPart> {
    const key = /\[([^\]]+)\]/.exec(messages.at(-1)?.content ?? "")?.[1] ?? "unknown";
    const record: StreamRecord = { key, messages, startedAt: this.#clock.now() };
    this.streams.push(record);
    try {
      for (const text of answerChunks(key, this.#chunks)) {
        await this.#clock.sleep(this.#chunkMs, signal);
        yield { type: "text-delta", text };
      }
      yield { type: "finish", reason: "stop", usage: { promptTokens: 500, completionTokens: 12 * this.#chunks } };
    } finally {
      record.endedAt = this.#clock.now();
    }
  }
}

export interface Mention {
  readonly installationId: number;
  /** "owner/repo#n". */
  readonly issue: string;
  /** Which mention of its issue (1-based), in the order they were made. */
  readonly ordinal: number;
  readonly commentId: number;
  readonly triggerKey: string;
  /** What the model answers it with (its bracketed key). */
  readonly key: string;
  readonly at: number;
  readonly decision: MentionDecision;
}

export interface LoadWorldOptions {
  /** Environment for `loadSettings` on top of NODE_ENV=test. */
  readonly env?: Record<string, string>;
  readonly writeLatencyMs?: number;
  readonly chunks?: number;
  readonly chunkMs?: number;
  readonly log?: Logger;
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silentLogger };

export function loadWorld(options: LoadWorldOptions = {}) {
  const clock = new ManualClock();
  const settings = loadSettings({ NODE_ENV: "test", OPENAI_API_KEY: "sk-test", ...options.env });
  const github = new FetchGitHub(clock, { botLogin: "devbuddy[bot]", writeLatencyMs: options.writeLatencyMs ?? 200 });
  const model = new PacedModel(clock, { chunks: options.chunks ?? 40, chunkMs: options.chunkMs ?? 250 });
  const devbuddy = new Devbuddy({ settings, clock, log: options.log ?? silentLogger, model, slug: async () => "devbuddy" });
  const octokits = new Map<number, ProbotOctokit>();
  const mentions: Mention[] = [];

  /** A person mentions devbuddy in a new comment on issue `issueNumber` of installation `installationId`'s repository. */
  async function mention(installationId: number, issueNumber: number): Promise<Mention> {
    const owner = `org${installationId}`;
    const repo = "app";
    const issue = `${owner}/${repo}#${issueNumber}`;
    const ordinal = mentions.filter((m) => m.issue === issue).length + 1;
    const key = `org${installationId}-issue${issueNumber}-request${ordinal}`;
    const sender = `dev${issueNumber}`;
    const body = `@devbuddy please plan this [${key}]`;
    const commentId = github.addComment(issue, sender, body);
    const event: MentionEvent = {
      deliveryId: `delivery-${commentId}`,
      installationId,
      repo: { owner, repo },
      issue: { number: issueNumber, title: `Issue ${issueNumber}`, body: "Make it faster.", author: sender },
      text: body,
      target: { kind: "comment", commentId },
      triggerKey: `c${commentId}`,
      triggerComment: { id: commentId, author: sender, authorType: "User", body },
      sender: { login: sender, type: "User" },
    };
    let octokit = octokits.get(installationId);
    if (!octokit) {
      octokit = github.octokit(installationId);
      octokits.set(installationId, octokit);
    }
    const at = clock.now();
    const decision = await devbuddy.onMention(event, octokit, { loadConfig: async () => null });
    const made: Mention = { installationId, issue, ordinal, commentId, triggerKey: `c${commentId}`, key, at, decision };
    mentions.push(made);
    return made;
  }

  /** Moves the clock on until every run has ended; throws if that takes longer than `maxMs` of clock time. */
  async function runToEnd(stepMs = 5_000, maxMs = 6 * 3_600_000): Promise<void> {
    const until = clock.now() + maxMs;
    while (devbuddy.coordinator.activeRuns > 0) {
      if (clock.now() >= until) throw new Error(`${devbuddy.coordinator.activeRuns} runs still active after ${maxMs} ms of clock time`);
      await clock.advance(stepMs);
    }
    await devbuddy.coordinator.settled();
  }

  /** Drops what the test side recorded and holds (requests, comments, prompts, Octokits), so that heap use is the App's. */
  function forgetRecords(): void {
    github.clear();
    model.streams.length = 0;
    mentions.length = 0;
    octokits.clear();
  }

  return { clock, settings, github, model, devbuddy, mentions, mention, runToEnd, forgetRecords };
}

