import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { EDIT_INTERVAL_MS, botAnswers, mention, newScene, reactionsOn, startWorld, stopWorld, until, type AppProcess } from "./harness.js";

/**
 * People who may not ask get 😕 and nothing else, but anyone who can comment can make the
 * App send one: fifty accounts commenting a few times each must not spend the
 * installation's writes, nor slow down an answer a maintainer is waiting for.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;
const PER_INSTALLATION = 10;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld({ DEVBUDDY_STRANGER_REACTIONS_PER_HOUR: String(PER_INSTALLATION) }));
});

afterAll(() => stopWorld({ github, openai, app }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("strangers and the write budget", () => {
  it("50 strangers × 3 comments get a bounded number of 😕 while a maintainer's answer streams at its normal pace", async () => {
    const scene = newScene(github);
    const chunks = Array.from({ length: 60 }, (_, i) => `step${i} `);
    openai.enqueue({ kind: "stream", text: chunks, delayMs: 100 });
    const asked = await mention(app, github, scene, "@devbuddy plan it");
    await until(app, "the answer's first text", () => (parseComment(botAnswers(github, scene)[0]?.body ?? "")?.text.startsWith("step0") ? true : undefined));

    const strangers = Array.from({ length: 50 }, (_, i) => `drive-by-${i}`);
    const flood = [];
    for (let round = 0; round < 3; round++) {
      for (const login of strangers) flood.push(mention(app, github, scene, `@devbuddy do my homework ${round}`, { login }));
    }
    const delivered = await Promise.all(flood);
    expect(delivered.every((d) => d.status === 200)).toBe(true);
    await until(app, "the maintainer's answer", () => (reactionsOn(github, asked.comment.id).includes("rocket") ? true : undefined), 60_000);
    // Reactions still waiting for a free write slot are sent or dropped within half a (scaled) minute.
    await sleep(2_000);

    const answer = botAnswers(github, scene)[0];
    expect(parseComment(answer?.body ?? "")).toMatchObject({ text: chunks.join(""), meta: { state: "done" } });
    // The normal pace: an edit about every edit interval, never held back by the strangers'
    // reactions (before they were the lowest-priority write, the longest gap was 9 s). The
    // bound leaves room for a loaded machine answering 150 deliveries at once.
    const at = github.bodyHistory(answer?.id ?? 0).map((h) => h.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    expect(Math.max(...gaps)).toBeLessThan(20 * EDIT_INTERVAL_MS);

    // Every write to a stranger's comment: a 😕, at most one per person, at most the installation's few.
    const flooded = new Set(delivered.map((d) => d.comment.id));
    const byId = new Map(delivered.map((d) => [d.comment.id, d.comment.user.login]));
    const toStrangers = github.writes().filter((w) => flooded.has(Number(/\/issues\/comments\/(\d+)\//.exec(w.path)?.[1])));
    expect(toStrangers.every((w) => w.method === "POST" && w.path.endsWith("/reactions") && (w.body as { content?: string }).content === "confused")).toBe(true);
    expect(toStrangers.length).toBeLessThanOrEqual(PER_INSTALLATION);
    const reacted = toStrangers.map((w) => byId.get(Number(/\/issues\/comments\/(\d+)\//.exec(w.path)?.[1])));
    expect(new Set(reacted).size).toBe(reacted.length);
    // Nothing else was spent on them: no comment, no thread read, no model call.
    expect(botAnswers(github, scene)).toHaveLength(1);
    expect(openai.requests).toHaveLength(1);
  }, 120_000);

  it("a stranger alone still gets a 😕, once per ten minutes however often they ask", async () => {
    const scene = newScene(github);
    const first = await mention(app, github, scene, "@devbuddy please", { login: "stranger" });
    await until(app, "the 😕", () => (reactionsOn(github, first.comment.id).includes("confused") ? true : undefined));
    const again = await mention(app, github, scene, "@devbuddy please please", { login: "stranger" });
    await until(app, "the second request to be handled", () =>
      app.logs().filter((l) => l["msg"] === "mention by a user without write access ignored" && l["sender"] === "stranger").length >= 2 ? true : undefined,
    );
    await sleep(500);
    expect(reactionsOn(github, again.comment.id)).toEqual([]);
    expect(github.writes().filter((w) => w.path.includes(`/issues/comments/${again.comment.id}`))).toEqual([]);
  });
});
