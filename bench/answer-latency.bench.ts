import { afterAll, beforeAll, describe, it } from "vitest";
import { parseComment } from "../src/comments/comment-format.js";
import { startFakeGitHub, type FakeGitHub, type RecordedRequest } from "../test/fakes/fake-github.js";
import { startFakeOpenAI, type FakeOpenAI } from "../test/fakes/fake-openai.js";
import { botAnswers, mention, newScene, startApp, until, type AppProcess, type Scene } from "../test/e2e/harness.js";
import { percentile } from "../test/helpers/stats.js";

/**
 * The answer path's latency (issue 10), through the production entry against the loopback
 * fakes with every GitHub request taking `READ_MS` and the model's first token `FIRST_TOKEN_MS`
 * after its request. Each number is printed as a ratio to what bounds it physically, measured
 * in the same run: the model request against the round trips it must wait for, the first
 * visible text against the model's first token and GitHub's write spacing, and the k-th of
 * 20 simultaneous acknowledgements against GitHub's one write a second.
 */

const READ_MS = 60;
const FIRST_TOKEN_MS = 700;
const WRITE_SPACING_MS = 1_000;
const PLAN = "**Plan.** Stream the answer from `AI.call` through the handler.";

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeAll(async () => {
  github = await startFakeGitHub({ appSlug: "devbuddy", latencyMs: READ_MS });
  openai = await startFakeOpenAI();
  app = await startApp(github, openai);
});

afterAll(async () => {
  await app?.stop();
  await github?.close();
  await openai?.close();
});

const inScene = (scene: Scene) => (r: RecordedRequest) => r.path.startsWith(`/repos/${scene.repo.owner.login}/${scene.repo.name}/`) || r.path === "/graphql";
const isWrite = (r: RecordedRequest) => r.method !== "GET" && r.path !== "/graphql" && !r.path.endsWith("/access_tokens");

/** When the first write whose body shows model text reached GitHub, and what the first write was. */
function firstText(scene: Scene, since: number): { readonly at?: number; readonly firstWrite?: RecordedRequest } {
  const writes = github.requests.filter((r) => r.at >= since && inScene(scene)(r) && isWrite(r));
  const text = writes.find((r) => {
    const body = (r.body as { body?: unknown } | undefined)?.body;
    return typeof body === "string" && (parseComment(body)?.text ?? "").includes("Stream the answer");
  });
  return { ...(text ? { at: text.at } : {}), ...(writes[0] ? { firstWrite: writes[0] } : {}) };
}

describe("the answer path's latency", () => {
  it("prints the model request, the first visible text and many acknowledgements as ratios to their physical bounds", async () => {
    const rows: string[] = [];
    const modelRatios: number[] = [];
    const textRatios: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const scene = newScene(github, { installationId: 700 + attempt });
      github.seedRepoFiles(scene.repo.owner.login, scene.repo.name, { "src/ai.ts": "export class AI {\n  call(prompt: string) {\n    return prompt;\n  }\n}\n" });
      const before = openai.requests.length;
      openai.enqueue({ kind: "stream", text: [PLAN, " Done."], firstDelayMs: FIRST_TOKEN_MS, delayMs: 50 });
      const sent = performance.now();
      await mention(app, github, scene, "@devbuddy plan this");
      await until(app, "the answer", () => botAnswers(github, scene).find((c) => parseComment(c.body)?.meta.state === "done"), 30_000);
      const modelAt = (openai.requests[before]?.at ?? Number.NaN) - sent;
      const reads = github.requests.filter((r) => r.at >= sent && r.method === "GET" && inScene(scene)(r)).length;
      const { at, firstWrite } = firstText(scene, sent);
      const textAt = (at ?? Number.NaN) - sent;
      const firstWriteAt = (firstWrite?.at ?? Number.NaN) - sent;
      const bound = Math.max(modelAt + FIRST_TOKEN_MS, firstWriteAt + WRITE_SPACING_MS) * 1.1 + READ_MS;
      modelRatios.push(modelAt / READ_MS);
      textRatios.push(textAt / bound);
      rows.push(
        `${String(attempt + 1).padStart(3)}  ${reads.toString().padStart(5)}  ${(modelAt / 1000).toFixed(2).padStart(7)} s  ×${(modelAt / READ_MS).toFixed(1).padStart(4)}   ${(firstWriteAt / 1000).toFixed(2)} s ${firstWrite?.method} ${firstWrite?.path.replace(/^\/repos\/[^/]+\/[^/]+/, "").padEnd(28)} ${(textAt / 1000).toFixed(2)} s  ×${(textAt / bound).toFixed(2)}`,
      );
      if (attempt === 1 && process.env["BENCH_TRACE"]) {
        for (const r of github.requests.filter((q) => q.at >= sent && q.at <= sent + modelAt + 5)) console.log(`   ${(r.at - sent).toFixed(0).padStart(5)} ms ${r.method} ${r.path}`);
      }
    }

    // 20 mentions at once in one installation: when each acknowledgement (the first write for it) lands.
    const busy = newScene(github, { installationId: 799 });
    github.seedRepoFiles(busy.repo.owner.login, busy.repo.name, { "src/ai.ts": "export class AI {}\n" });
    openai.route = () => ({ kind: "stream", text: [PLAN, " Done."], firstDelayMs: FIRST_TOKEN_MS, delayMs: 50 });
    const sent = performance.now();
    const asked = await Promise.all(Array.from({ length: 20 }, (_, k) => mention(app, github, busy, `@devbuddy plan part ${k + 1}`)));
    await until(
      app,
      "20 answers",
      () => {
        const done = botAnswers(github, busy).filter((c) => parseComment(c.body)?.meta.state === "done");
        return done.length >= 20 ? true : undefined;
      },
      240_000,
    );
    openai.route = undefined;
    const writes = github.requests.filter((r) => r.at >= sent && inScene(busy)(r) && isWrite(r));
    const acks = asked
      .map(({ comment }) => {
        const first = writes.find((r) => {
          const body = (r.body as { body?: unknown } | undefined)?.body;
          if (r.path.endsWith(`/comments/${comment.id}/reactions`)) return true;
          return typeof body === "string" && parseComment(body)?.meta.trigger === `c${comment.id}`;
        });
        return (first?.at ?? Number.NaN) - sent;
      })
      .sort((a, b) => a - b);
    const ackRatios = acks.map((ms, k) => ms / ((k + 1) * 1_250));

    console.log(
      [
        `GitHub requests take ${READ_MS} ms each; the model's first token comes ${FIRST_TOKEN_MS} ms after its request.`,
        "run  reads  model request (×read)  first write                                first text (×bound)",
        ...rows,
        `model request / read latency: median ×${percentile(modelRatios, 0.5).toFixed(1)} (target ≤ 8)`,
        `first text / (1.1 × max(first token, first write + 1 s) + one write): median ×${percentile(textRatios, 0.5).toFixed(2)} (target ≤ 1)`,
        `20 mentions at once: k-th acknowledgement / (k × 1.25 s): max ×${Math.max(...ackRatios).toFixed(2)} (target ≤ 1); last at ${(Math.max(...acks) / 1000).toFixed(1)} s`,
      ].join("\n"),
    );
  }, 300_000);
});
