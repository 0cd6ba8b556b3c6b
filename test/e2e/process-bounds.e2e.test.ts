import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { botAnswers, mention, newScene, startWorld, stopWorld, until, type AppProcess } from "./harness.js";

/**
 * A process-wide bound on answers running at once: each holds a repository, its index and a
 * model stream in memory, so fifty busy installations must not run fifty. The ones that wait
 * say so in their comment, then stream as usual.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld({ DEVBUDDY_CONCURRENT_RUNS_TOTAL: "2" }));
});

afterAll(() => stopWorld({ github, openai, app }));

describe("process-wide bounds", () => {
  it("with a cap of 2, five installations asking at once: two run, three show as queued, all five finish whole", async () => {
    const scenes = Array.from({ length: 5 }, (_, i) => newScene(github, { title: `Topic ${i}` }));
    const text = (i: number) => Array.from({ length: 20 }, (_, j) => `t${i}-${j} `);
    for (let i = 0; i < 5; i++) openai.enqueue({ kind: "stream", text: text(i), delayMs: 100 });
    const asked = await Promise.all(scenes.map((scene) => mention(app, github, scene, "@devbuddy plan")));
    expect(asked.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);

    // Once two stream, the other three show that they wait, before the model is asked for them.
    const queued = await until(app, "three queued comments", () => {
      const bodies = scenes.map((scene) => botAnswers(github, scene)[0]?.body ?? "");
      const waiting = bodies.filter((b) => /queued behind [2-4] other requests/.test(b));
      return waiting.length === 3 ? waiting : undefined;
    });
    expect(queued).toHaveLength(3);
    expect(openai.requests.length).toBeLessThanOrEqual(2);

    for (const scene of scenes) {
      await until(app, "every answer to finish", () => (parseComment(botAnswers(github, scene)[0]?.body ?? "")?.meta.state === "done" ? true : undefined), 60_000);
    }
    // Never more than two model streams at once.
    const spans = openai.requests.map((r) => ({ start: r.at, end: r.finishedAt ?? Number.POSITIVE_INFINITY }));
    const overlap = Math.max(...spans.map((s) => spans.filter((o) => o.start <= s.start && o.end > s.start).length));
    expect(overlap).toBeLessThanOrEqual(2);
    scenes.forEach((scene) => {
      const answers = botAnswers(github, scene);
      expect(answers).toHaveLength(1);
      const request = openai.requests.find((r) => JSON.stringify(r.body.messages).includes(`Topic ${scenes.indexOf(scene)}`));
      const expected = request?.script?.kind === "stream" ? request.script.text?.join("") : undefined;
      expect(parseComment(answers[0]?.body ?? "")).toMatchObject({ text: expected, meta: { state: "done" } });
      expect(answers[0]?.body).not.toContain("queued behind");
    });
  }, 90_000);
});
