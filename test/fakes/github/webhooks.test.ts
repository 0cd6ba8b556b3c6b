/** Webhooks GitHub sends to the App: echoes of its own writes, and the delivery log. */
import { describe, expect, it } from "vitest";
import { api, gh, seedIssue, signatureIsValid, startReceiver, withFakeGitHub } from "./harness.js";

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
