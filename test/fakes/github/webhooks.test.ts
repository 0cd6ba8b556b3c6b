/** Webhooks GitHub sends to the App: echoes of its own writes, and the delivery log. */
import { describe, expect, it } from "vitest";
import { api, gh, JWT, seedIssue, signatureIsValid, startReceiver, withFakeGitHub } from "./harness.js";

withFakeGitHub();

describe("fake GitHub: echo webhooks", () => {
  it("delivers signed issue_comment created/edited/deleted webhooks for API writes, as GitHub does", async () => {
    const secret = "echo-secret";
    const receiver = await startReceiver();
    try {
      seedIssue();
      gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: "seeded, no echo", user: "alice" });
      gh.deliverEchoesTo({ url: receiver.url, secret, installationId: 42 });

      const created = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "v1" } });
      const id = created.json.id as number;
      await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "v2" } });
      await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "DELETE" });
      await gh.echoesDelivered();

      expect(gh.echoes.map((e) => [e.event, e.action, e.status, e.commentId])).toEqual([
        ["issue_comment", "created", 200, id],
        ["issue_comment", "edited", 200, id],
        ["issue_comment", "deleted", 200, id],
      ]);
      expect(receiver.received).toHaveLength(3);
      for (const delivery of receiver.received) {
        expect(signatureIsValid(secret, delivery.raw, delivery.headers["x-hub-signature-256"])).toBe(true);
        expect(delivery.headers["x-github-event"]).toBe("issue_comment");
      }

      const [createdEvent, editedEvent] = receiver.received.map((d) => JSON.parse(d.raw));
      expect(createdEvent).toMatchObject({
        action: "created",
        comment: { id, body: "v1", user: { login: "devbuddy[bot]", type: "Bot" } },
        issue: { number: 1, comments: 2 },
        repository: { full_name: "acme/widgets" },
        sender: { login: "devbuddy[bot]", type: "Bot" },
        installation: { id: 42 },
      });
      expect(createdEvent.changes).toBeUndefined();
      // The payload is a snapshot of that write, not of later state.
      expect(editedEvent).toMatchObject({ action: "edited", changes: { body: { from: "v1" } }, comment: { id, body: "v2" } });

      // Turning echoes off stops them.
      gh.deliverEchoesTo(null);
      await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "quiet" } });
      await gh.echoesDelivered();
      expect(gh.echoes).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it("records a status of 0 when the receiver is unreachable", async () => {
    const receiver = await startReceiver();
    await receiver.close();
    seedIssue();
    gh.deliverEchoesTo({ url: receiver.url, secret: "s", installationId: 1 });
    expect((await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "x" } })).status).toBe(201);
    await gh.echoesDelivered();
    expect(gh.echoes).toEqual([expect.objectContaining({ action: "created", status: 0, error: expect.any(String) })]);
  });
});

describe("fake GitHub: the App's delivery log", () => {
  it("logs every delivery, lists them newest first with cursor pages, and redelivers with the same guid", async () => {
    const receiver = await startReceiver(202);
    const failing = await startReceiver(500);
    try {
      gh.deliverEchoesTo({ url: receiver.url, secret: "s", installationId: 7 });
      const first = await gh.deliver("issues", { action: "opened", installation: { id: 7 } });
      const second = await gh.deliver("ping", { zen: "z" }, { deliveryId: "guid-2" });
      gh.deliverEchoesTo({ url: failing.url, secret: "s", installationId: 7 });
      const third = await gh.deliver("issue_comment", { action: "created" });
      gh.deliverEchoesTo(null);
      const fourth = await gh.deliver("issue_comment", { action: "edited" });
      expect([first.statusCode, second.statusCode, third.statusCode, fourth.statusCode]).toEqual([202, 202, 500, 0]);
      expect(receiver.received.map((d) => d.headers["x-github-delivery"])).toEqual([first.guid, "guid-2"]);

      // The log is the App's: an installation token does not read it.
      expect((await api("/app/hook/deliveries")).status).toBe(401);
      const newest = await api("/app/hook/deliveries?per_page=3", { auth: `bearer ${JWT}` });
      expect(newest.json.map((d: Record<string, unknown>) => [d["guid"], d["status"], d["status_code"], d["event"], d["action"], d["installation_id"]])).toEqual([
        [fourth.guid, "failed to connect", 0, "issue_comment", "edited", null],
        [third.guid, "Invalid HTTP Response: 500", 500, "issue_comment", "created", null],
        ["guid-2", "OK", 202, "ping", null, null],
      ]);
      expect(newest.headers.get("link")).toBe(`<${gh.apiBase}/app/hook/deliveries?per_page=3&cursor=3>; rel="next"`);
      const oldest = await api("/app/hook/deliveries?per_page=3&cursor=3", { auth: `bearer ${JWT}` });
      expect(oldest.json).toEqual([expect.objectContaining({ id: first.id, guid: first.guid, installation_id: 7, redelivery: false })]);
      expect(oldest.headers.get("link")).toBeNull();
      // A page that ends exactly at the last delivery links nowhere.
      const lastTwo = await api("/app/hook/deliveries?per_page=2&cursor=2", { auth: `bearer ${JWT}` });
      expect(lastTwo.json.map((d: Record<string, unknown>) => d["guid"])).toEqual(["guid-2", first.guid]);
      expect(lastTwo.headers.get("link")).toBeNull();

      gh.deliverEchoesTo({ url: receiver.url, secret: "s", installationId: 7 });
      const redeliver = await api(`/app/hook/deliveries/${first.id}/attempts`, { method: "POST", auth: `bearer ${JWT}` });
      expect(redeliver.status).toBe(202);
      await expect.poll(() => gh.hookDeliveries.length).toBe(5);
      expect(gh.hookDeliveries[4]).toMatchObject({ guid: first.guid, redelivery: true, statusCode: 202, event: "issues", action: "opened" });
      expect(receiver.received.at(-1)?.headers["x-github-delivery"]).toBe(first.guid);
      expect((await api("/app/hook/deliveries/1/attempts", { method: "POST", auth: `bearer ${JWT}` })).status).toBe(404);
    } finally {
      await receiver.close();
      await failing.close();
    }
  });
});
