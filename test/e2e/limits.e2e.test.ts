import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub, GitHubComment } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { deliverWebhook } from "../fakes/webhook-sender.js";
import { WEBHOOK_SECRET, botAnswers, commentPayload, mention, newScene, reactionsOn, startWorld, stopWorld, until, untilAnswered, type AppProcess } from "./harness.js";

/** Abuse and load: how often one person may ask (two requests an hour here), and floods. */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld({ DEVBUDDY_REQUESTS_PER_USER_HOUR: "2" }));
});

afterAll(() => stopWorld({ github, openai, app }));

describe("abuse and load", () => {
  it("answers two requests an hour, says so once on the third, and does nothing at all on the fourth", async () => {
    const scene = newScene(github);
    openai.enqueue({ kind: "stream", text: ["One."] }, { kind: "stream", text: ["Two."] });
    const first = await mention(app, github, scene, "@devbuddy one");
    await untilAnswered(app, github, first.comment.id);
    const second = await mention(app, github, scene, "@devbuddy two");
    await untilAnswered(app, github, second.comment.id);
    const modelCalls = openai.requests.length;

    const third = await mention(app, github, scene, "@devbuddy three");
    const notice = await until(app, "the over-limit notice", () => botAnswers(github, scene)[2]);
    expect(parseComment(notice.body)).toMatchObject({ text: "", meta: { state: "failed", trigger: `c${third.comment.id}` } });
    expect(notice.body).toContain("> ⏳ Sorry, maint: devbuddy answers each person at most 2 requests an hour here, so this one was not answered. Try again in");

    github.clearLog();
    const fourth = await mention(app, github, scene, "@devbuddy four");
    // Another person still gets an answer meanwhile: the limit is per person.
    openai.enqueue({ kind: "stream", text: ["For alice."] });
    const other = await mention(app, github, scene, "@devbuddy alice's turn", { login: "alice" });
    await untilAnswered(app, github, other.comment.id);
    expect(openai.requests.length).toBe(modelCalls + 1);
    expect(botAnswers(github, scene)).toHaveLength(4);
    expect(reactionsOn(github, third.comment.id)).toEqual([]);
    expect(reactionsOn(github, fourth.comment.id)).toEqual([]);
    // The fourth request cost GitHub nothing: every request since is alice's answer.
    expect(github.requests.filter((r) => r.path.includes(`/comments/${fourth.comment.id}`))).toEqual([]);
    expect(app.logs().filter((l) => l["msg"] === "request over the per-person limit").map((l) => l["notify"])).toEqual([true, false]);
  });

  it("lets a repository set a lower limit for itself, but never a higher one", async () => {
    const strict = newScene(github);
    github.seedRepoFiles("acme", strict.repo.name, { ".github/devbuddy.yml": "limits:\n  requests_per_user_hour: 1\n" });
    openai.enqueue({ kind: "stream", text: ["Only one."] });
    const first = await mention(app, github, strict, "@devbuddy one", { login: "alice" });
    await untilAnswered(app, github, first.comment.id);
    await mention(app, github, strict, "@devbuddy two", { login: "alice" });
    const notice = await until(app, "the repository's over-limit notice", () => botAnswers(github, strict)[1]);
    expect(notice.body).toContain("> ⏳ Sorry, alice: devbuddy answers each person at most 1 request an hour here, so this one was not answered.");

    // Over the installation's limit too, in another repository of it: no second notice within the hour.
    const sibling = newScene(github, { installationId: strict.installationId });
    const third = await mention(app, github, sibling, "@devbuddy three", { login: "alice" });
    await until(app, "the installation's refusal", () =>
      app.logs().some((l) => l["msg"] === "request over the per-person limit" && l["delivery"] !== undefined && l["limit"] === 2 && l["sender"] === "alice")
        ? true
        : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(botAnswers(github, sibling)).toEqual([]);
    expect(reactionsOn(github, third.comment.id)).toEqual([]);

    // Asking for more than the operator's 2 gets 2: the third request is refused, and the answers say why.
    const generous = newScene(github);
    github.seedRepoFiles("acme", generous.repo.name, { ".github/devbuddy.yml": "limits:\n  requests_per_user_hour: 100\n" });
    github.setPermission("acme", generous.repo.name, "bob", "write");
    openai.enqueue({ kind: "stream", text: ["Uno."] }, { kind: "stream", text: ["Dos."] });
    for (const ask of ["@devbuddy uno", "@devbuddy dos"]) {
      const request = await mention(app, github, generous, ask, { login: "bob" });
      await untilAnswered(app, github, request.comment.id);
    }
    expect(botAnswers(github, generous)[0]?.body).toContain("> - `limits.requests_per_user_hour`: 100 asked, 2 used");
    await mention(app, github, generous, "@devbuddy tres", { login: "bob" });
    const refused = await until(app, "the operator's over-limit notice", () => botAnswers(github, generous)[2]);
    expect(refused.body).toContain("at most 2 requests an hour here");
  });

  // The limit is counted before the sender is authorized (that costs GitHub reads); the
  // notice waits for it, so someone who may not ask gets 😕 at most, never a comment.
  it("never posts a comment for someone who may not ask", async () => {
    const scene = newScene(github);
    const calls = openai.requests.length;
    const requests: GitHubComment[] = [];
    for (let i = 0; i < 3; i++) requests.push((await mention(app, github, scene, `@devbuddy please ${i}`, { login: "stranger" })).comment);
    await until(app, "the third request to be refused", () =>
      app.logs().filter((l) => l["msg"] === "request over the per-person limit" && l["sender"] === "stranger").length === 1 ? true : undefined,
    );
    // One 😕 per person and installation per ten minutes: the first request gets it, the second nothing.
    await until(app, "the first 😕", () => (reactionsOn(github, (requests[0] as GitHubComment).id).includes("confused") ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(requests.slice(1).map((c) => reactionsOn(github, c.id))).toEqual([[], []]);
    expect(openai.requests).toHaveLength(calls);
    expect(botAnswers(github, scene)).toEqual([]);
  });

  it("never answers a bot over its limit with a comment: two Apps must not loop", async () => {
    const scene = newScene(github);
    const bot = { login: "other-app[bot]" };
    for (let i = 0; i < 4; i++) {
      const comment = github.addComment({ owner: scene.repo.owner.login, repo: scene.repo.name, number: scene.issue.number, body: `@devbuddy ping ${i}`, user: bot.login });
      const payload = commentPayload(scene, comment);
      const response = await deliverWebhook({ url: app.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload: { ...payload, sender: { ...(payload["sender"] as object), type: "Bot" } } });
      expect(response.status).toBe(200);
    }
    // Two within the limit: read the config, found the bot not allowed, did nothing. Two over it: nothing at all.
    await until(app, "the bot's requests to be handled", () =>
      app.logs().filter((l) => l["msg"] === "mention by a bot" && l["sender"] === bot.login && l["allowed"] === false).length === 2 &&
      app.logs().filter((l) => l["msg"] === "request over the per-person limit" && l["sender"] === bot.login).length === 2
        ? true
        : undefined,
    );
    expect(github.writes().filter((w) => w.path.includes(`/repos/${scene.repo.full_name}/`))).toEqual([]);
    expect(botAnswers(github, scene)).toEqual([]);
  });

  it("answers a flood of deliveries that do not mention it without one GitHub or model request", async () => {
    const scene = newScene(github);
    const comment = github.addComment({ owner: scene.repo.owner.login, repo: scene.repo.name, number: scene.issue.number, body: "LGTM, merging. cc @alice", user: "bob" });
    const payload = commentPayload(scene, comment);
    github.clearLog();
    const before = openai.requests.length;
    const statuses: number[] = [];
    // 400 deliveries, 50 at a time: what a busy organization's webhooks look like.
    for (let batch = 0; batch < 8; batch++) {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => deliverWebhook({ url: app.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload })),
      );
      statuses.push(...results.map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(openai.requests.length).toBe(before);
  });
});
