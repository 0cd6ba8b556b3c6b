/** Signing and sending webhooks the way GitHub does. */
import { describe, expect, it } from "vitest";
import { signatureIsValid, startReceiver } from "./github/harness.js";
import { deliverWebhook, signPayload } from "./webhook-sender.js";

describe("webhook-sender", () => {
  it("signs like GitHub (published test vector)", () => {
    // From https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signPayload("It's a Secret to Everybody", "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("delivers with GitHub's headers, and can send a wrong signature", async () => {
    const receiver = await startReceiver(202);
    try {
      const result = await deliverWebhook({ url: receiver.url, secret: "s3cret", event: "issues", payload: { action: "opened" } });
      expect(result.status).toBe(202);
      expect(result.body).toBe("ok");
      expect(result.elapsedMs).toBeGreaterThanOrEqual(0);
      const [first] = receiver.received;
      expect(first?.headers["x-github-event"]).toBe("issues");
      expect(first?.headers["content-type"]).toBe("application/json");
      expect(first?.headers["user-agent"]).toBe("GitHub-Hookshot/fake");
      expect(first?.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(signatureIsValid("s3cret", first?.raw ?? "", first?.headers["x-hub-signature-256"])).toBe(true);

      await deliverWebhook({ url: receiver.url, secret: "s3cret", event: "issues", payload: {}, deliveryId: "d-1", signature: "sha256=00" });
      expect(receiver.received[1]?.headers["x-github-delivery"]).toBe("d-1");
      expect(receiver.received[1]?.headers["x-hub-signature-256"]).toBe("sha256=00");
    } finally {
      await receiver.close();
    }
  });
});
