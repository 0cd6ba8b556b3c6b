import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub, GitHubComment } from "../fakes/fake-github.js";
import type { FakeOpenAI, FakeScript } from "../fakes/fake-openai.js";
import { deliverWebhook } from "../fakes/webhook-sender.js";
import { hostileAnswer, hostileRepoFiles, strangerShapes } from "../helpers/hostile-text.js";
import { percentile } from "../helpers/stats.js";
import {
  WEBHOOK_SECRET,
  botAnswers,
  commentPayload,
  freshStatePath,
  leakedSecrets,
  mention,
  newScene,
  reactionsOn,
  startApp,
  startWorld,
  stopWorld,
  until,
  type AppProcess,
  type Scene,
} from "./harness.js";

/**
 * Issue 9's invariant, as GitHub sees it: while hostile runs are in flight (strangers'
 * 65 KB comments of every pathological shape, a repository built to stall an indexer and a
 * glob matcher, a configuration that cannot be parsed, a model streaming pathological
 * Markdown through a hundred tool calls), the App still answers every delivery at once, and
 * every maintainer's answer still finishes whole. A second process on the same journal (a
 * rolling deploy) answers nothing a second time.
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const END = (tag: string): string => `END-OF-ANSWER-${tag}`;
const SECRET = "sk-live-DO-NOT-SEND-0000";

/** The scene tag a request to the model is about, found in the thread it carries. */
function tagOf(body: { messages?: unknown[] }): string | undefined {
  return /\[scene:([a-z-]+)\]/.exec(JSON.stringify(body.messages ?? []))?.[1];
}

const toolResults = (body: { messages?: Array<{ role: string }> }): number => (body.messages ?? []).filter((m) => m.role === "tool").length;

/** Round one of the tool-calling scenes: the calls a misbehaving model makes. */
function toolStorm(tag: string): FakeScript {
  if (tag === "config-broken") return { kind: "stream", toolCalls: [{ name: "read_file", arguments: '{"path": "secret/keys.py"}' }] };
  const glob = `${"a/**/".repeat(9)}b`;
  return {
    kind: "stream",
    toolCalls: [
      ...Array.from({ length: 5 }, () => ({ name: "find_symbol", arguments: '{"name": "C0.method"}' })),
      { name: "list_files", arguments: JSON.stringify({ glob: `${"*a".repeat(14)}b` }) },
      ...Array.from({ length: 100 }, (_, i) => ({ name: "search_code", arguments: JSON.stringify({ query: `return value + ${i}`, glob: i % 2 ? glob : "*.py" }) })),
    ],
  };
}

describe("liveness under hostile input", () => {
  it("answers every delivery within 200 ms (p99) while hostile runs are in flight, and every maintainer's answer finishes whole, once", async () => {
    const shapes = strangerShapes();

    // A repository built to stall: pathological files, attributes, ignores and path globs.
    const bombs = newScene(github, { installationId: 901, title: "Refactor the chain" });
    github.seedRepoFiles("acme", bombs.repo.name, {
      ...hostileRepoFiles(),
      ".github/devbuddy.yml": `paths:\n  exclude: ["${"a/**/".repeat(9)}b", "[z-a]", "${"*a".repeat(14)}b"]\n`,
    });
    // A configuration that cannot be parsed: its exclusion must still hold.
    const broken = newScene(github, { installationId: 902, title: "Rotate keys" });
    github.seedRepoFiles("acme", broken.repo.name, {
      ".github/devbuddy.yml": "paths:\n  exclude: [secret/**]\n  include: [oops\n",
      "secret/keys.py": `KEY = "${SECRET}"\n`,
      "app.py": "def main():\n    return 1\n",
    });
    // A thread full of strangers' pathological comments, read for a maintainer's request.
    const thread = newScene(github, { installationId: 903, title: "Long thread" });
    github.seedRepoFiles("acme", thread.repo.name, { "app.py": "def main():\n    return 1\n" });
    for (const text of Object.values(shapes)) github.addComment({ owner: "acme", repo: thread.repo.name, number: 1, body: text, user: "stranger" });
    // Where the probe deliveries land: an issue nobody asks devbuddy about.
    const quiet = newScene(github, { installationId: 904 });

    const maintainerScenes: Array<[string, Scene]> = [
      ["bombs", bombs],
      ["config-broken", broken],
      ["thread", thread],
    ];
    const answers = new Map(maintainerScenes.map(([tag]) => [tag, hostileAnswer(END(tag))]));
    openai.route = (body) => {
      const tag = tagOf(body);
      if (!tag) return undefined;
      const offersTools = Array.isArray(body.tools) && body.tools.length > 0;
      if (offersTools && toolResults(body) === 0 && tag !== "thread") return toolStorm(tag);
      const text = answers.get(tag) ?? "";
      // Streamed in 600-character pieces over a few seconds, as a real model does.
      const pieces = text.match(/[\s\S]{1,600}/g) ?? [];
      return { kind: "stream", text: pieces, delayMs: 40 };
    };

    // The probe: a delivery every 200 ms on a quiet issue, timed from send to response.
    const latencies: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const comment = github.addComment({ owner: "acme", repo: quiet.repo.name, number: 1, body: "Thanks, looks good.", user: "maint" });
        const response = await deliverWebhook({ url: app.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload: commentPayload(quiet, comment) });
        expect(response.status).toBe(200);
        latencies.push(response.elapsedMs);
        await sleep(200);
      }
    })();

    // Maintainers ask; strangers post every shape as a mention, on the thread and elsewhere.
    const requests = new Map<string, GitHubComment>();
    for (const [tag, scene] of maintainerScenes) {
      const { comment, status } = await mention(app, github, scene, `@devbuddy plan this [scene:${tag}]`);
      expect(status).toBe(200);
      requests.set(tag, comment);
    }
    const strangerDeliveries: number[] = [];
    const strangerComments: GitHubComment[] = [];
    for (const [name, text] of Object.entries(shapes)) {
      for (const scene of [thread, quiet]) {
        const body = `@devbuddy ${text}`.slice(0, 65_536);
        const { comment, status, elapsedMs } = await mention(app, github, scene, body, { login: "stranger" });
        expect(status, name).toBe(200);
        strangerDeliveries.push(elapsedMs);
        strangerComments.push(comment);
      }
    }

    // A rolling deploy starts a second process on the same journal while all this runs.
    peer = await startApp(github, openai, { DEVBUDDY_STATE_PATH: statePath });

    for (const [tag, scene] of maintainerScenes) {
      await until(
        app,
        `the ${tag} answer to finish`,
        () => {
          const parts = botAnswers(github, scene).map((c) => parseComment(c.body));
          return parts.length > 0 && parts.every((p) => p && p.meta.state !== "streaming") ? true : undefined;
        },
        90_000,
      );
    }
    await sleep(1_000);
    probing = false;
    await probe;

    // The loop stayed free: every delivery, the probes and the strangers' 65 KB ones alike.
    expect(latencies.length).toBeGreaterThan(10);
    expect(percentile(latencies, 0.99), `probe latencies: ${latencies.map((l) => l.toFixed(0)).join(" ")}`).toBeLessThan(200);
    expect(percentile(strangerDeliveries, 0.99)).toBeLessThan(200);

    // Every maintainer's answer finished whole, in one run, and nothing was answered twice.
    for (const [tag, scene] of maintainerScenes) {
      const parts = botAnswers(github, scene).map((c) => parseComment(c.body));
      const triggers = new Set(parts.map((p) => p?.meta.trigger));
      const runs = new Set(parts.map((p) => p?.meta.run));
      expect({ tag, states: parts.map((p) => p?.meta.state), runs: runs.size, triggers: [...triggers] }).toEqual({
        tag,
        states: parts.map(() => "done"),
        runs: 1,
        triggers: [`c${requests.get(tag)?.id}`],
      });
      const text = parts.map((p) => p?.text ?? "").join("");
      expect(text, tag).toContain(END(tag));
      expect(reactionsOn(github, requests.get(tag)!.id), tag).toEqual(["eyes", "rocket"]);
    }
    const peerTook = peer.logs().filter((l) => /closing|resuming/.test(String(l["msg"])));
    expect(peerTook).toEqual([]);

    // No stranger got an answer; the excluded secret never reached the model.
    for (const comment of strangerComments) {
      expect(reactionsOn(github, comment.id)).not.toContain("rocket");
      for (const scene of [thread, quiet]) {
        expect(botAnswers(github, scene).filter((c) => parseComment(c.body)?.meta.trigger === `c${comment.id}`)).toEqual([]);
      }
    }
    expect(JSON.stringify(openai.requests.map((r) => r.body))).not.toContain(SECRET);
  }, 180_000);
});
