import { describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { MentionEvent } from "../../src/state/run-journal.js";
import { SqliteJournal } from "../../src/state/sqlite-journal.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/fake-openai.js";
import { deliverWebhook } from "../fakes/webhook-sender.js";
import { botAnswers, commentPayload, freshStatePath, killHard, mention, newScene, reactionsOn, restartableApps, until, untilAnswered, WEBHOOK_SECRET } from "./harness.js";

/**
 * A hard kill (SIGKILL: no handler runs, like an OOM kill) in the middle of answers, then
 * a restart on the same run journal: every answer the dead process left is dealt with
 * once, and nothing it handled is handled again.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
const { boot } = restartableApps(() => ({ github, openai }));

const answerOf = (scene: ReturnType<typeof newScene>) => parseComment(botAnswers(github, scene)[0]?.body ?? "");

describe("crash safety", () => {
  it("after SIGKILL, closes the cut-off answer with its text, answers the queued request, and ignores a redelivery", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    // One run at a time per installation, so the second request waits, acknowledged but not yet visible.
    const env = { DEVBUDDY_STATE_PATH: freshStatePath(), DEVBUDDY_CONCURRENT_RUNS: "1" };
    const first = await boot(env);
    const cut = newScene(github, { installationId: 700 });
    const queued = newScene(github, { installationId: 700 });

    openai.enqueue({ kind: "stream", text: ["Half of ", "an answer"], stallAfter: 2 });
    const cutRequest = await mention(first, github, cut, "@devbuddy plan the streaming", { deliveryId: "delivery-cut" });
    await until(first, "the answer's first text", () => (answerOf(cut)?.text === "Half of an answer" ? true : undefined));
    const queuedRequest = await mention(first, github, queued, "@devbuddy plan the cache", { deliveryId: "delivery-queued" });
    await until(first, "the queued request's 👀", () => (reactionsOn(github, queuedRequest.comment.id).includes("eyes") ? true : undefined));
    expect(botAnswers(github, queued)).toEqual([]);

    expect(await killHard(first)).toBeNull();
    expect(answerOf(cut)?.meta.state).toBe("streaming");

    openai.enqueue({ kind: "stream", text: ["A fresh ", "answer."] });
    const second = await boot(env);
    await until(second, "the cut-off answer to be closed", () => (answerOf(cut)?.meta.state === "interrupted" ? true : undefined));
    const closed = botAnswers(github, cut);
    expect(closed).toHaveLength(1);
    expect(answerOf(cut)?.text).toBe("Half of an answer");
    expect(closed[0]?.body).toContain("⏸️ Interrupted: devbuddy was restarted while writing this answer. Mention me again to continue.");
    expect(closed[0]?.body).not.toContain("⏳");

    // The queued request had shown nothing but 👀: it is answered from the start, once.
    await untilAnswered(second, github, queuedRequest.comment.id);
    expect(botAnswers(github, queued)).toHaveLength(1);
    expect(answerOf(queued)).toMatchObject({ text: "A fresh answer.", meta: { state: "done" } });
    expect(reactionsOn(github, queuedRequest.comment.id)).toContain("rocket");

    // GitHub redelivers the request the dead process had handled: nothing happens.
    const requestsBefore = openai.requests.length;
    const writesBefore = github.requests.filter((r) => r.method !== "GET").length;
    const redelivered = await deliverWebhook({
      url: second.webhookUrl,
      secret: WEBHOOK_SECRET,
      event: "issue_comment",
      deliveryId: "delivery-cut",
      payload: commentPayload(cut, cutRequest.comment),
    });
    expect(redelivered.status).toBeLessThan(300);
    await until(second, "the redelivery to be recognized", () =>
      second.logs().some((l) => l["msg"] === "redelivered request ignored" && l["delivery"] === "delivery-cut") ? true : undefined,
    );
    expect(openai.requests).toHaveLength(requestsBefore);
    expect(github.requests.filter((r) => r.method !== "GET")).toHaveLength(writesBefore);
    expect(openai.requests).toHaveLength(2);
  });

  it("a second process on the same journal leaves the first one's running answers alone (a rolling deploy)", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    // The model stalls; a long idle timeout keeps the old process's answer streaming meanwhile.
    const env = { DEVBUDDY_STATE_PATH: freshStatePath(), DEVBUDDY_IDLE_TIMEOUT_MS: "600000" };
    const old = await boot(env);
    const scene = newScene(github);
    openai.enqueue({ kind: "stream", text: ["Still ", "writing"], stallAfter: 2 });
    await mention(old, github, scene, "@devbuddy plan", { deliveryId: "delivery-rolling" });
    await until(old, "the old process's text", () => (answerOf(scene)?.text === "Still writing" ? true : undefined));

    const fresh = await boot(env);
    // Well past the time after which a silent process counts as gone (15 s, scaled to 0.75 s).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(answerOf(scene)?.meta.state).toBe("streaming");
    expect(fresh.logs().filter((l) => l["msg"] === "found runs an earlier process left unfinished")).toEqual([]);

    // The old process is stopped gracefully and closes its own answer; the new one adds nothing.
    old.child.kill("SIGTERM");
    expect(await old.exit).toBe(0);
    expect(answerOf(scene)).toMatchObject({ text: "Still writing", meta: { state: "interrupted" } });
    const body = botAnswers(github, scene)[0]?.body;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(botAnswers(github, scene).map((c) => c.body)).toEqual([body]);
    expect(fresh.logs().filter((l) => l["msg"] === "found runs an earlier process left unfinished")).toEqual([]);
  });

  it("asks GitHub, once, to deliver again the requests it could not deliver while devbuddy was down", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    const env = { DEVBUDDY_STATE_PATH: freshStatePath() };
    const first = await boot(env);
    const scene = newScene(github);
    const say = (body: string) => github.addComment({ owner: "acme", repo: scene.repo.name, number: 1, body, user: "maint" });

    // Delivered while devbuddy was up: answered, never asked for again.
    openai.enqueue({ kind: "stream", text: ["Answered live."] });
    const live = say("@devbuddy plan while up");
    expect((await github.deliver("issue_comment", commentPayload(scene, live))).statusCode).toBe(200);
    await untilAnswered(first, github, live.id);
    await killHard(first);

    // Made while it was down: GitHub cannot connect, and does not try again on its own.
    const missed = say("@devbuddy plan while down");
    const lost = await github.deliver("issue_comment", commentPayload(scene, missed));
    expect(lost.statusCode).toBe(0);
    const edited = await github.deliver("issue_comment", commentPayload(scene, missed, "edited"));
    expect(edited.statusCode).toBe(0);

    openai.enqueue({ kind: "stream", text: ["Answered after the restart."] });
    const second = await boot(env);
    await untilAnswered(second, github, missed.id, "the missed request to be answered");
    expect(botAnswers(github, scene).map((c) => parseComment(c.body)?.text)).toEqual(["Answered live.", "Answered after the restart."]);
    const again = () => github.hookDeliveries.filter((d) => d.redelivery).map((d) => [d.guid, d.statusCode]);
    // Only the missed request: not the one answered live, not the edit devbuddy ignores anyway.
    expect(again()).toEqual([[lost.guid, 200]]);

    // Another restart asks for nothing more.
    await killHard(second);
    const third = await boot(env);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(again()).toEqual([[lost.guid, 200]]);
    expect(botAnswers(github, scene)).toHaveLength(2);
    expect(third.logs().some((l) => typeof l["msg"] === "string" && l["msg"].startsWith("asking GitHub to deliver again"))).toBe(false);
    expect(openai.requests).toHaveLength(2);
  });

  it("a restart after the answers ended finds nothing to do", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    const env = { DEVBUDDY_STATE_PATH: freshStatePath() };
    const first = await boot(env);
    const scene = newScene(github);
    openai.enqueue({ kind: "stream", text: ["Done."] });
    const request = await mention(first, github, scene, "@devbuddy plan it", { deliveryId: "delivery-done" });
    await untilAnswered(first, github, request.comment.id);
    const body = botAnswers(github, scene)[0]?.body;
    await killHard(first);

    const second = await boot(env);
    // Give recovery time to act, had it anything to act on.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(botAnswers(github, scene).map((c) => c.body)).toEqual([body]);
    // Killed right after its 🚀, the run may not have been marked ended: its comment is then seen to be closed already.
    const acted = second.logs().filter((l) => typeof l["msg"] === "string" && /^(closing|resuming|a request was interrupted)/.test(l["msg"]));
    expect(acted).toEqual([]);
    expect(openai.requests).toHaveLength(1);
  });

  it("gives up, saying so, on a request restarts interrupted twice, and survives an answer whose comment was deleted", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    const path = freshStatePath();
    const twice = newScene(github, { installationId: 710 });
    const deleted = newScene(github, { installationId: 710 });
    const eventOf = (scene: ReturnType<typeof newScene>, id: string): MentionEvent => ({
      deliveryId: id,
      installationId: scene.installationId,
      repo: { owner: "acme", repo: scene.repo.name },
      issue: { number: 1, title: scene.issue.title, body: scene.issue.body ?? "", author: "alice" },
      text: "@devbuddy plan",
      target: { kind: "issue", issueNumber: 1 },
      triggerKey: `i${scene.issue.id}`,
      sender: { login: "maint", type: "User" },
    });
    // What two dead processes left: a request started twice that never showed more than 👀,
    // and an answer whose comment someone has since deleted.
    const dead = new SqliteJournal(path, { instance: "dead" });
    await dead.runAccepted({ runId: "twice", event: eventOf(twice, "d-twice"), attempt: 2 });
    await dead.runAnswering("twice");
    await dead.runAccepted({ runId: "gone", event: eventOf(deleted, "d-gone"), attempt: 1 });
    await dead.runAnswering("gone");
    await dead.partsWritten("gone", [
      { id: 987_654, url: "https://github.com/x#issuecomment-987654", input: { text: "Half", meta: { v: 1, run: "gone", part: 1, state: "streaming" } } },
    ]);
    // And one in a repository that has since been deleted: GitHub answers 404 for good.
    await dead.runAccepted({ runId: "nowhere", event: { ...eventOf(twice, "d-nowhere"), repo: { owner: "acme", repo: "deleted-repo" } }, attempt: 2 });
    await dead.runAnswering("nowhere");
    dead.close();

    const app = await boot({ DEVBUDDY_STATE_PATH: path });
    const notice = await until(app, "the give-up notice", () => botAnswers(github, twice)[0]?.body);
    expect(notice).toContain("restarted twice while preparing this answer, so it gave up on this request. Mention me again to retry.");
    expect(parseComment(notice)?.meta).toMatchObject({ run: "twice", state: "interrupted" });
    // Read the journal as another instance would: nothing is left unfinished.
    const left = async (): Promise<number> => {
      const probe = new SqliteJournal(path, { instance: "probe" });
      try {
        return (await probe.unfinished(0)).length;
      } finally {
        probe.close();
      }
    };
    for (let i = 0; i < 250 && (await left()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await left()).toBe(0);
    expect(botAnswers(github, deleted)).toEqual([]);
    expect(openai.requests).toHaveLength(0);
    const failures = app.logs().filter((l) => l["msg"] === "could not recover an unfinished run");
    expect(failures.map((l) => [l["runId"], l["permanent"]])).toEqual([["nowhere", true]]);
  });
});
