import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { deliverWebhook } from "../fakes/webhook-sender.js";
import { WEBHOOK_SECRET, commentPayload, mention, newScene, startWorld, stopWorld, until, type AppProcess } from "./harness.js";

/** SIGTERM while answers stream: the process closes every answer honestly, then exits. */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeEach(async () => {
  // Grace 10 s and flush 15 s, scaled by 0.05: 0.5 s and 0.75 s.
  ({ github, openai, app } = await startWorld());
});

afterEach(() => stopWorld({ github, openai, app }));

const bodyOf = (scene: ReturnType<typeof newScene>) =>
  github.comments("acme", scene.repo.name, 1).find((c) => c.user.login === "devbuddy[bot]")?.body ?? "";

describe("shutdown", () => {
  it("on SIGTERM lets a short answer finish, interrupts a long one honestly, and exits 0", async () => {
    const quick = newScene(github);
    const slow = newScene(github);
    openai.enqueue({ kind: "stream", text: ["Slow ", "start"], stallAfter: 2 });
    await mention(app, github, slow, "@devbuddy long one");
    await until(app, "the slow answer's text", () => (parseComment(bodyOf(slow))?.text === "Slow start" ? true : undefined));
    openai.enqueue({ kind: "stream", text: ["Quick ", "answer."], firstDelayMs: 200 });
    await mention(app, github, quick, "@devbuddy short one");
    await until(app, "the quick model call", () => (openai.requests.length === 2 ? true : undefined));

    app.child.kill("SIGTERM");
    // The signal reaches the App's handler asynchronously: a delivery sent in the same instant
    // may still be taken (and then closed as interrupted). Once it is stopping, it refuses.
    await until(app, "the App to start stopping", () => (app.output.some((line) => line.includes("devbuddy is stopping")) ? true : undefined));
    // New work is refused while stopping, so GitHub can redeliver it later.
    const late = newScene(github);
    const lateComment = github.addComment({ owner: "acme", repo: late.repo.name, number: 1, body: "@devbuddy too late", user: "maint" });
    const refused = await deliverWebhook({
      url: app.webhookUrl,
      secret: WEBHOOK_SECRET,
      event: "issue_comment",
      payload: commentPayload(late, lateComment),
    }).catch(() => ({ status: 0 }));
    expect([0, 503]).toContain(refused.status);

    expect(await app.exit).toBe(0);
    expect(parseComment(bodyOf(quick))).toMatchObject({ text: "Quick answer.", meta: { state: "done" } });
    expect(parseComment(bodyOf(slow))).toMatchObject({ text: "Slow start", meta: { state: "interrupted" } });
    expect(bodyOf(slow)).toContain("Interrupted: devbuddy was restarted while writing this answer. Mention me again to continue.");
    expect(openai.requests).toHaveLength(2);
    expect(app.output.join("\n")).toContain("devbuddy stopped.");
  });
});
