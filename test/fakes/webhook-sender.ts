/**
 * Delivers GitHub-style webhooks to a local HTTP endpoint, signed the way GitHub signs them.
 *
 * GitHub computes an HMAC-SHA256 of the *raw request body* with the webhook secret and sends
 * it hex-encoded, prefixed with `sha256=`, in the `X-Hub-Signature-256` header.
 * https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
 *
 * The delivery headers mirror the ones GitHub documents for every delivery.
 * https://docs.github.com/webhooks/webhook-events-and-payloads#delivery-headers
 */
import { createHmac, randomUUID } from "node:crypto";

/** `"sha256=" + hex(HMAC-SHA256(secret, body))`, exactly the value GitHub puts in `X-Hub-Signature-256`. */
export function signPayload(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export interface DeliverWebhookOptions {
  /** Full URL of the receiver, e.g. `http://127.0.0.1:3000/api/github/webhooks`. */
  url: string;
  secret: string;
  /** Value of `X-GitHub-Event`, e.g. `issue_comment`. */
  event: string;
  /** Serialised with `JSON.stringify`; the signature covers exactly those bytes. */
  payload: unknown;
  /** Value of `X-GitHub-Delivery`; a random UUID (GitHub's format) when omitted. */
  deliveryId?: string;
  /** Overrides the computed `X-Hub-Signature-256`, to exercise signature rejection. */
  signature?: string;
  /** Extra headers (e.g. `x-github-hook-id`); they cannot replace the ones above. */
  headers?: Record<string, string>;
  /** Abort the delivery after this long. GitHub itself gives up after 10 s. */
  timeoutMs?: number;
}

export interface DeliveryResult {
  status: number;
  body: string;
  /** Wall time from sending the request to having read the whole response body. */
  elapsedMs: number;
}

/** POSTs one signed webhook delivery and reports how the receiver answered. */
export async function deliverWebhook(opts: DeliverWebhookOptions): Promise<DeliveryResult> {
  const body = JSON.stringify(opts.payload);
  const headers: Record<string, string> = {
    ...opts.headers,
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/fake",
    "x-github-event": opts.event,
    "x-github-delivery": opts.deliveryId ?? randomUUID(),
    "x-hub-signature-256": opts.signature ?? signPayload(opts.secret, body),
  };
  const started = performance.now();
  const init: RequestInit = { method: "POST", headers, body };
  if (opts.timeoutMs !== undefined) init.signal = AbortSignal.timeout(opts.timeoutMs);
  const response = await fetch(opts.url, init);
  const text = await response.text();
  return { status: response.status, body: text, elapsedMs: performance.now() - started };
}
