import { describe, expect, it } from "vitest";
import { parseComment, renderComment } from "../../src/comments/comment-format.js";
import type { MentionEvent } from "../../src/state/run-journal.js";
import { SqliteJournal } from "../../src/state/sqlite-journal.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/fake-openai.js";
import { botAnswers, freshStatePath, mention, newScene, reactionsOn, restartableApps, until } from "./harness.js";

let github: FakeGitHub;
let openai: FakeOpenAI;
const { boot } = restartableApps(() => ({ github, openai }));

/** Found by exploratory testing; the test failed before its fix. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("heartbeat", () => {
  // The heartbeat has a loop of its own: a round of recovery waiting on GitHub (a rate-limit
  // pause, a slow write) must not make a healthy process look gone to another live one, which
  // would then close its streaming answers and answer its queued requests a second time.
  it("a second live process leaves alone the answers of a process whose recovery waits on a slow GitHub write", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    const path = freshStatePath();
    const env = { DEVBUDDY_STATE_PATH: path, DEVBUDDY_CONCURRENT_RUNS: "1", DEVBUDDY_IDLE_TIMEOUT_MS: "600000" };

    // What a crashed process Z left: an answer cut off mid-stream, on its own issue.
    const old = newScene(github, { installationId: 900 });
    const meta = { v: 1 as const, run: "zzzzzz", part: 1, state: "streaming" as const, trigger: "c1" };
    const cut = github.addComment({ owner: "acme", repo: old.repo.name, number: 1, body: renderComment({ text: "old half", meta }), user: github.botLogin, userType: "Bot" });
    const event: MentionEvent = {
      deliveryId: "d-z", installationId: 900, repo: { owner: "acme", repo: old.repo.name },
      issue: { number: 1, title: "t", body: "b", author: "alice" }, text: "@devbuddy plan",
      target: { kind: "issue", issueNumber: 1 }, triggerKey: "i-z", sender: { login: "maint", type: "User" },
    };
    // started_at far in the future, so that a second recoverer looks at it last.
    const dead = new SqliteJournal(path, { instance: "dead", now: () => Date.now() + 3_600_000 });
    await dead.runAccepted({ runId: "zzzzzz", event, attempt: 1 });
    await dead.runAnswering("zzzzzz");
    await dead.partsWritten("zzzzzz", [{ id: cut.id, url: cut.html_url, input: { text: "old half", meta } }]);
    dead.close();

    // GitHub is slow to take the edit that closes it (a secondary rate limit would do the same).
    const slow = github.hold({ method: "PATCH", path: new RegExp(`/issues/comments/${cut.id}$`) });
    const a = await boot(env);
    await until(a, "A's recovery to be stuck", () => (slow.waiting > 0 ? true : undefined));

    // A takes new work meanwhile: X streams slowly, Y waits for X's turn (one run at a time).
    const x = newScene(github, { installationId: 901 });
    const y = newScene(github, { installationId: 901 });
    openai.enqueue({ kind: "stream", text: Array.from({ length: 30 }, (_, i) => `x${i} `), delayMs: 150 });
    openai.enqueue({ kind: "stream", text: ["Y answer."] }, { kind: "stream", text: ["Y answer again."] });
    await mention(a, github, x, "@devbuddy plan x");
    await until(a, "X text", () => (parseComment(botAnswers(github, x)[0]?.body ?? "")?.text.startsWith("x0") ? true : undefined));
    const yr = await mention(a, github, y, "@devbuddy plan y");
    await until(a, "Y 👀", () => (reactionsOn(github, yr.comment.id).includes("eyes") ? true : undefined));

    // A rolling deploy starts B. A is alive and well, only its recovery loop is waiting.
    const b = await boot(env);
    await sleep(6_000);
    slow.release();
    await sleep(2_000);

    const took = b.logs().filter((l) => /closing|resuming/.test(String(l["msg"]))).map((l) => l["msg"]);
    const xHistory = github.bodyHistory(botAnswers(github, x)[0]!.id).map((h) => parseComment(h.body)?.meta.state);
    expect(took).toEqual([]);
    expect(xHistory).not.toContain("interrupted");
    expect(botAnswers(github, y)).toHaveLength(1);
  });
});
