import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeGitHub, GitHubComment } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { botAnswers, mention, newScene, reactionsOn, startWorld, stopWorld, until, type AppProcess } from "./harness.js";

/**
 * Found by exploratory testing (helper/explore). Each test failed before
 * its fix.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld({ DEVBUDDY_REQUESTS_PER_USER_HOUR: "2" }));
});
afterAll(() => stopWorld({ github, openai, app }));

describe("a stranger over the per-person limit", () => {
  // Was a bug: the per-person limit is taken in Devbuddy.onMention before the sender is
  // authorized, and #admitted posts the over-limit notice whatever the sender's permission.
  // So someone with read access only (anyone, on a public repository), who per the README
  // "gets 😕 and nothing else", makes devbuddy post a public comment addressed to them by
  // name ("⏳ Sorry, stranger: …") once an hour per installation and per account.
  // src/app.ts onMention (#withinLimit inside submit) / #admitted → #refuse.
  it("never posts a comment for someone who may not ask", async () => {
    const scene = newScene(github);
    const requests: GitHubComment[] = [];
    for (let i = 0; i < 3; i++) requests.push((await mention(app, github, scene, `@devbuddy please ${i}`, { login: "stranger" })).comment);
    await until(app, "the third request to be refused", () =>
      app.logs().filter((l) => l["msg"] === "request over the per-person limit" && l["sender"] === "stranger").length === 1 ? true : undefined,
    );
    await until(app, "the first two 😕", () => (requests.slice(0, 2).every((c) => reactionsOn(github, c.id).includes("confused")) ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(openai.requests).toHaveLength(0);
    expect(botAnswers(github, scene)).toEqual([]);
  });
});
