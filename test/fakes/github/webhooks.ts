/**
 * What GitHub sends to the App: the `issue_comment` webhooks its own API writes cause
 * ("echoes"), and deliveries a test asks for, each kept in the App's delivery log as
 * `GET /app/hook/deliveries` lists it.
 * https://docs.github.com/webhooks/webhook-events-and-payloads#issue_comment
 */
import { randomUUID } from "node:crypto";
import { deliverWebhook } from "../webhook-sender.js";
import type { CommentState } from "./store.js";
import type { GitHubUser } from "./schemas.js";
import { clone, isoNow, legacyNodeId } from "./wire-format.js";

export interface EchoTarget {
  url: string;
  secret: string;
  installationId: number;
}

export interface EchoRecord {
  event: "issue_comment";
  action: "created" | "edited" | "deleted";
  /** Status answered by the receiver; 0 when the delivery could not be made at all. */
  status: number;
  deliveryId: string;
  commentId: number;
  /** Set when the delivery failed at the network level. */
  error?: string;
}

/** One attempt in the App's webhook delivery log. */
export interface HookDeliveryRecord {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  /** 0 when the connection failed. */
  statusCode: number;
  deliveredAt: string;
  redelivery: boolean;
  installationId: number | null;
  payload: Record<string, unknown>;
}

/** GitHub gives up on a delivery that is not answered within 10 seconds. */
const DELIVERY_TIMEOUT_MS = 10_000;

export class AppWebhooks {
  /** Live array of echoes made, in delivery order. */
  readonly echoes: EchoRecord[] = [];
  /** The App's delivery log, oldest first. */
  readonly hookDeliveries: HookDeliveryRecord[] = [];
  target: EchoTarget | null = null;

  readonly #appId: number;
  readonly #sender: GitHubUser;
  readonly #newId: () => number;
  #echoQueue: Promise<void> = Promise.resolve();
  #closed = false;

  /** `sender` is the App's bot, the author of every API write. */
  constructor(appId: number, sender: GitHubUser, newId: () => number) {
    this.#appId = appId;
    this.#sender = sender;
    this.#newId = newId;
  }

  /**
   * Builds the `issue_comment` payload *now* (so it reflects this write, not a later one) and
   * returns a thunk that starts its delivery; undefined when no target is set.
   */
  prepareEcho(action: EchoRecord["action"], state: CommentState, previousBody?: string): (() => void) | undefined {
    const target = this.target;
    if (!target) return undefined;
    const payload: Record<string, unknown> = { action };
    if (action === "edited") payload["changes"] = { body: { from: previousBody } };
    payload["issue"] = clone(state.issue.issue);
    payload["comment"] = clone(state.comment);
    payload["repository"] = clone(state.issue.repo.repository);
    payload["sender"] = clone(this.#sender);
    payload["installation"] = { id: target.installationId, node_id: legacyNodeId("IntegrationInstallation", target.installationId) };
    const deliveryId = randomUUID();
    const commentId = state.comment.id;
    // Queue now (so `echoesDelivered()` already covers it), but only deliver once the API
    // response has gone out: GitHub answers the write first and delivers the webhook afterwards.
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    this.#echoQueue = this.#echoQueue.then(async () => {
      await sent;
      if (this.#closed) return;
      const record: EchoRecord = { event: "issue_comment", action, status: 0, deliveryId, commentId };
      try {
        const result = await deliverWebhook({
          url: target.url,
          secret: target.secret,
          event: "issue_comment",
          payload,
          deliveryId,
          timeoutMs: DELIVERY_TIMEOUT_MS,
          headers: {
            "x-github-hook-id": "1",
            "x-github-hook-installation-target-type": "integration",
            "x-github-hook-installation-target-id": String(this.#appId),
          },
        });
        record.status = result.status;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      this.echoes.push(record);
    });
    return markSent;
  }

  /** Resolves once every echo queued so far has been delivered (or has failed). */
  async echoesDelivered(): Promise<void> {
    // Deliveries may be queued while we wait; loop until the queue stops growing.
    let current: Promise<void>;
    do {
      current = this.#echoQueue;
      await current;
    } while (current !== this.#echoQueue);
  }

  /** One delivery attempt to the target (status 0 without one, or when the connection fails), then logged. */
  async deliver(event: string, payload: Record<string, unknown>, guid: string, redelivery: boolean): Promise<HookDeliveryRecord> {
    const record: HookDeliveryRecord = {
      id: this.#newId(),
      guid,
      event,
      action: typeof payload["action"] === "string" ? payload["action"] : null,
      statusCode: 0,
      deliveredAt: isoNow(),
      redelivery,
      installationId: (payload["installation"] as { id?: number } | undefined)?.id ?? null,
      payload,
    };
    // Listed once the attempt is over, as GitHub lists it (with the time it began).
    if (this.target) {
      try {
        const result = await deliverWebhook({ url: this.target.url, secret: this.target.secret, event, payload, deliveryId: guid, timeoutMs: DELIVERY_TIMEOUT_MS });
        record.statusCode = result.status;
      } catch {
        record.statusCode = 0;
      }
    }
    this.hookDeliveries.push(record);
    return record;
  }

  /** Echoes still queued are dropped: the receiver may be gone. */
  close(): void {
    this.#closed = true;
  }
}
