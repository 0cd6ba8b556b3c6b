/** The App's webhook delivery log and redelivery. */
import { notFound, requireJwt } from "../http.js";
import { cursorPage } from "../pagination.js";
import type { Router } from "../router.js";
import type { Schemas } from "../schemas.js";
import type { AppWebhooks, HookDeliveryRecord } from "../webhooks.js";
import { positiveInt } from "../wire-format.js";

const DOCS = {
  list: "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook",
  redeliver: "https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook",
} as const;

/** How the delivery log words an attempt's outcome. */
function deliveryStatus(statusCode: number): string {
  if (statusCode >= 200 && statusCode < 300) return "OK";
  return statusCode === 0 ? "failed to connect" : `Invalid HTTP Response: ${statusCode}`;
}

function deliveryItem(d: HookDeliveryRecord): Schemas["hook-delivery-item"] {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: d.deliveredAt,
    redelivery: d.redelivery,
    duration: 0.01,
    status: deliveryStatus(d.statusCode),
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: d.installationId,
    repository_id: null,
  };
}

export function hookDeliveryRoutes(router: Router, webhooks: AppWebhooks, apiBase: string): void {
  // Newest first, with cursor pagination as GitHub pages this list.
  router.route("GET", "/app/hook/deliveries", (ctx) => {
    const denied = requireJwt(ctx, DOCS.list, false);
    if (denied) return denied;
    const page = cursorPage([...webhooks.hookDeliveries].reverse(), ctx, `${apiBase}/app/hook/deliveries`);
    return { status: 200, body: page.items.map(deliveryItem), ...(page.headers ? { headers: page.headers } : {}) };
  });

  // GitHub accepts the redelivery (202) and makes the attempt afterwards, as a new log entry with the same guid.
  router.route("POST", "/app/hook/deliveries/:delivery_id/attempts", (ctx, params) => {
    const denied = requireJwt(ctx, DOCS.redeliver, false);
    if (denied) return denied;
    const original = webhooks.hookDeliveries.find((d) => d.id === positiveInt(params["delivery_id"]));
    if (!original) return notFound(DOCS.redeliver);
    void webhooks.deliver(original.event, original.payload, original.guid, true);
    return { status: 202, body: {} };
  });
}
