import { describe, expect, it } from "vitest";
import { RequestLimiter } from "../../src/limits/request-limiter.js";
import { ManualClock } from "../helpers/manual-clock.js";

const HOUR = 3_600_000;

describe("RequestLimiter", () => {
  it("allows `limit` requests in any window, then refuses and says so once", async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ limit: 3, windowMs: HOUR, clock });
    for (let i = 0; i < 3; i++) {
      expect(limiter.take("1/alice")).toEqual({ allowed: true });
      await clock.advance(60_000);
    }
    expect(limiter.take("1/alice")).toEqual({ allowed: false, notify: true, retryAfterMs: HOUR - 3 * 60_000 });
    expect(limiter.take("1/alice")).toEqual({ allowed: false, notify: false, retryAfterMs: HOUR - 3 * 60_000 });
    // Someone else, or the same login in another installation, has a budget of their own.
    expect(limiter.take("1/bob")).toEqual({ allowed: true });
    expect(limiter.take("2/alice")).toEqual({ allowed: true });
  });

  it("slides: a request leaves the window an hour after it was made", async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ limit: 2, windowMs: HOUR, clock });
    limiter.take("k");
    await clock.advance(30 * 60_000);
    limiter.take("k");
    expect(limiter.take("k").allowed).toBe(false);
    await clock.advance(30 * 60_000); // the first one is an hour old now
    expect(limiter.take("k")).toEqual({ allowed: true });
    expect(limiter.take("k")).toMatchObject({ allowed: false, notify: false });
  });

  it("tells the person again only after a whole window of refusals", async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ limit: 1, windowMs: HOUR, clock });
    limiter.take("k");
    expect(limiter.take("k")).toMatchObject({ notify: true });
    const seen: string[] = [];
    for (let i = 1; i <= 12; i++) {
      await clock.advance(10 * 60_000);
      const verdict = limiter.take("k");
      seen.push(verdict.allowed ? "allowed" : verdict.notify ? "told" : "silent");
    }
    expect(seen).toEqual(["silent", "silent", "silent", "silent", "silent", "allowed", "told", "silent", "silent", "silent", "silent", "allowed"]);
  });

  it("forgets people whose window is empty: a flood of strangers does not grow memory for ever", async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ limit: 5, windowMs: HOUR, clock });
    for (let i = 0; i < 10_000; i++) limiter.take(`1/user${i}`);
    expect(limiter.size).toBe(10_000);
    await clock.advance(HOUR + 1);
    limiter.take("1/late");
    expect(limiter.size).toBe(1);
  });
});
