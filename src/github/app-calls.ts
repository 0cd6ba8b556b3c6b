import type { ProbotOctokit } from "probot";
import { call, PAGE, pages } from "./request.js";

/** Calls made as the App itself, with its JWT: its identity and its webhook delivery log. */

/** The App's own identity, read once at start-up. https://docs.github.com/rest/apps/apps#get-the-authenticated-app */
export async function fetchAppSlug(appOctokit: ProbotOctokit): Promise<string> {
  const { data } = await call("Reading the App's identity (GET /app)", () => appOctokit.rest.apps.getAuthenticated());
  const slug = data?.slug;
  if (!slug) throw new Error("GET /app returned no slug; is APP_ID / PRIVATE_KEY the App's own?");
  return slug;
}

/** One attempt at a webhook delivery, as GitHub lists them for the App. */
export interface HookDelivery {
  /** This attempt's id (redeliveries get their own). */
  readonly id: number;
  /** The delivery's `X-GitHub-Delivery`, shared by its redeliveries. */
  readonly guid: string;
  /** Milliseconds since the epoch. */
  readonly deliveredAt: number;
  readonly event: string;
  readonly action: string | null;
  /** 0 when GitHub could not connect at all. */
  readonly statusCode: number;
}

/**
 * The App's recent webhook deliveries, newest first, back to `since` (wall-clock ms) or at
 * most `max`: reading stops at the first page that reaches either. GitHub pages them with
 * a cursor in the `link` header, which Octokit's paginator follows.
 * https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook
 */
export async function listHookDeliveries(appOctokit: ProbotOctokit, since: number, max: number): Promise<HookDelivery[]> {
  const deliveries: HookDelivery[] = [];
  if (max <= 0) return deliveries;
  const listed = appOctokit.paginate.iterator(appOctokit.rest.apps.listWebhookDeliveries, { per_page: PAGE });
  for await (const { data } of pages("Listing the App's webhook deliveries", listed)) {
    if (data.length === 0) break;
    for (const d of data) {
      const deliveredAt = Date.parse(d.delivered_at);
      if (deliveredAt < since) return deliveries;
      deliveries.push({ id: d.id, guid: d.guid, deliveredAt, event: d.event, action: d.action, statusCode: d.status_code });
      if (deliveries.length === max) return deliveries;
    }
  }
  return deliveries;
}

/**
 * Asks GitHub to deliver a failed delivery again (same `X-GitHub-Delivery`).
 * https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook
 */
export async function redeliverHookDelivery(appOctokit: ProbotOctokit, deliveryId: number): Promise<void> {
  await call(`Redelivering webhook delivery ${deliveryId}`, () => appOctokit.rest.apps.redeliverWebhookDelivery({ delivery_id: deliveryId }));
}
