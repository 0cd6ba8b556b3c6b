import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { SPACING_MS, TIME_SCALE, mention, newScene, startWorld, stopWorld, until, type AppProcess } from "./harness.js";

/**
 * A busy installation: several answers stream at once and share one write budget.
 * The budget here is 10 writes a (scaled) minute, so the limit really binds.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;
const PER_MINUTE = 10;
const MINUTE_MS = 60_000 * TIME_SCALE;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld({ DEVBUDDY_WRITES_PER_MINUTE: String(PER_MINUTE) }));
});

afterAll(() => stopWorld({ github, openai, app }));

describe("shared write budget", () => {
  it("keeps every write of an installation within budget while four answers stream, and finishes them all", async () => {
    const scenes = Array.from({ length: 4 }, (_, i) => newScene(github, { installationId: 7, title: `Topic ${i}` }));
    const scripts = scenes.map((_, i) => Array.from({ length: 40 }, (_, j) => `a${i}-${j} `));
    for (const text of scripts) openai.enqueue({ kind: "stream", text, delayMs: 150 });
    const triggers = [];
    for (const scene of scenes) triggers.push((await mention(app, github, scene, "@devbuddy plan")).comment);
    for (const trigger of triggers) {
      await until(app, "all answers to finish", () => (github.reactions().some((r) => r.subjectId === trigger.id && r.content === "rocket") ? true : undefined), 60_000);
    }
    const writes = github.writes().filter((w) => w.path.startsWith("/repos/acme/"));
    const times = writes.map((w) => w.at);
    for (let i = 0; i < times.length; i++) {
      const t = times[i] as number;
      // As GitHub sees it: arrival times at the fake.
      expect(times.filter((u) => u >= t && u < t + MINUTE_MS).length).toBeLessThanOrEqual(PER_MINUTE);
      if (i > 0) expect(t - (times[i - 1] as number)).toBeGreaterThanOrEqual(SPACING_MS);
    }
    // Every answer ends with its exact text, and every one got live edits along the way.
    scenes.forEach((scene, i) => {
      // Runs reach the model in any order; the fake records which script each request got.
      const request = openai.requests.find((r) => JSON.stringify(r.body.messages).includes(`Topic ${i}`));
      const expected = request?.script?.kind === "stream" ? request.script.text?.join("") : undefined;
      expect(expected).toBeDefined();
      const answer = github.comments("acme", scene.repo.name, 1).find((c) => c.user.login === "devbuddy[bot]");
      expect(parseComment(answer?.body ?? "")).toMatchObject({ text: expected, meta: { state: "done" } });
      expect(github.bodyHistory(answer?.id ?? 0).length).toBeGreaterThanOrEqual(3);
    });
  }, 90_000);
});
