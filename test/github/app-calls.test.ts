import { describe, expect, it } from "vitest";
import { listHookDeliveries, redeliverHookDelivery } from "../../src/github/app-calls.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import { appOctokitOnFake, freshFakeEachTest } from "../helpers/adapter-on-fake.js";

/** Calls made as the App itself, against the loopback GitHub with a real Probot Octokit. */

let gh: FakeGitHub;
freshFakeEachTest((github) => (gh = github));

describe("the App's webhook delivery log", () => {
  it("reads it newest first, page after page by cursor, back to a time or a number", async () => {
    const base = Date.parse("2026-12-01T10:00:00Z");
    for (let i = 0; i < 250; i++) {
      gh.hookDeliveries.push({
        id: 10_000 + i,
        guid: `g${i}`,
        event: "issue_comment",
        action: "created",
        statusCode: i % 2 === 0 ? 200 : 0,
        deliveredAt: new Date(base + i * 60_000).toISOString(),
        redelivery: false,
        installationId: 1,
        payload: {},
      });
    }
    const app = appOctokitOnFake(gh);
    const all = await listHookDeliveries(app, 0, 1_000);
    expect(all).toHaveLength(250);
    expect(all[0]).toEqual({ id: 10_249, guid: "g249", deliveredAt: base + 249 * 60_000, event: "issue_comment", action: "created", statusCode: 0 });
    expect(gh.requests.filter((r) => r.path === "/app/hook/deliveries").map((r) => r.query["cursor"] ?? "")).toEqual(["", "100", "200"]);
    expect((await listHookDeliveries(app, base + 200 * 60_000, 1_000)).map((d) => d.guid).at(-1)).toBe("g200");
    expect(await listHookDeliveries(app, 0, 5)).toHaveLength(5);
    await redeliverHookDelivery(app, 10_001);
    expect(gh.hookDeliveries.at(-1)).toMatchObject({ guid: "g1", redelivery: true });
  });
});
