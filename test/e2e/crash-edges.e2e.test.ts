import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/fake-openai.js";
import { botAnswers, freshStatePath, killHard, mention, newScene, restartableApps, until } from "./harness.js";

/**
 * Crash recovery at awkward moments, found by exploratory testing: a write the killed
 * process sent lands after all, a part is created as it dies, GitHub fails while a comment
 * is being closed. Each test failed before its fix.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
const { boot } = restartableApps(() => ({ github, openai }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stateOf = (body: string | undefined) => parseComment(body ?? "")?.meta.state;
const unfinishedRuns = (path: string): number => {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** A process killed while its answer showed half its text (the journal has that edit): what a restart must close. */
async function cutOffAnswer(): Promise<{ env: { DEVBUDDY_STATE_PATH: string }; scene: ReturnType<typeof newScene> }> {
  github = await startFakeGitHub({ appSlug: "devbuddy" });
  openai = await startFakeOpenAI();
  const env = { DEVBUDDY_STATE_PATH: freshStatePath() };
  const first = await boot(env);
  const scene = newScene(github);
  openai.enqueue({ kind: "stream", text: ["Half of ", "an answer"], stallAfter: 2 });
  await mention(first, github, scene, "@devbuddy plan");
  await until(first, "text", () => (parseComment(botAnswers(github, scene)[0]?.body ?? "")?.text === "Half of an answer" ? true : undefined));
  await sleep(500); // the journal has recorded that edit
  await killHard(first);
  return { env, scene };
}

describe("crash recovery at awkward moments", () => {
  // A write the killed process sent may land without it seeing the answer: recovery goes
  // by what GitHub shows (src/runs/recovery.ts), so a finished answer stays finished.
  it("does not overwrite an answer whose final edit reached GitHub just before the kill", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    const env = { DEVBUDDY_STATE_PATH: freshStatePath() };
    const first = await boot(env);
    const scene = newScene(github);
    openai.enqueue({ kind: "stream", text: ["First half. ", "Second half."], delayMs: [0, 400, 0] });
    await mention(first, github, scene, "@devbuddy plan");
    await until(first, "the answer comment", () => (botAnswers(github, scene).length > 0 ? true : undefined));
    const id = (botAnswers(github, scene)[0] as { id: number }).id;
    // Let the progress edits through one at a time; keep the final one (no longer "streaming") in flight.
    const path = new RegExp(`/issues/comments/${id}$`);
    let hold = github.hold({ method: "PATCH", path });
    for (;;) {
      await until(first, "an edit", () => (hold.waiting > 0 ? true : undefined), 5_000);
      const inFlight = github.requests.find((r) => r.method === "PATCH" && path.test(r.path) && r.status === 0);
      if (stateOf((inFlight?.body as { body?: string } | undefined)?.body) !== "streaming") break;
      const previous = hold;
      hold = github.hold({ method: "PATCH", path });
      previous.release();
    }
    await killHard(first);
    hold.release(); // GitHub had the request: it applies it although the client is gone.
    await until(first, "the final edit to land", () => (stateOf(botAnswers(github, scene)[0]?.body) === "done" ? true : undefined));
    const finished = botAnswers(github, scene)[0]?.body;
    expect(parseComment(finished ?? "")?.text).toBe("First half. Second half.");

    await boot(env);
    await sleep(2_500); // recovery acts about 0.75 s (15 s scaled) into the restart
    expect(botAnswers(github, scene)[0]?.body).toBe(finished);
  });

  // A part GitHub created as the process died, unknown to the journal, is found on the
  // issue and closed and linked with the others.
  it("closes every part of a multi-part answer, also one created right before the kill", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    const env = { DEVBUDDY_STATE_PATH: freshStatePath(), DEVBUDDY_IDLE_TIMEOUT_MS: "600000" };
    const first = await boot(env);
    const scene = newScene(github);
    const chunk = `${"word ".repeat(19)}\n`.repeat(100); // 9,600 characters
    openai.enqueue({ kind: "stream", text: Array.from({ length: 8 }, () => chunk), delayMs: 150, stallAfter: 8 }); // 76,800: two parts
    await mention(first, github, scene, "@devbuddy write a long plan");
    await until(first, "part 1", () => (botAnswers(github, scene).length === 1 ? true : undefined));
    const hold = github.hold({ method: "POST", path: new RegExp(`/repos/acme/${scene.repo.name}/issues/1/comments$`) });
    await until(first, "part 2's POST", () => (hold.waiting > 0 ? true : undefined), 10_000);
    await killHard(first);
    hold.release();
    await until(first, "part 2 to exist", () => (botAnswers(github, scene).length === 2 ? true : undefined));

    const second = await boot(env);
    await until(second, "part 1 to be closed", () => (stateOf(botAnswers(github, scene)[0]?.body) === "interrupted" ? true : undefined));
    await sleep(1_500);
    expect(botAnswers(github, scene).map((c) => stateOf(c.body))).toEqual(["interrupted", "interrupted"]);
    expect(botAnswers(github, scene).some((c) => c.body.includes("⏳"))).toBe(false);
  });

  // A transient failure while closing: the run is handed back to the dead process in the
  // journal, so the next round of recovery (not only the next start) tries again.
  it("retries closing a cut-off answer after a transient GitHub failure, without another restart", async () => {
    const { env, scene } = await cutOffAnswer();
    github.failNext({ method: "PATCH", path: /\/issues\/comments\/\d+$/, status: 502, body: { message: "Server Error" }, times: 1 });
    const second = await boot(env);
    await until(second, "the failed attempt", () => (second.logs().some((l) => l["msg"] === "could not recover an unfinished run") ? true : undefined));
    await sleep(4_000); // 16 more looks of the recovery loop (every 5 s, 0.25 s scaled)
    expect(stateOf(botAnswers(github, scene)[0]?.body)).toBe("interrupted");
  });

  // The same for a comment the journal never heard of: the run is not forgotten while
  // its comment still says "writing…".
  it("does not forget a run whose orphan comment it could not close", async () => {
    github = await startFakeGitHub({ appSlug: "devbuddy" });
    openai = await startFakeOpenAI();
    const env = { DEVBUDDY_STATE_PATH: freshStatePath() };
    const first = await boot(env);
    const scene = newScene(github);
    openai.enqueue({ kind: "stream", text: ["never shown"] });
    const hold = github.hold({ method: "POST", path: new RegExp(`/repos/acme/${scene.repo.name}/issues/1/comments$`) });
    await mention(first, github, scene, "@devbuddy plan");
    await until(first, "the comment's POST", () => (hold.waiting > 0 ? true : undefined));
    await killHard(first);
    hold.release(); // the comment exists; the journal never learnt of it
    await until(first, "the orphan", () => (botAnswers(github, scene).length === 1 ? true : undefined));
    github.failNext({ method: "PATCH", path: /\/issues\/comments\/\d+$/, status: 502, body: { message: "Server Error" }, times: 1 });
    const second = await boot(env);
    await until(second, "the failed close", () => (second.logs().some((l) => l["msg"] === "could not recover an unfinished run") ? true : undefined));
    // The next round of recovery (5 s, scaled) tries again and closes it; the request is not answered twice.
    await until(second, "the orphan to be closed", () => (stateOf(botAnswers(github, scene)[0]?.body) === "interrupted" ? true : undefined));
    await until(second, "the run to be forgotten", () => (unfinishedRuns(env.DEVBUDDY_STATE_PATH) === 0 ? true : undefined));
    expect(botAnswers(github, scene)).toHaveLength(1);
    expect(openai.requests).toHaveLength(1);
  });

  // A rate limit is GitHub saying "later", not "never": a 403 secondary limit while reading
  // the thread must not make recovery forget the run.
  it("keeps a run whose recovery hit a rate limit, and closes it on a later round", async () => {
    const { env, scene } = await cutOffAnswer();
    github.failNext({
      method: "GET",
      path: new RegExp(`/repos/acme/${scene.repo.name}/issues/1/comments$`),
      status: 403,
      headers: { "retry-after": "1" },
      body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." },
    });
    const second = await boot(env);
    await until(second, "the failed attempt", () => (second.logs().some((l) => l["msg"] === "could not recover an unfinished run") ? true : undefined));
    expect(second.logs().find((l) => l["msg"] === "could not recover an unfinished run")?.["permanent"]).toBe(false);
    await until(second, "the answer to be closed", () => (stateOf(botAnswers(github, scene)[0]?.body) === "interrupted" ? true : undefined));
    await until(second, "the run to be forgotten", () => (unfinishedRuns(env.DEVBUDDY_STATE_PATH) === 0 ? true : undefined));
  });
});
