import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, it } from "vitest";
import { parseComment } from "../src/comments/comment-format.js";
import { loadWorld, type Mention } from "../test/helpers/mention-load.js";
import { maxInWindow, percentile } from "../test/helpers/stats.js";

/**
 * Many mentions at once through the whole App (the load test's world: in-process Devbuddy,
 * real adapter and Octokit served from memory, a model streaming 80 chunks over 40 s, 200 ms
 * per GitHub write) on the default settings (and once on the load test's tight budget), in
 * simulated time: the latencies and write counts do not depend on the machine; wall time
 * and heap do.
 */

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1_000_000;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const HOUR = 3_600_000;

type World = ReturnType<typeof loadWorld>;

async function burst(world: World, installations: number, issues: number, perIssue: number, firstInstallation = 1): Promise<void> {
  for (let issue = 1; issue <= issues; issue++) {
    for (let i = firstInstallation; i < firstInstallation + installations; i++) {
      for (let n = 0; n < perIssue; n++) await world.mention(i, issue);
    }
  }
}

interface InstallationRow {
  readonly installation: number;
  readonly runs: number;
  readonly writes: number;
  readonly perMinute: number;
  readonly perHour: number;
  readonly ack: readonly number[];
  readonly comment: readonly number[];
  /** From the model's last chunk to the final text on GitHub. */
  readonly final: readonly number[];
  readonly lastRocket: number;
}

function rows(world: World): InstallationRow[] {
  const byInstallation = new Map<number, Mention[]>();
  for (const m of world.mentions) byInstallation.set(m.installationId, [...(byInstallation.get(m.installationId) ?? []), m]);
  return [...byInstallation].map(([installation, mentions]) => {
    const writes = world.github.writes.filter((w) => w.installationId === installation);
    const starts = writes.map((w) => w.startedAt);
    const created = new Map(writes.filter((w) => w.op === "create").map((w) => [parseComment(w.body ?? "")?.meta.trigger, w.startedAt]));
    const finished = new Map(
      writes.flatMap((w) => {
        const meta = parseComment(w.body ?? "")?.meta;
        return meta?.state === "done" ? [[meta.trigger, w.endedAt] as const] : [];
      }),
    );
    const streamEnd = new Map(world.model.streams.map((stream) => [stream.key, stream.endedAt ?? Number.NaN]));
    const reaction = (m: Mention, content: string) => writes.find((w) => w.op === "react" && w.commentId === m.commentId && w.content === content);
    return {
      installation,
      runs: mentions.length,
      writes: writes.length,
      perMinute: maxInWindow(starts, world.settings.budget.minuteMs),
      perHour: maxInWindow(starts, world.settings.budget.hourMs),
      ack: mentions.map((m) => (reaction(m, "eyes")?.startedAt ?? Number.NaN) - m.at),
      comment: mentions.map((m) => (created.get(m.triggerKey) ?? Number.NaN) - m.at),
      final: mentions.map((m) => (finished.get(m.triggerKey) ?? Number.NaN) - (streamEnd.get(m.key) ?? Number.NaN)),
      lastRocket: Math.max(...mentions.map((m) => reaction(m, "rocket")?.endedAt ?? Number.NaN)),
    };
  });
}

async function scenario(installations: number, issues: number, perIssue: number, perInstallationRows: boolean, env: Record<string, string> = {}): Promise<void> {
  const before = heapMb();
  const world = loadWorld({ env, chunks: 80, chunkMs: 500, writeLatencyMs: 200 });
  const started = performance.now();
  await burst(world, installations, issues, perIssue);
  const peakSchedulers = world.devbuddy.schedulerCount;
  await world.runToEnd();
  const wallMs = performance.now() - started;
  const { budget, concurrentRuns } = world.settings;
  const table = rows(world);
  const delivered = world.github.botComments().filter((c) => parseComment(c.body)?.meta.state === "done").length;
  const totalWrites = world.github.writes.length;
  const runs = world.mentions.length;
  world.forgetRecords();
  const afterRuns = heapMb();
  // An hour on, one more mention: the quiet installations' schedulers are dropped on the way.
  await world.clock.advance(HOUR);
  await world.mention(installations + 1, 1);
  await world.runToEnd();
  world.forgetRecords();
  const afterHour = heapMb();

  const budgetText = Object.keys(env).length === 0 ? "default budget" : `budget ${budget.perMinute} a minute, ${budget.perHour} an hour`;
  console.log(`\n${installations} installations × ${issues} issues × ${perIssue} mentions at once (${runs} runs, at most ${concurrentRuns} at once per installation; ${budgetText})`);
  if (perInstallationRows) {
    console.log(`  ${"inst".padEnd(5)} ${"runs".padStart(4)} ${"writes".padStart(6)} ${"max/min".padStart(8)} ${"max/h".padStart(6)}   👀 p50/p95 (s)   comment p50/p95 (s)   last 🚀 (s)`);
    for (const r of table) {
      console.log(
        `  ${String(r.installation).padEnd(5)} ${String(r.runs).padStart(4)} ${String(r.writes).padStart(6)} ${String(r.perMinute).padStart(8)} ${String(r.perHour).padStart(6)}   ` +
          `${`${seconds(percentile(r.ack, 0.5))} / ${seconds(percentile(r.ack, 0.95))}`.padEnd(15)}  ${`${seconds(percentile(r.comment, 0.5))} / ${seconds(percentile(r.comment, 0.95))}`.padEnd(20)}  ${seconds(r.lastRocket)}`,
      );
    }
  }
  const allComment = table.flatMap((r) => r.comment);
  const allAck = table.flatMap((r) => r.ack);
  const lines: Array<[string, string]> = [
    ["answers delivered whole (state done)", `${delivered} of ${runs}`],
    ["writes in all / per installation (min–max)", `${totalWrites} / ${Math.min(...table.map((r) => r.writes))}–${Math.max(...table.map((r) => r.writes))}`],
    [`max writes of one installation in any ${seconds(budget.minuteMs)} s (budget)`, `${Math.max(...table.map((r) => r.perMinute))} (${budget.perMinute})`],
    [`max writes of one installation in any ${seconds(budget.hourMs)} s (budget)`, `${Math.max(...table.map((r) => r.perHour))} (${budget.perHour})`],
    ["mention → 👀, all runs p50 / p95 (s)", `${seconds(percentile(allAck, 0.5))} / ${seconds(percentile(allAck, 0.95))}`],
    ["mention → answer comment, all runs p50 / p95 (s)", `${seconds(percentile(allComment, 0.5))} / ${seconds(percentile(allComment, 0.95))}`],
    ["mention → answer comment p95, best / worst installation (s)", `${seconds(Math.min(...table.map((r) => percentile(r.comment, 0.95))))} / ${seconds(Math.max(...table.map((r) => percentile(r.comment, 0.95))))}`],
    ["first comment of an installation, worst (s)", seconds(Math.max(...table.map((r) => Math.min(...r.comment))))],
    ["model's last chunk → final text on GitHub, p50 / max (s)", `${seconds(percentile(table.flatMap((r) => r.final), 0.5))} / ${seconds(Math.max(...table.flatMap((r) => r.final)))}`],
    ["simulated time until the last 🚀 (s)", seconds(Math.max(...table.map((r) => r.lastRocket)))],
    ["wall time (ms, this machine)", wallMs.toFixed(0)],
    ["write schedulers kept: during the burst / an hour later", `${peakSchedulers} / ${world.devbuddy.schedulerCount}`],
    ["heap used MB: before / all runs ended / an hour later", `${before.toFixed(1)} / ${afterRuns.toFixed(1)} / ${afterHour.toFixed(1)}`],
  ];
  for (const [label, value] of lines) console.log(`  ${label.padEnd(64)} ${value}`);
}

describe("benchmarks", () => {
  it("many mentions at once (simulated time, default settings)", async () => {
    await scenario(6, 5, 2, true);
    await scenario(50, 4, 2, false);
    // The load test's tight budget: both windows fill, and the hour window holds the last final answers back.
    await scenario(6, 5, 2, false, { DEVBUDDY_WRITES_PER_MINUTE: "20", DEVBUDDY_WRITES_PER_HOUR: "40" });
  }, 300_000);

  it("memory over waves of new installations, an hour apart", async () => {
    const world = loadWorld({ chunks: 20, chunkMs: 500, writeLatencyMs: 200 });
    const WAVES = 12;
    const PER_WAVE = 50;
    console.log(`\n${WAVES} waves, each ${PER_WAVE} installations never seen before × 1 issue × 2 mentions, an hour apart`);
    console.log(`  ${"wave".padEnd(5)} ${"schedulers kept".padStart(16)} ${"coordinator held".padStart(28)} ${"heap MB".padStart(8)}`);
    for (let wave = 0; wave < WAVES; wave++) {
      await burst(world, PER_WAVE, 1, 2, 1 + wave * PER_WAVE);
      await world.runToEnd();
      world.forgetRecords();
      const held = world.devbuddy.coordinator.held;
      console.log(
        `  ${String(wave + 1).padEnd(5)} ${String(world.devbuddy.schedulerCount).padStart(16)} ${`issues ${held.issues}, inst ${held.installations}, tasks ${held.tasks}`.padStart(28)} ${heapMb().toFixed(1).padStart(8)}`,
      );
      await world.clock.advance(HOUR);
    }
  }, 300_000);
});
