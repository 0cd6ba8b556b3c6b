import { describe, expect, it } from "vitest";
import { backoffDelay, retry, retryStream, type RetryOptions } from "../../src/util/backoff.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

class Flaky extends Error {
  readonly retryAfterSeconds: number | undefined;
  constructor(retryAfterSeconds?: number) {
    super("flaky");
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

describe("backoffDelay", () => {
  it("doubles from the base with each attempt", () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay({ baseMs: 100 }, attempt))).toEqual([100, 200, 400, 800]);
  });

  it("clamps to the bounds", () => {
    const backoff = { baseMs: 100, minMs: 150, maxMs: 500 };
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(backoff, attempt))).toEqual([150, 200, 400, 500]);
  });

  it("by default waits at least what retry-after asks, longer when the doubling is longer", () => {
    expect(backoffDelay({ baseMs: 100 }, 0, { retryAfterSeconds: 2 })).toBe(2000);
    expect(backoffDelay({ baseMs: 1000 }, 3, { retryAfterSeconds: 2 })).toBe(8000);
    expect(backoffDelay({ baseMs: 100 }, 0, { retryAfterSeconds: 0 })).toBe(100);
  });

  it("with serverWait 'instead' waits exactly what the server asked, and doubles only when it named no wait", () => {
    const backoff = { baseMs: 60_000, serverWait: "instead" as const, epochSeconds: () => 1_000 };
    expect(backoffDelay(backoff, 3, { retryAfterSeconds: 2 })).toBe(2000);
    expect(backoffDelay(backoff, 3, { resetEpochSeconds: 1_030 })).toBe(30_000);
    expect(backoffDelay(backoff, 3, {})).toBe(480_000);
  });

  it("prefers retry-after over x-ratelimit-reset, and a reset already past asks for no wait", () => {
    const backoff = { baseMs: 0, serverWait: "instead" as const, epochSeconds: () => 1_000 };
    expect(backoffDelay(backoff, 0, { retryAfterSeconds: 5, resetEpochSeconds: 2_000 })).toBe(5000);
    expect(backoffDelay(backoff, 0, { resetEpochSeconds: 900 })).toBe(0);
    expect(backoffDelay({ ...backoff, minMs: 1000 }, 0, { resetEpochSeconds: 900 })).toBe(1000);
  });

  it("scales a server's seconds by secondMs", () => {
    expect(backoffDelay({ baseMs: 1, secondMs: 10 }, 0, { retryAfterSeconds: 3 })).toBe(30);
    expect(backoffDelay({ baseMs: 1, secondMs: 10, epochSeconds: () => 0 }, 0, { resetEpochSeconds: 4 })).toBe(40);
  });
});

/** Records when each try started and what the retry loop was told. */
function recorder(clock: ManualClock) {
  const starts: number[] = [];
  const failures: Array<{ attempt: number; delayMs: number | undefined }> = [];
  const options = (extra: Partial<RetryOptions> = {}): RetryOptions => ({
    clock,
    backoff: { baseMs: 100 },
    attempts: 4,
    retryable: (error) => error instanceof Flaky,
    serverWait: (error) => (error instanceof Flaky ? error : undefined),
    onFailure: (_error, failure) => failures.push(failure),
    ...extra,
  });
  return { starts, failures, options };
}

describe("retry", () => {
  it("tries again after each doubling wait on the clock, and resolves with the first success", async () => {
    const clock = new ManualClock();
    const { starts, failures, options } = recorder(clock);
    const result = retry(async (n) => {
      starts.push(clock.now());
      if (n < 2) throw new Flaky();
      return "done";
    }, options());
    await clock.advance(1000);
    await expect(result).resolves.toBe("done");
    expect(starts).toEqual([0, 100, 300]);
    expect(failures).toEqual([
      { attempt: 0, delayMs: 100 },
      { attempt: 1, delayMs: 200 },
    ]);
  });

  it("honours a server's retry-after when it is longer", async () => {
    const clock = new ManualClock();
    const { starts, options } = recorder(clock);
    const result = retry(async (n) => {
      starts.push(clock.now());
      if (n === 0) throw new Flaky(3);
      return n;
    }, options());
    await clock.advance(5000);
    await expect(result).resolves.toBe(1);
    expect(starts).toEqual([0, 3000]);
  });

  it("gives up after `attempts` tries with the last failure, and at once on one that is not retryable", async () => {
    const clock = new ManualClock();
    const { starts, failures, options } = recorder(clock);
    const last = new Flaky();
    const exhausted = retry(async (n) => {
      starts.push(clock.now());
      throw n === 2 ? last : new Flaky();
    }, options({ attempts: 3 }));
    const caught = exhausted.catch((error: unknown) => error);
    await clock.advance(10_000);
    expect(await caught).toBe(last);
    expect(starts).toEqual([0, 100, 300]);
    expect(failures.at(-1)).toEqual({ attempt: 2, delayMs: undefined });

    const fatal = new Error("fatal");
    const tries: number[] = [];
    await expect(retry(async (n) => (tries.push(n), Promise.reject(fatal)), options())).rejects.toBe(fatal);
    expect(tries).toEqual([0]);
    expect(clock.sleepers).toBe(0);
  });

  it("gives up when the wait would reach the deadline", async () => {
    const clock = new ManualClock();
    const { starts, options } = recorder(clock);
    const result = retry(async () => {
      starts.push(clock.now());
      throw new Flaky();
    }, options({ deadline: 300 })).catch((error: unknown) => error);
    await clock.advance(1000);
    expect(await result).toBeInstanceOf(Flaky);
    // 0 + 100 < 300 is allowed; 100 + 200 reaches it.
    expect(starts).toEqual([0, 100]);
  });

  it("stops waiting when the signal aborts, throwing what `cancelled` makes of the reason, and retries no more", async () => {
    const clock = new ManualClock();
    const { starts, options } = recorder(clock);
    const controller = new AbortController();
    const result = retry(async () => {
      starts.push(clock.now());
      throw new Flaky();
    }, options({ signal: controller.signal, cancelled: (reason) => new Error(`cancelled: ${String(reason)}`) })).catch((error: unknown) => error);
    await settle();
    controller.abort("stop");
    await settle();
    expect(await result).toEqual(new Error("cancelled: stop"));
    expect(starts).toEqual([0]);
    expect(clock.sleepers).toBe(0);

    // Without `cancelled`: the signal's reason; an already aborted signal retries nothing.
    const aborted = AbortSignal.abort("gone");
    const again = retry(async () => Promise.reject(new Flaky()), options({ signal: aborted }));
    await expect(again).rejects.toBeInstanceOf(Flaky);
    const plain = new AbortController();
    const waiting = retry(async () => Promise.reject(new Flaky()), options({ signal: plain.signal })).catch((error: unknown) => error);
    await settle();
    plain.abort("plain");
    expect(await waiting).toBe("plain");
  });
});

describe("retryStream", () => {
  async function* items(values: readonly string[], fail?: Error): AsyncGenerator<string> {
    for (const value of values) yield value;
    if (fail) throw fail;
  }

  it("starts the stream over while it has yielded nothing", async () => {
    const clock = new ManualClock();
    const { starts, options } = recorder(clock);
    const seen: string[] = [];
    const done = (async () => {
      for await (const item of retryStream((n) => (starts.push(clock.now()), n < 2 ? items([], new Flaky()) : items(["a", "b"])), options())) seen.push(item);
    })();
    await clock.advance(1000);
    await done;
    expect(seen).toEqual(["a", "b"]);
    expect(starts).toEqual([0, 100, 300]);
  });

  it("does not start over once a reader has seen an item: the failure is final", async () => {
    const clock = new ManualClock();
    const { starts, failures, options } = recorder(clock);
    const seen: string[] = [];
    const failure = new Flaky();
    const done = (async () => {
      for await (const item of retryStream(() => (starts.push(clock.now()), items(["a"], failure)), options())) seen.push(item);
    })().catch((error: unknown) => error);
    await clock.advance(1000);
    expect(await done).toBe(failure);
    expect(seen).toEqual(["a"]);
    expect(starts).toEqual([0]);
    expect(failures).toEqual([]);
  });

  it("closes the current try when the reader stops early", async () => {
    const clock = new ManualClock();
    const { options } = recorder(clock);
    let closed = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const item of retryStream(endless, options())) if (item === 2) break;
    expect(closed).toBe(true);
  });
});
