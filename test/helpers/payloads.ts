import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import type { MentionEvent } from "../../src/state/run-journal.js";

/**
 * Real webhook payloads from @octokit/webhooks-examples (Codertocat/Hello-World, issue #1),
 * with only the fields a scenario is about changed.
 */

type Json = Record<string, any>;

function example(event: string, action: string, withInstallation = false): Json {
  const group = (examples as Array<{ name: string; examples: Json[] }>).find((e) => e.name === event);
  const found = group?.examples.find((x) => x["action"] === action && (!withInstallation || x["installation"]));
  if (!found) throw new Error(`no example for ${event}.${action}`);
  return structuredClone(found);
}

export const INSTALLATION_ID = 2;

export interface CommentOptions {
  readonly body: string;
  readonly login?: string;
  readonly senderType?: "User" | "Bot";
  readonly commentId?: number;
  readonly action?: "created" | "edited";
}

export function issueCommentPayload(options: CommentOptions): Json {
  const payload = example("issue_comment", "created", true);
  const login = options.login ?? "Codertocat";
  const type = options.senderType ?? "User";
  payload["action"] = options.action ?? "created";
  payload["installation"] = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==" };
  payload["comment"]["body"] = options.body;
  payload["comment"]["id"] = options.commentId ?? payload["comment"]["id"];
  payload["comment"]["user"] = { ...payload["comment"]["user"], login, type };
  payload["sender"] = { ...payload["sender"], login, type };
  return payload;
}

export function issueOpenedPayload(options: { body: string | null; login?: string; senderType?: "User" | "Bot" }): Json {
  const payload = example("issues", "opened");
  const login = options.login ?? "Codertocat";
  const type = options.senderType ?? "User";
  payload["installation"] = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==" };
  payload["issue"]["body"] = options.body;
  payload["issue"]["user"] = { ...payload["issue"]["user"], login, type };
  payload["sender"] = { ...payload["sender"], login, type };
  return payload;
}

/** A mention as the handler turns it into plain data: what the run journal keeps of a request. */
export const MENTION_EVENT: MentionEvent = {
  deliveryId: "d1",
  installationId: 7,
  repo: { owner: "acme", repo: "app" },
  issue: { number: 3, title: "Streaming", body: "Please stream.", author: "alice" },
  text: "@devbuddy plan",
  target: { kind: "comment", commentId: 11 },
  triggerKey: "c11",
  triggerComment: { id: 11, author: "maint", authorType: "User", body: "@devbuddy plan" },
  sender: { login: "maint", type: "User" },
};
