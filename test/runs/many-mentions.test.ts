import { describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { Settings } from "../../src/config/settings.js";
import type { WriteRecord } from "../helpers/fetch-github.js";
import { answerChunks, loadWorld, type Mention } from "../helpers/mention-load.js";
import { maxInWindow } from "../helpers/stats.js";

/**
 * Many mentions at once, across issues and installations, through the whole App: the
 * composition root, the run coordinator, one write scheduler per installation, the real
 * GitHub adapter on a real Octokit (served from memory), a model streaming long answers,
 * all on one manual clock. Everything below is read from what GitHub received.
 *
 * The budget rules checked are the scheduler's (write-budget.ts): a write starts at least
 * `spacingMs` after the previous one ended, and only while fewer than the limit of earlier
 * writes ended within the window before it. On the default budget the windows never fill
 * at this load (one write a second cannot reach 60 a minute), so the load is also run on a
 * tight budget, 20 writes a minute and 40 an hour, where both do.
 */

const BUSY_BUDGET = { DEVBUDDY_WRITES_PER_MINUTE: "20", DEVBUDDY_WRITES_PER_HOUR: "40" };
const BUDGETS = [
  { name: "the default budget", env: {}, fills: false },
  { name: "a budget both windows fill", env: BUSY_BUDGET, fills: true },
] as const;
const INSTALLATIONS = 6;
const ISSUES = 5;
const MENTIONS_PER_ISSUE = 2;
const CHUNKS = 80;

type World = ReturnType<typeof loadWorld>;

/** Every write of `writes` (one installation's, in start order) that broke the budget, described. */
function budgetViolations(writes: readonly WriteRecord[], budget: Settings["budget"]): string[] {
  const problems: string[] = [];
  writes.forEach((write, i) => {
    const previous = writes[i - 1];
    if (previous && write.startedAt < previous.endedAt + budget.spacingMs) {
      problems.push(`write ${i} started ${write.startedAt - previous.endedAt} ms after the previous one ended`);
    }
    const endedWithin = (windowMs: number): number => writes.slice(0, i).filter((w) => w.endedAt > write.startedAt - windowMs).length;
    if (endedWithin(budget.minuteMs) >= budget.perMinute) problems.push(`write ${i} started with ${endedWithin(budget.minuteMs)} writes in the last minute`);
    if (endedWithin(budget.hourMs) >= budget.perHour) problems.push(`write ${i} started with ${endedWithin(budget.hourMs)} writes in the last hour`);
  });
  return problems;
}

/** Most intervals open at one time. */
function maxOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals.flatMap(([from, to]) => [
    { at: from, delta: 1 },
    { at: to, delta: -1 },
  ]);
  // At equal times an interval ends before the next begins: a handed-over turn is not two.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (open += edge.delta));
  return max;
}

/** What GitHub shows for one request: its answer comment(s) and the reactions on the comment that asked. */
function answerTo(world: World, mention: Mention) {
  const writes = world.github.writes.filter((w) => w.installationId === mention.installationId);
  const comments = world.github.botComments().filter((c) => parseComment(c.body)?.meta.trigger === mention.triggerKey);
  const created = writes.find((w) => w.op === "create" && parseComment(w.body ?? "")?.meta.trigger === mention.triggerKey);
  const reactions = writes.filter((w) => w.op === "react" && w.commentId === mention.commentId);
  return { comments, created, reactions, rocket: reactions.find((r) => r.content === "rocket") };
}

async function manyMentions(installations: number, env: Record<string, string> = BUSY_BUDGET): Promise<World> {
  // The per-installation bound is what this load checks: the process-wide one (24 runs want
  // to run here) is kept out of its way, and checked in run-coordinator and process-bounds tests.
  const world = loadWorld({ env: { DEVBUDDY_CONCURRENT_RUNS_TOTAL: "1000", ...env }, chunks: CHUNKS, chunkMs: 500, writeLatencyMs: 200 });
  // All at the same instant, interleaved across installations. An issue's requests come one
  // after the other, so only the issue's turn keeps the second from starting with the first.
  for (let issue = 1; issue <= ISSUES; issue++) {
    for (let installation = 1; installation <= installations; installation++) {
      for (let ordinal = 1; ordinal <= MENTIONS_PER_ISSUE; ordinal++) await world.mention(installation, issue);
    }
  }
  expect(world.mentions.map((m) => m.decision)).toEqual(world.mentions.map(() => "accepted"));
  await world.runToEnd();
  return world;
}

function firstCommentDelay(world: World, installationId: number): number {
  const first = world.github.writes.find((w) => w.installationId === installationId && w.op === "create");
  const asked = Math.min(...world.mentions.filter((m) => m.installationId === installationId).map((m) => m.at));
  return (first?.startedAt ?? Number.POSITIVE_INFINITY) - asked;
}

describe(`${INSTALLATIONS} installations × ${ISSUES} issues × ${MENTIONS_PER_ISSUE} mentions at once`, () => {
  it.each(BUDGETS)("on $name: keeps every installation's write budget, delivers every answer whole with 🚀, in request order per issue, within the run limit", async ({ env, fills }) => {
    const world = await manyMentions(INSTALLATIONS, env);
    const { settings } = world;
    expect(world.mentions).toHaveLength(INSTALLATIONS * ISSUES * MENTIONS_PER_ISSUE);

    for (let installation = 1; installation <= INSTALLATIONS; installation++) {
      const writes = world.github.writes.filter((w) => w.installationId === installation);
      const mine = world.mentions.filter((m) => m.installationId === installation);
      expect(budgetViolations(writes, settings.budget)).toEqual([]);
      if (fills) {
        // The load was enough to fill both windows, or the check above would prove little.
        expect(maxInWindow(writes.map((w) => w.startedAt), settings.budget.minuteMs)).toBe(settings.budget.perMinute);
        expect(maxInWindow(writes.map((w) => w.startedAt), settings.budget.hourMs)).toBe(settings.budget.perHour);
      } else {
        // Room to spare: the answers were edited live while they streamed.
        const liveEdits = writes.filter((w) => w.op === "update" && parseComment(w.body ?? "")?.meta.state === "streaming");
        expect(liveEdits.length).toBeGreaterThanOrEqual(2 * mine.length);
      }

      // Runs of the installation that held a turn at once: from asking the model to the 🚀 after it
      // (a run waiting for a turn posts its comment early, to say it is queued).
      const spans = mine.map((m) => {
        const { rocket } = answerTo(world, m);
        const stream = world.model.streams.find((s) => s.key === m.key);
        return [stream?.startedAt ?? Number.NaN, rocket?.endedAt ?? Number.NaN] as const;
      });
      expect(maxOverlap(spans)).toBe(settings.concurrentRuns);
    }
    // One write at a time per installation.
    expect(world.github.maxInFlight).toBe(1);

    for (const mention of world.mentions) {
      const { comments, reactions } = answerTo(world, mention);
      const expected = answerChunks(mention.key, CHUNKS).join("");
      expect(comments, mention.key).toHaveLength(1);
      expect(parseComment(comments[0]?.body ?? ""), mention.key).toMatchObject({ text: expected, meta: { state: "done" } });
      expect(reactions.map((r) => r.content), mention.key).toEqual(["eyes", "rocket"]);
    }

    // On each issue, the second request is answered after the first one finished, and reads it.
    for (const first of world.mentions.filter((m) => m.ordinal === 1)) {
      const second = world.mentions.find((m) => m.issue === first.issue && m.ordinal === 2) as Mention;
      expect(answerTo(world, second).created?.startedAt).toBeGreaterThan(answerTo(world, first).rocket?.endedAt ?? Number.POSITIVE_INFINITY);
      const secondPrompt = world.model.streams.find((s) => s.key === second.key)?.messages ?? [];
      expect(secondPrompt.slice(-3).map((m) => m.role)).toEqual(["user", "assistant", "user"]);
      expect(secondPrompt.at(-2)?.content).toBe(answerChunks(first.key, CHUNKS).join(""));
    }
  });

  it("gives every installation its first comment as soon as it would alone, however busy the others are", async () => {
    const alone = await manyMentions(1);
    const together = await manyMentions(INSTALLATIONS);
    const soloDelay = firstCommentDelay(alone, 1);
    for (let installation = 1; installation <= INSTALLATIONS; installation++) {
      expect(firstCommentDelay(together, installation), `installation ${installation}`).toBeLessThanOrEqual(soloDelay);
    }
  });
});

describe("a busy installation next to a quiet one", () => {
  it("does not delay the quiet installation's first comment beyond its own budget", async () => {
    const latencyMs = 200;
    const measure = async (busyMentions: number) => {
      const world = loadWorld({ env: BUSY_BUDGET, chunks: CHUNKS, chunkMs: 500, writeLatencyMs: latencyMs });
      for (let n = 0; n < busyMentions; n++) await world.mention(1, 1 + (n % 10));
      await world.mention(2, 1);
      await world.runToEnd();
      return { delay: firstCommentDelay(world, 2), spacingMs: world.settings.budget.spacingMs };
    };
    const alone = await measure(0);
    // 30 mentions on 10 issues: 4 running, the rest queued, all of them acknowledged first.
    const besideBusy = await measure(30);
    // Alone, the quiet installation's 👀 then its comment: one write and the spacing.
    expect(alone.delay).toBeLessThanOrEqual(latencyMs + alone.spacingMs);
    expect(besideBusy.delay).toBeLessThanOrEqual(alone.delay);
  });
});

describe("memory after a burst", () => {
  it("holds no run state once every run ended, and drops an installation's write scheduler only after an hour without writes", async () => {
    const world = await manyMentions(INSTALLATIONS);
    const { devbuddy, clock, settings } = world;
    expect(devbuddy.coordinator.activeRuns).toBe(0);
    expect(devbuddy.coordinator.held).toEqual({ issues: 0, installations: 0, tasks: 0 });

    // Just after the burst each scheduler still remembers the writes GitHub counts: kept.
    const busy = devbuddy.scheduler(1);
    expect(devbuddy.schedulerCount).toBe(INSTALLATIONS);
    const lastWrite = Math.max(...world.github.writes.map((w) => w.endedAt));
    await clock.advance(lastWrite + settings.budget.hourMs - 1 - clock.now());
    await world.mention(7, 1);
    expect(devbuddy.scheduler(1)).toBe(busy);
    expect(devbuddy.schedulerCount).toBe(INSTALLATIONS + 1);
    await world.runToEnd();

    // An hour after its last write (and after it was last handed out), a quiet installation's scheduler is gone.
    await clock.advance(settings.budget.hourMs);
    await world.mention(8, 1);
    expect(devbuddy.schedulerCount).toBe(1);
    await world.runToEnd();
    expect(devbuddy.coordinator.held).toEqual({ issues: 0, installations: 0, tasks: 0 });
  });
});
