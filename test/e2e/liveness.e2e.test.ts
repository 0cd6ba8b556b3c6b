import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { percentile } from "../helpers/stats.js";
import { botAnswers, freshStatePath, leakedSecrets, reactionsOn, startApp, startWorld, stopWorld, type AppProcess } from "./harness.js";
import { END, MIN_PROBES, SECRET, runHostileScenario } from "./hostile-scenario.js";

/**
 * Issue 9's invariant, as GitHub sees it: while hostile runs are in flight, the App still
 * answers every delivery at once, and every maintainer's answer still finishes whole. A
 * second process on the same journal (a rolling deploy) answers nothing a second time.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;
let peer: AppProcess | undefined;
const statePath = freshStatePath();

beforeAll(async () => {
  ({ github, openai, app } = await startWorld({ DEVBUDDY_STATE_PATH: statePath }));
});

afterAll(async () => {
  try {
    if (peer) expect(leakedSecrets(peer, github, openai)).toEqual([]);
  } finally {
    await peer?.stop();
    await stopWorld({ github, openai, app });
  }
});

describe("liveness under hostile input", () => {
  it("answers every delivery within 200 ms (p99) while hostile runs are in flight, and every maintainer's answer finishes whole, once", async () => {
    const outcome = await runHostileScenario(app, github, openai, {
      // A rolling deploy starts a second process on the same journal while all this runs.
      meanwhile: async () => {
        peer = await startApp(github, openai, { DEVBUDDY_STATE_PATH: statePath });
      },
    });

    // The loop stayed free: the probes and the strangers' 65 KB deliveries alike.
    const { probeMs, strangerMs } = outcome;
    expect(probeMs.length, `probe latencies: ${probeMs.map((l) => l.toFixed(0)).join(" ")}`).toBeGreaterThanOrEqual(MIN_PROBES);
    expect(percentile(probeMs, 0.99), `probe latencies: ${probeMs.map((l) => l.toFixed(0)).join(" ")}`).toBeLessThan(200);
    expect(percentile(strangerMs, 0.99), `stranger deliveries: ${strangerMs.map((l) => l.toFixed(0)).join(" ")}`).toBeLessThan(200);

    // The App's own loop: its loop watch logs every stretch over 50 ms. This machine also runs
    // the fakes, the load and other test files on two cores, which stalls any process now and
    // then, so the test allows twice the bound; `npm run bench` prints the App's max itself.
    const held = app.logs().filter((l) => String(l["msg"]).startsWith("the event loop was held"));
    expect(held.map((l) => (l["loopDelay"] as { maxMs: number }).maxMs).filter((ms) => ms > 100), "stretches over 100 ms").toEqual([]);

    // Every maintainer's answer finished whole, in one run, and nothing was answered twice.
    for (const { tag, scene, request } of outcome.asked) {
      const parts = botAnswers(github, scene).map((c) => parseComment(c.body));
      expect({
        tag,
        states: parts.map((p) => p?.meta.state),
        runs: new Set(parts.map((p) => p?.meta.run)).size,
        triggers: [...new Set(parts.map((p) => p?.meta.trigger))],
      }).toEqual({ tag, states: parts.map(() => "done"), runs: 1, triggers: [`c${request.id}`] });
      expect(parts.map((p) => p?.text ?? "").join(""), tag).toContain(END(tag));
      expect(reactionsOn(github, request.id), tag).toEqual(["eyes", "rocket"]);
    }
    expect(peer?.logs().filter((l) => /closing|resuming/.test(String(l["msg"])))).toEqual([]);

    // No stranger got an answer; the secret the broken configuration excluded never reached the model.
    for (const { scene, comment } of outcome.strangers) {
      expect(reactionsOn(github, comment.id)).not.toContain("rocket");
      expect(botAnswers(github, scene).filter((c) => parseComment(c.body)?.meta.trigger === `c${comment.id}`)).toEqual([]);
    }
    expect(JSON.stringify(openai.requests.map((r) => r.body))).not.toContain(SECRET);
  }, 180_000);
});
