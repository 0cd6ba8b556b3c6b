import { describe, expect, it } from "vitest";
import { GitHubError } from "../../src/github/errors.js";
import type { WriteBudgetLimits } from "../../src/scheduler/write-budget.js";
import type { SlotRequest } from "../../src/scheduler/write-scheduler.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { testScheduler } from "../helpers/memory-github.js";
import { recordingLogger } from "../helpers/recording-logger.js";

function setup(limits: Partial<WriteBudgetLimits> = {}) {
  const clock = new ManualClock();
  const log = recordingLogger();
  const scheduler = testScheduler(clock, log, limits);
  const starts: Array<{ at: number; label: string }> = [];
  const submit = (request: SlotRequest, label: string, behaviour?: () => Promise<void>) =>
    scheduler.schedule(request, async () => {
      starts.push({ at: clock.now(), label });
      await behaviour?.();
      return label;
    });
  return { clock, log, scheduler, starts, submit };
}

const essential = (key = "k"): SlotRequest => ({ priority: "essential", key });
const progress = (key = "k", notBefore?: number): SlotRequest => ({
  priority: "progress",
  key,
  ...(notBefore === undefined ? {} : { notBefore }),
});

describe("WriteScheduler", () => {
  it("runs writes one at a time, at least the spacing apart", async () => {
    const { clock, starts, submit } = setup();
    const done = [submit(essential(), "a"), submit(essential(), "b"), submit(essential(), "c")];
    await clock.advance(5000);
    await expect(Promise.all(done)).resolves.toEqual(["a", "b", "c"]);
    expect(starts).toEqual([
      { at: 0, label: "a" },
      { at: 1000, label: "b" },
      { at: 2000, label: "c" },
    ]);
  });

  it("never has two writes in flight, and spaces writes from the end of the previous one", async () => {
    const { clock, starts, submit } = setup();
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = async (): Promise<void> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await clock.sleep(2500);
      inFlight--;
    };
    void submit(essential(), "a", slow);
    void submit(essential(), "b", slow);
    await clock.advance(10_000);
    expect(maxInFlight).toBe(1);
    expect(starts.map((s) => s.at)).toEqual([0, 3500]);
  });

  it("holds writes back when the minute window is full, until the oldest ages out", async () => {
    const { clock, starts, submit } = setup({ perMinute: 3 });
    for (const label of ["a", "b", "c", "d"]) void submit(essential(), label);
    await clock.advance(120_000);
    expect(starts.map((s) => s.at)).toEqual([0, 1000, 2000, 60_000]);
  });

  it("counts a slow write in the window until a minute after it ended (GitHub counts on arrival)", async () => {
    const { clock, starts, submit } = setup({ perMinute: 2 });
    void submit(essential(), "slow", () => clock.sleep(5000));
    void submit(essential(), "b");
    void submit(essential(), "c");
    await clock.advance(120_000);
    expect(starts.map((s) => s.at)).toEqual([0, 6000, 65_000]);
  });

  it("sends essential writes before waiting progress edits", async () => {
    const { clock, starts, submit } = setup();
    void submit(essential("x"), "first");
    void submit(progress("p"), "progress");
    void submit(essential("y"), "final");
    await clock.advance(5000);
    expect(starts.map((s) => s.label)).toEqual(["first", "final", "progress"]);
  });

  it("shares progress edits fairly: the comment served longest ago goes first", async () => {
    const { clock, starts, submit } = setup();
    // Three answers keep one edit each waiting at all times.
    const keep = (key: string, n: number): void => {
      if (n === 0) return;
      void submit(progress(key), key).then(() => keep(key, n - 1));
    };
    keep("a", 4);
    keep("b", 4);
    keep("c", 4);
    await clock.advance(20_000);
    expect(starts.map((s) => s.label).join("")).toBe("abcabcabcabc");
  });

  it("respects a progress edit's notBefore without holding up other writes", async () => {
    const { clock, starts, submit } = setup();
    void submit(progress("a", 5000), "late");
    void submit(progress("b"), "now");
    await clock.advance(10_000);
    expect(starts).toEqual([
      { at: 0, label: "now" },
      { at: 5000, label: "late" },
    ]);
  });

  it("keeps part of each window for essential writes: progress edits may fill only their share", async () => {
    const { clock, starts, submit } = setup({ perMinute: 8, perHour: 1000, progressShare: 0.75 });
    for (let i = 0; i < 10; i++) void submit(progress(`p${i}`), `p${i}`);
    await clock.advance(20_000);
    // 6 of 8 per minute for progress...
    expect(starts).toHaveLength(6);
    void submit(essential(), "final");
    await clock.advance(1000);
    // ...and the essential write still finds room at once.
    expect(starts.at(-1)).toEqual({ at: 20_000, label: "final" });
  });

  it("paces progress edits by the hourly budget once the burst allowance is spent", async () => {
    // perHour 100, share 1: 100 progress edits an hour, bursts of up to 20.
    const { clock, starts, submit } = setup({ perMinute: 80, perHour: 100, progressShare: 1 });
    let stop = false;
    const pump = (): void => {
      if (!stop) void submit(progress("a"), "p").then(pump);
    };
    pump();
    await clock.advance(3_600_000);
    stop = true;
    const burst = starts.filter((s) => s.at < 20_000).length;
    expect(burst).toBe(20);
    // After the burst: the other 80 of the hour's 100, one per 45 s.
    const later = starts.filter((s) => s.at >= 60_000);
    const gaps = later.slice(1).map((s, i) => s.at - (later[i] as { at: number }).at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(46_000);
    expect(starts.filter((s) => s.at < 3_600_000).length).toBeLessThanOrEqual(100);
  });

  it("serves an answer that starts late in a busy hour within one pacing step", async () => {
    const { clock, starts, submit } = setup({ perMinute: 80, perHour: 100, progressShare: 1 });
    let stop = false;
    const pump = (key: string): void => {
      if (!stop) void submit(progress(key), key).then(() => pump(key));
    };
    pump("early");
    await clock.advance(55 * 60_000);
    const lateAt = clock.now();
    pump("late");
    await clock.advance(60_000);
    stop = true;
    const firstLate = starts.find((s) => s.label === "late");
    expect(firstLate).toBeDefined();
    expect((firstLate?.at ?? Infinity) - lateAt).toBeLessThanOrEqual(45_000);
  });

  it("never exceeds the minute and hour limits under sustained mixed load", async () => {
    const limits = { perMinute: 20, perHour: 90, spacingMs: 1000, progressShare: 0.75 };
    const { clock, starts, submit } = setup(limits);
    let stop = false;
    for (const key of ["a", "b", "c", "d"]) {
      const pump = (): void => {
        if (!stop) void submit(progress(key), key).then(pump);
      };
      pump();
    }
    for (let i = 0; i < 200; i++) void submit(essential(`e${i}`), `e${i}`);
    await clock.advance(3 * 3_600_000);
    stop = true;
    const times = starts.map((s) => s.at);
    for (let i = 0; i < times.length; i++) {
      const t = times[i] as number;
      expect(times.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(limits.perMinute);
      expect(times.filter((u) => u >= t && u < t + 3_600_000).length).toBeLessThanOrEqual(limits.perHour);
      if (i > 0) expect(t - (times[i - 1] as number)).toBeGreaterThanOrEqual(1000);
    }
    // All 200 essential writes got through, ahead of progress edits.
    expect(starts.filter((s) => s.label.startsWith("e"))).toHaveLength(200);
  });

  it("pauses the installation for retry-after on a secondary limit, then sends the same write again", async () => {
    const { clock, starts, submit, log } = setup();
    let attempts = 0;
    const final = submit(essential("final"), "final", async () => {
      attempts++;
      if (attempts === 1) {
        throw new GitHubError("limited", { kind: "rate-limited", status: 403, rateLimit: { limit: "secondary", retryAfterSeconds: 30 } });
      }
    });
    void submit(essential("other"), "other");
    await clock.advance(29_000);
    expect(starts.map((s) => s.label)).toEqual(["final"]);
    await clock.advance(2000);
    await expect(final).resolves.toBe("final");
    expect(starts).toEqual([
      { at: 0, label: "final" },
      { at: 30_000, label: "final" },
      { at: 31_000, label: "other" },
    ]);
    expect(log.lines.some((l) => l.level === "warn" && l.fields["pauseMs"] === 30_000)).toBe(true);
  });

  it("without retry-after, pauses at least 60 s and doubles the pause while limits repeat", async () => {
    const { clock, starts, submit } = setup();
    let attempts = 0;
    const write = submit(essential(), "w", async () => {
      if (++attempts <= 2) throw new GitHubError("limited", { kind: "rate-limited", status: 403, rateLimit: { limit: "secondary" } });
    });
    await clock.advance(200_000);
    await expect(write).resolves.toBe("w");
    expect(starts.map((s) => s.at)).toEqual([0, 60_000, 180_000]);
  });

  it("waits for x-ratelimit-reset when the primary quota is spent", async () => {
    const { clock, starts, submit } = setup();
    let attempts = 0;
    void submit(essential(), "w", async () => {
      if (++attempts === 1) {
        throw new GitHubError("quota", { kind: "rate-limited", status: 403, rateLimit: { limit: "primary", resetEpochSeconds: 1_000_000 + 120 } });
      }
    });
    await clock.advance(300_000);
    expect(starts.map((s) => s.at)).toEqual([0, 120_000]);
  });

  it("rejects other errors and carries on with the queue", async () => {
    const { clock, submit, starts } = setup();
    const failing = submit(essential(), "bad", async () => {
      throw new GitHubError("nope", { kind: "permanent", status: 422 });
    }).catch((error: unknown) => error);
    const next = submit(essential(), "good");
    await clock.advance(2000);
    expect(await failing).toMatchObject({ message: "nope", status: 422 });
    await expect(next).resolves.toBe("good");
    expect(starts.map((s) => s.label)).toEqual(["bad", "good"]);
  });

  it("does not resend a rate-limited write that was cancelled while in flight", async () => {
    const { clock, submit, starts, scheduler } = setup();
    const controller = new AbortController();
    const cancelled = submit({ ...progress("p"), signal: controller.signal }, "edit", async () => {
      controller.abort(new Error("superseded by the final write"));
      throw new GitHubError("limited", { kind: "rate-limited", status: 403, rateLimit: { limit: "secondary", retryAfterSeconds: 5 } });
    }).catch((error: unknown) => error);
    await clock.advance(60_000);
    expect(await cancelled).toMatchObject({ message: "superseded by the final write" });
    expect(starts.map((s) => s.label)).toEqual(["edit"]);
    expect(scheduler.idle).toBe(true);
  });

  it("drops a waiting write when its signal aborts", async () => {
    const { clock, submit, starts, scheduler } = setup();
    void submit(essential(), "a");
    const controller = new AbortController();
    const dropped = submit({ ...progress("p"), signal: controller.signal }, "dropped");
    controller.abort(new Error("superseded"));
    await expect(dropped).rejects.toThrow("superseded");
    await clock.advance(5000);
    expect(starts.map((s) => s.label)).toEqual(["a"]);
    expect(scheduler.idle).toBe(true);
    await settle();
  });

  it("is dormant only once idle and its hour window holds no write: a new scheduler would then pace the same", async () => {
    const { clock, submit, scheduler } = setup({ minuteMs: 1_000, hourMs: 10_000 });
    expect(scheduler.dormant).toBe(true);
    const write = submit(essential(), "slow", () => clock.sleep(500));
    void submit(essential(), "queued");
    expect(scheduler.dormant).toBe(false);
    await clock.advance(500);
    await expect(write).resolves.toBe("slow");
    expect(scheduler.idle).toBe(false);
    expect(scheduler.dormant).toBe(false);
    // "queued" ran at 1500 and ended at once: idle from then on, but GitHub still counts it.
    await clock.advance(1000);
    expect(scheduler.idle).toBe(true);
    expect(scheduler.dormant).toBe(false);
    await clock.advance(1500 + 10_000 - 1 - clock.now());
    expect(scheduler.dormant).toBe(false);
    await clock.advance(1);
    expect(scheduler.dormant).toBe(true);
  });

  it("is not dormant while a rate-limit pause is in force, even with an empty budget", async () => {
    const { clock, submit, scheduler } = setup({ minuteMs: 1_000, hourMs: 10_000 });
    const controller = new AbortController();
    // A progress edit cancelled while in flight is not sent again: the scheduler is idle, but paused for 60 s.
    const cancelled = submit({ ...progress("p"), signal: controller.signal }, "edit", async () => {
      controller.abort(new Error("superseded by the final write"));
      throw new GitHubError("limited", { kind: "rate-limited", status: 403, rateLimit: { limit: "secondary", retryAfterSeconds: 60 } });
    }).catch((error: unknown) => error);
    await clock.advance(30_000);
    await cancelled;
    expect(scheduler.idle).toBe(true);
    expect(scheduler.dormant).toBe(false);
    await clock.advance(30_000);
    expect(scheduler.dormant).toBe(true);
  });

  describe("courtesy writes (a 😕 to someone who may not ask)", () => {
    const courtesy = (key = "c"): SlotRequest => ({ priority: "courtesy", key });
    const outcome = (p: Promise<string>): Promise<string> => p.catch((error: unknown) => (error as Error).name);

    it("start only when no answer's write is waiting, even one that is not due yet", async () => {
      const { clock, starts, submit } = setup();
      void submit(progress("answer", 5_000), "edit");
      const reaction = outcome(submit(courtesy(), "😕"));
      void submit(essential("answer"), "final");
      await clock.advance(20_000);
      expect(starts.map((s) => s.label)).toEqual(["final", "edit", "😕"]);
      expect(await reaction).toBe("😕");
    });

    it("are dropped, not kept waiting, while answers keep the scheduler busy", async () => {
      const { clock, starts, submit } = setup();
      // An answer streams for two minutes: one edit every 2 s.
      for (let t = 0; t < 120_000; t += 2_000) void submit(progress("answer", t), `edit@${t}`);
      const reaction = outcome(submit(courtesy(), "😕"));
      await clock.advance(130_000);
      expect(await reaction).toBe("WriteDropped");
      expect(starts.filter((s) => s.label === "😕")).toEqual([]);
    });

    it("are dropped at once when half of a window is used, and beyond ten in line", async () => {
      const { clock, submit } = setup({ perMinute: 4 });
      void submit(essential(), "a");
      void submit(essential(), "b");
      await clock.advance(5_000);
      expect(await outcome(submit(courtesy(), "late"))).toBe("WriteDropped");
      await clock.advance(60_000);
      const many = Array.from({ length: 12 }, (_, i) => outcome(submit(courtesy(`c${i}`), `c${i}`)));
      expect(await many[11]).toBe("WriteDropped");
      await clock.advance(120_000);
      // Two fit under half of the minute's four; the others waited their time.
      expect((await Promise.all(many)).filter((r) => r !== "WriteDropped")).toEqual(["c0", "c1"]);
    });
  });
});
