import { describe, expect, it } from "vitest";
import { watchLoop } from "../../src/util/loop-watch.js";
import { recordingLogger } from "../helpers/recording-logger.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function holdLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a synchronous stretch, as a quadratic algorithm on hostile text would make
  }
}

describe("watching the event loop in production", () => {
  it("warns the operator with the stretch when something holds the loop past the bound, and reports each window", async () => {
    const log = recordingLogger();
    const watch = watchLoop({ log, windowMs: 200, boundMs: 50 });
    await sleep(30);
    holdLoop(150);
    await sleep(300);
    const total = watch.stop();

    const warning = log.lines.find((l) => l.level === "warn");
    expect(warning?.message).toMatch(/^the event loop was held \d+(\.\d)? ms at a stretch \(bound 50 ms\)/);
    expect((warning?.fields["loopDelay"] as { maxMs: number }).maxMs).toBeGreaterThanOrEqual(130);
    const reports = log.lines.filter((l) => l.message === "event loop delay");
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports[0]?.fields).toMatchObject({ windowMs: 200, sinceStart: { maxMs: expect.any(Number), p99Ms: expect.any(Number) } });
    expect(total.maxMs).toBeGreaterThanOrEqual(130);
  });

  it("sees a stretch that begins the moment a window ends", async () => {
    const log = recordingLogger();
    let held = false;
    const debug = log.debug;
    // The first window's report holds the loop itself: the stretch starts right after the reset.
    log.debug = (first: string | Record<string, unknown>, message?: string) => {
      debug(first as Record<string, unknown>, message);
      if (!held) {
        held = true;
        holdLoop(150);
      }
    };
    const watch = watchLoop({ log, windowMs: 100, boundMs: 50 });
    await sleep(450);
    watch.stop();
    expect(held).toBe(true);
    const warning = log.lines.find((l) => l.level === "warn");
    expect((warning?.fields["loopDelay"] as { maxMs: number } | undefined)?.maxMs).toBeGreaterThanOrEqual(130);
  });

  it("stops: no report after stop()", async () => {
    const log = recordingLogger();
    watchLoop({ log, windowMs: 50, boundMs: 50 }).stop();
    await sleep(150);
    expect(log.lines).toEqual([]);
  });
});
