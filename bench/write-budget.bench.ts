import { describe, it } from "vitest";
import { parseComment } from "../src/comments/comment-format.js";
import { loadSettings } from "../src/config/settings.js";
import { parseMention } from "../src/mentions/parse-mention.js";
import { WriteScheduler } from "../src/scheduler/write-scheduler.js";
import { LiveComment } from "../src/streaming/live-comment.js";
import { ManualClock } from "../test/helpers/manual-clock.js";
import { MemoryGitHub } from "../test/helpers/memory-github.js";
import { recordingLogger } from "../test/helpers/recording-logger.js";
import { maxInWindow, percentile } from "../test/helpers/stats.js";

/**
 * What GitHub would see from devbuddy's write scheduler and live comments on the default
 * settings, in simulated time (the numbers do not depend on the machine): a quiet
 * installation with one answer, and a busy one with about four answers streaming at once.
 */

const HOUR = 3_600_000;
const STEP = 500;

interface Scenario {
  readonly name: string;
  /** When each answer starts streaming, and for how long it streams. */
  readonly starts: readonly number[];
  readonly streamMs: number;
}

async function simulate(scenario: Scenario): Promise<Array<[string, string]>> {
  const settings = loadSettings({});
  const clock = new ManualClock();
  const log = recordingLogger();
  const scheduler = new WriteScheduler({
    limits: settings.budget,
    clock,
    log,
    retryAfterBaseMs: settings.retryAfterBaseMs,
    secondaryPauseMs: settings.secondaryPauseMs,
    maxPauseMs: settings.maxPauseMs,
  });
  const github = new MemoryGitHub(clock, scheduler);
  github.writeLatencyMs = 300;

  interface Answer {
    live: LiveComment;
    text: string;
    startedAt: number;
    endsAt: number;
    done?: Promise<unknown>;
    endedAt?: number;
    deliveredAt?: number;
  }
  const answers: Answer[] = [];
  const lastEnd = Math.max(...scenario.starts) + scenario.streamMs;
  for (let now = 0; now <= lastEnd; now += STEP) {
    for (const start of scenario.starts.filter((t) => t === now)) {
      const live = new LiveComment({
        api: github,
        issue: { owner: "o", repo: "r", issueNumber: answers.length + 1 },
        runId: `run${answers.length}`,
        model: "m",
        clock,
        log,
        editIntervalMs: settings.editIntervalMs,
        finalAttempts: settings.finalWrite.attempts,
        finalBackoffMs: settings.finalWrite.backoffMs,
      });
      answers.push({ live, text: "", startedAt: start, endsAt: start + scenario.streamMs });
      void live.start();
    }
    for (const answer of answers) {
      if (answer.endedAt !== undefined) continue;
      if (now >= answer.endsAt) {
        answer.endedAt = now;
        answer.done = answer.live.finish({ state: "done" }).then(() => (answer.deliveredAt = clock.now()));
        continue;
      }
      answer.text += `token${now} `;
      answer.live.update(answer.text);
    }
    await clock.advance(STEP);
  }
  await clock.advance(HOUR);
  await Promise.all(answers.map((a) => a.done));

  const times = github.writes.map((w) => w.at);
  const updateGaps: number[] = [];
  const lastUpdate = new Map<number, number>();
  const firstText = new Map<number, number>();
  for (const write of github.writes) {
    if (write.op !== "update" || write.commentId === undefined) continue;
    const previous = lastUpdate.get(write.commentId);
    if (previous !== undefined) updateGaps.push(write.at - previous);
    else firstText.set(write.commentId, write.at);
    lastUpdate.set(write.commentId, write.at);
  }
  const bodies = [...github.comments.values()];
  const exact = answers.every((a, i) => parseComment(bodies[i] ?? "")?.text === a.text);
  const finalLag = answers.map((a) => (a.deliveredAt ?? Number.NaN) - (a.endedAt ?? Number.NaN));
  const firstTextLag = answers.map((a, i) => (firstText.get(100 + i) ?? Number.NaN) - a.startedAt);
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  return [
    ["answers (streaming for)", `${answers.length} (${seconds(scenario.streamMs)} s each)`],
    ["writes", String(times.length)],
    ["max writes in any 60 s (GitHub: 80)", String(maxInWindow(times, 60_000))],
    ["max writes in any 3600 s (GitHub: 500)", String(maxInWindow(times, HOUR))],
    ["first text visible after the answer started, max (s)", seconds(Math.max(...firstTextLag))],
    ["gap between edits of one answer, p50 / p90 (s)", `${seconds(percentile(updateGaps, 0.5))} / ${seconds(percentile(updateGaps, 0.9))}`],
    ["final text delivered after the stream ended, max (s)", seconds(Math.max(...finalLag))],
    ["every final comment is exactly the model's text", exact ? "yes" : "NO"],
    ["same load, fixed 1.5 s editor: writes", String(Math.round(answers.length * (scenario.streamMs / 1500)))],
  ];
}

const SCENARIOS: readonly Scenario[] = [
  { name: "Quiet installation: one answer streaming for a minute", starts: [0], streamMs: 60_000 },
  {
    // The load that made a fixed 1.5 s editor hit GitHub's limit (shared/REFERENCE.md):
    // about four answers streaming at a time, 12 minutes each, for an hour.
    name: "Busy installation: a new 12-minute answer every 3 minutes for an hour",
    starts: Array.from({ length: 17 }, (_, i) => i * 180_000),
    streamMs: 720_000,
  },
];

/** Runs `fn` for about `ms` and reports operations per second (one number, not a verdict). */
function opsPerSecond(fn: () => void, ms = 500): number {
  for (let i = 0; i < 1000; i++) fn();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 100; i++) fn();
    count += 100;
  }
  return count / ((performance.now() - started) / 1000);
}

describe("benchmarks", () => {
  it("write budget under load (simulated time, default settings)", async () => {
    for (const scenario of SCENARIOS) {
      const rows = await simulate(scenario);
      console.log(`\n${scenario.name}`);
      for (const [label, value] of rows) console.log(`  ${label.padEnd(56)} ${value}`);
    }
  }, 120_000);

  it("webhook hot path: mention parsing", () => {
    const comment =
      "Thanks! I think `@devbuddy` could help here.\n\n```ts\nconst x = 1; // @devbuddy\n```\n\n> earlier: @devbuddy plan\n\nLet's see, @devbuddy what do you think?";
    const rows: Array<[string, number]> = [
      ["parseMention, comment with code, quote and mention", opsPerSecond(() => parseMention(comment, "devbuddy"))],
      ["parseMention, comment without a mention", opsPerSecond(() => parseMention("Looks good to me, merging after CI passes.", "devbuddy"))],
    ];
    console.log("\nWebhook hot path (this machine, one run: compare ratios, not absolutes)");
    for (const [label, value] of rows) console.log(`  ${label.padEnd(56)} ${Math.round(value).toLocaleString("en")} ops/s`);
  });
});
