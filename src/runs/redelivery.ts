import type { HookDelivery } from "../github/app-calls.js";
import { isPermanentKind, statusKind } from "../github/errors.js";

/**
 * GitHub does not redeliver a failed webhook on its own
 * (https://docs.github.com/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks).
 * A request posted while devbuddy was down (connection refused), restarting (503) or
 * crashed would be lost; at start-up devbuddy asks GitHub to deliver those again. Pure:
 * which deliveries to ask for.
 */

/** The events devbuddy answers; other failed deliveries would only be ignored again. */
const ANSWERED: ReadonlySet<string> = new Set(["issue_comment.created", "issues.opened"]);

/**
 * `before`: when this process started. A delivery made since reached this process, or is
 * on its way to it: not missed.
 */
export function deliveriesToRedeliver(deliveries: readonly HookDelivery[], handled: ReadonlySet<string>, before: number): HookDelivery[] {
  const succeeded = new Set(deliveries.filter((d) => d.statusCode >= 200 && d.statusCode < 300).map((d) => d.guid));
  const chosen = new Map<string, HookDelivery>();
  for (const delivery of deliveries) {
    if (delivery.deliveredAt >= before) continue;
    if (succeeded.has(delivery.guid) || handled.has(delivery.guid)) continue;
    if (!ANSWERED.has(`${delivery.event}.${delivery.action ?? ""}`)) continue;
    // Refused for good (a 4xx but 408 and 429: a bad signature, say): sending it again changes nothing.
    if (delivery.statusCode >= 400 && isPermanentKind(statusKind(delivery.statusCode))) continue;
    // A request's first attempt says when it was made.
    const earlier = chosen.get(delivery.guid);
    if (!earlier || delivery.deliveredAt < earlier.deliveredAt) chosen.set(delivery.guid, delivery);
  }
  // Oldest first, so requests on one issue are answered in the order they were made.
  return [...chosen.values()].sort((a, b) => a.deliveredAt - b.deliveredAt);
}
