import { describe, expect, it } from "vitest";
import { SqliteJournal } from "../../src/state/sqlite-journal.js";
import { RunCoordinator, type CancelReason, type RunHandle, type RunTicket } from "../../src/runs/run-coordinator.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { recordingLogger } from "../helpers/recording-logger.js";

function setup(maxConcurrentPerInstallation?: number, maxConcurrent?: number) {
  const clock = new ManualClock();
  const coordinator = new RunCoordinator({
    journal: new SqliteJournal(":memory:"),
    clock,
    log: recordingLogger(),
    graceMs: 10_000,
    flushMs: 15_000,
    ...(maxConcurrentPerInstallation === undefined ? {} : { maxConcurrentPerInstallation }),
    ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
  });
  const events: string[] = [];
  return { clock, coordinator, events };
}

const ticket = (n: number, issue = "1/o/r#1"): RunTicket => ({ deliveryId: `d${n}`, triggerKey: `c${n}`, issueKey: issue });

/** A run that takes its turn, then waits until `release` or cancellation. */
function controllableRun(events: string[], name: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let handle!: RunHandle;
  /** What the run heard while it waited: how many requests were ahead of it. */
  const queued: number[] = [];
  const execute = async (h: RunHandle): Promise<void> => {
    handle = h;
    try {
      await h.waitForTurn((ahead) => queued.push(ahead));
    } catch (reason) {
      events.push(`${name}:not-started:${(reason as CancelReason).kind}`);
      return;
    }
    events.push(`${name}:start`);
    await Promise.race([
      released,
      new Promise<void>((resolve) => h.cancelSignal.addEventListener("abort", () => resolve(), { once: true })),
    ]);
    const reason = h.cancelSignal.reason as CancelReason | undefined;
    events.push(reason ? `${name}:cancelled:${reason.kind}` : `${name}:done`);
  };
  return { execute, queued, release: () => release(), handle: () => handle };
}

describe("RunCoordinator", () => {
  it("accepts a request once: a redelivered delivery id or the same trigger is a duplicate", async () => {
    const { coordinator } = setup();
    expect(await coordinator.submit(ticket(1), async () => undefined)).toBe("accepted");
    expect(await coordinator.submit(ticket(1), async () => undefined)).toBe("duplicate");
    expect(await coordinator.submit({ ...ticket(2), triggerKey: "c1" }, async () => undefined)).toBe("duplicate");
    expect(await coordinator.submit({ ...ticket(3), deliveryId: "d1" }, async () => undefined)).toBe("duplicate");
  });

  it("runs mentions on one issue one after another, in order, and other issues alongside", async () => {
    const { coordinator, events } = setup();
    const a = controllableRun(events, "a");
    const b = controllableRun(events, "b");
    const other = controllableRun(events, "other");
    await coordinator.submit(ticket(1), a.execute);
    await coordinator.submit(ticket(2), b.execute);
    await coordinator.submit(ticket(3, "1/o/r#2"), other.execute);
    await settle();
    expect(events).toEqual(["a:start", "other:start"]);
    a.release();
    await settle();
    expect(events).toEqual(["a:start", "other:start", "a:done", "b:start"]);
    b.release();
    other.release();
    await settle();
    expect(coordinator.activeRuns).toBe(0);
  });

  it("lets at most N runs of one installation hold a turn, hands each freed turn to the next in order, and leaves other installations alone", async () => {
    const { coordinator, events } = setup(2);
    const runs = ["a", "b", "c", "d"].map((name) => controllableRun(events, name));
    for (const [i, run] of runs.entries()) await coordinator.submit({ ...ticket(i + 1, `1/o/r#${i + 1}`), installationKey: "1" }, run.execute);
    const elsewhere = controllableRun(events, "elsewhere");
    await coordinator.submit({ ...ticket(9, "2/o/r#1"), installationKey: "2" }, elsewhere.execute);
    await settle();
    expect(events).toEqual(["a:start", "b:start", "elsewhere:start"]);
    runs[1]?.release();
    // A newcomer arriving as b ends must not take the turn b hands to c.
    const late = controllableRun(events, "late");
    await coordinator.submit({ ...ticket(5, "1/o/r#5"), installationKey: "1" }, late.execute);
    await settle();
    expect(events).toEqual(["a:start", "b:start", "elsewhere:start", "b:done", "c:start"]);
    runs[0]?.release();
    await settle();
    expect(events.slice(5)).toEqual(["a:done", "d:start"]);
    runs[2]?.release();
    runs[3]?.release();
    await settle();
    expect(events.slice(7)).toEqual(["c:done", "d:done", "late:start"]);
    late.release();
    elsewhere.release();
    await settle();
    expect(coordinator.activeRuns).toBe(0);
  });

  it("a run waiting for its installation's turn gives it up when the App shuts down", async () => {
    const { coordinator, events, clock } = setup(1);
    const a = controllableRun(events, "a");
    const b = controllableRun(events, "b");
    await coordinator.submit({ ...ticket(1, "1/o/r#1"), installationKey: "1" }, a.execute);
    await coordinator.submit({ ...ticket(2, "1/o/r#2"), installationKey: "1" }, b.execute);
    await settle();
    const stopping = coordinator.shutdown();
    await settle();
    expect(events).toEqual(["a:start", "b:not-started:shutdown"]);
    a.release();
    await clock.advance(1);
    await stopping;
  });

  it("stop cancels the run that has the issue's turn, not the queued one", async () => {
    const { coordinator, events } = setup();
    const a = controllableRun(events, "a");
    const b = controllableRun(events, "b");
    await coordinator.submit(ticket(1), a.execute);
    await coordinator.submit(ticket(2), b.execute);
    await settle();
    expect(coordinator.stop("1/o/r#1", "maintainer")).toBe(true);
    await settle();
    expect(events).toEqual(["a:start", "a:cancelled:stop", "b:start"]);
    expect(a.handle().cancelSignal.reason).toEqual({ kind: "stop", by: "maintainer" });
    expect(coordinator.stop("1/o/r#9", "maintainer")).toBe(false);
    b.release();
  });

  it("on shutdown: refuses new work, cancels queued runs at once, gives running ones the grace period", async () => {
    const { coordinator, events, clock } = setup();
    const a = controllableRun(events, "a");
    const b = controllableRun(events, "b");
    await coordinator.submit(ticket(1), a.execute);
    await coordinator.submit(ticket(2), b.execute);
    await settle();
    const done = coordinator.shutdown();
    await settle();
    expect(events).toEqual(["a:start", "b:not-started:shutdown"]);
    expect(await coordinator.submit(ticket(3), async () => undefined)).toBe("shutting-down");
    await clock.advance(9_999);
    expect(events).not.toContain("a:cancelled:shutdown");
    await clock.advance(1);
    expect(events).toContain("a:cancelled:shutdown");
    await done;
  });

  it("lets a run that finishes within the grace period end normally", async () => {
    const { coordinator, events, clock } = setup();
    const a = controllableRun(events, "a");
    await coordinator.submit(ticket(1), a.execute);
    await settle();
    const done = coordinator.shutdown();
    await clock.advance(3000);
    a.release();
    await done;
    expect(events).toEqual(["a:start", "a:done"]);
  });

  it("aborts the flush signal when final writes take longer than the flush period", async () => {
    const { coordinator, clock } = setup();
    let flush!: AbortSignal;
    await coordinator.submit(ticket(1), async (h) => {
      flush = h.flushSignal;
      await h.waitForTurn();
      await new Promise<void>((resolve) => h.cancelSignal.addEventListener("abort", () => resolve()));
      // A final write that cannot get through (say, a long rate-limit pause).
      await new Promise<void>((resolve) => h.flushSignal.addEventListener("abort", () => resolve()));
    });
    await settle();
    const done = coordinator.shutdown();
    await clock.advance(10_000);
    expect(flush.aborted).toBe(false);
    await clock.advance(15_000);
    expect(flush.aborted).toBe(true);
    await clock.advance(2_000);
    await done;
  });

  it("lets at most N runs of the whole process hold a turn, over all installations; the others hear how many are ahead of them", async () => {
    const { coordinator, events } = setup(4, 2);
    const runs = ["a", "b", "c", "d", "e"].map((name) => controllableRun(events, name));
    // Five installations ask at once.
    for (const [i, run] of runs.entries()) await coordinator.submit({ ...ticket(i + 1, `${i}/o/r#1`), installationKey: String(i) }, run.execute);
    await settle();
    expect(events).toEqual(["a:start", "b:start"]);
    expect(runs.map((r) => r.queued)).toEqual([[], [], [2], [3], [4]]);
    runs[1]?.release();
    await settle();
    expect(events).toEqual(["a:start", "b:start", "b:done", "c:start"]);
    expect(runs.map((r) => r.queued)).toEqual([[], [], [2], [3, 2], [4, 3]]);
    for (const run of runs) run.release();
    await coordinator.settled();
    expect(events.filter((e) => e.endsWith(":done")).sort()).toEqual(["a:done", "b:done", "c:done", "d:done", "e:done"]);
    expect(coordinator.held).toEqual({ issues: 0, installations: 0, tasks: 0 });
  });
});
