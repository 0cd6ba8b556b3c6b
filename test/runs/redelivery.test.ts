import { describe, expect, it } from "vitest";
import type { HookDelivery } from "../../src/github/app-calls.js";
import { deliveriesToRedeliver } from "../../src/runs/redelivery.js";

let id = 0;
const NOW = 1_000_000;
const attempt = (guid: string, statusCode: number, over: Partial<HookDelivery> = {}): HookDelivery => ({
  id: ++id,
  guid,
  deliveredAt: id * 1000,
  event: "issue_comment",
  action: "created",
  statusCode,
  ...over,
});

describe("deliveriesToRedeliver", () => {
  it("asks again for requests that could not be delivered (no connection, 5xx, 429), in the order they were made, once each", () => {
    const refused = attempt("a", 0);
    const stopping = attempt("b", 503);
    const limited = attempt("c", 429);
    const refusedAgain = attempt("a", 0);
    expect(deliveriesToRedeliver([refusedAgain, limited, stopping, refused], new Set(), NOW).map((d) => d.guid)).toEqual(["a", "b", "c"]);
  });

  it("leaves alone what was delivered in the end, what devbuddy handled, and what it refused on purpose", () => {
    const deliveries = [attempt("ok-later", 503), attempt("ok-later", 200), attempt("handled", 502), attempt("bad-signature", 400), attempt("gone", 404)];
    expect(deliveriesToRedeliver(deliveries, new Set(["handled"]), NOW)).toEqual([]);
  });

  it("goes by the one rule for permanent failures: a 408 timed out and is asked for again, a 403 was refused", () => {
    expect(deliveriesToRedeliver([attempt("timed-out", 408), attempt("forbidden", 403), attempt("gone", 410)], new Set(), NOW).map((d) => d.guid)).toEqual(["timed-out"]);
  });

  it("leaves alone what was delivered since this process started: it reached this process, or is on its way", () => {
    expect(deliveriesToRedeliver([attempt("in-flight", 0, { deliveredAt: NOW }), attempt("missed", 0, { deliveredAt: NOW - 1 })], new Set(), NOW).map((d) => d.guid)).toEqual(["missed"]);
  });

  it("only asks for the events devbuddy answers", () => {
    const deliveries = [
      attempt("edit", 0, { action: "edited" }),
      attempt("push", 0, { event: "push", action: null }),
      attempt("opened", 0, { event: "issues", action: "opened" }),
      attempt("labeled", 0, { event: "issues", action: "labeled" }),
    ];
    expect(deliveriesToRedeliver(deliveries, new Set(), NOW).map((d) => d.guid)).toEqual(["opened"]);
  });
});
