import { expect } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub, GitHubComment } from "../fakes/fake-github.js";
import type { FakeOpenAI, FakeScript } from "../fakes/fake-openai.js";
import { deliverWebhook } from "../fakes/webhook-sender.js";
import { hostileAnswer, hostileRepoFiles, strangerShapes } from "../helpers/hostile-text.js";
import { WEBHOOK_SECRET, botAnswers, commentPayload, mention, newScene, until, type AppProcess, type Scene } from "./harness.js";

/**
 * Hostile runs in flight, and a probe that times deliveries meanwhile (issue 9): strangers'
 * 65 KB comments of every pathological shape, a repository built to stall an indexer and a
 * glob matcher, a configuration that cannot be parsed, and a model that makes a hundred
 * tool calls and streams pathological Markdown. Shared by the end-to-end liveness test and
 * `npm run bench`.
 */

export const END = (tag: string): string => `END-OF-ANSWER-${tag}`;
/** In a file the broken configuration meant to exclude; it must never reach the model. */
export const SECRET = "sk-live-DO-NOT-SEND-0000";

/** Probes sent at least, however quickly the answers end. */
export const MIN_PROBES = 40;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

export interface HostileOutcome {
  /** Send-to-response times of the probe deliveries, ms. */
  readonly probeMs: number[];
  /** Send-to-response times of the strangers' 65 KB deliveries, ms. */
  readonly strangerMs: number[];
  /** Maintainers' scenes by tag, with the comment that asked. */
  readonly asked: ReadonlyArray<{ readonly tag: string; readonly scene: Scene; readonly request: GitHubComment }>;
  readonly strangers: ReadonlyArray<{ readonly scene: Scene; readonly comment: GitHubComment }>;
}

export interface HostileOptions {
  /** Without the hostile part: only the maintainers' plain requests and the probe (the bench's baseline). */
  readonly calm?: boolean;
  /** Runs once every request was delivered, while the answers stream (e.g. a second process starts). */
  readonly meanwhile?: () => Promise<void>;
  /** Installation ids start here (each scene has its own). */
  readonly firstInstallation?: number;
}

export async function runHostileScenario(app: AppProcess, github: FakeGitHub, openai: FakeOpenAI, options: HostileOptions = {}): Promise<HostileOutcome> {
  const calm = options.calm ?? false;
  const first = options.firstInstallation ?? 900;
  const shapes = calm ? { plain: "Could devbuddy also look at the tests?" } : strangerShapes();

  // A repository built to stall: pathological files, attributes, ignores and path globs.
  const bombs = newScene(github, { installationId: first + 1, title: "Refactor the chain" });
  github.seedRepoFiles("acme", bombs.repo.name, {
    ...hostileRepoFiles(),
    ".github/devbuddy.yml": `paths:\n  exclude: ["${"a/**/".repeat(9)}b", "[z-a]", "${"*a".repeat(14)}b"]\n`,
  });
  // A configuration that cannot be parsed: its exclusion must still hold.
  const broken = newScene(github, { installationId: first + 2, title: "Rotate keys" });
  github.seedRepoFiles("acme", broken.repo.name, {
    ".github/devbuddy.yml": "paths:\n  exclude: [secret/**]\n  include: [oops\n",
    "secret/keys.py": `KEY = "${SECRET}"\n`,
    "app.py": "def main():\n    return 1\n",
  });
  // A thread full of strangers' pathological comments, read for a maintainer's request.
  const thread = newScene(github, { installationId: first + 3, title: "Long thread" });
  github.seedRepoFiles("acme", thread.repo.name, { "app.py": "def main():\n    return 1\n" });
  for (const text of Object.values(shapes)) github.addComment({ owner: "acme", repo: thread.repo.name, number: 1, body: text, user: "stranger" });
  // Where the probe deliveries land: an issue nobody asks devbuddy about.
  const quiet = newScene(github, { installationId: first + 4 });

  const scenes: Array<[string, Scene]> = [
    ["bombs", bombs],
    ["config-broken", broken],
    ["thread", thread],
  ];
  openai.route = (body) => {
    const tag = tagOf(body);
    if (!tag) return undefined;
    const offersTools = Array.isArray(body.tools) && body.tools.length > 0;
    if (!calm && offersTools && toolResults(body) === 0 && tag !== "thread") return toolStorm(tag);
    const text = calm ? `**Plan.**\n\n${"1. Do the next step.\n".repeat(1_000)}${END(tag)}\n` : hostileAnswer(END(tag));
    // Streamed in 600-character pieces over about six seconds, as a real model does, so that dozens of probes run meanwhile.
    return { kind: "stream", text: text.match(/[\s\S]{1,600}/g) ?? [], delayMs: 150 };
  };

  // The probe: a delivery every 200 ms on a quiet issue, timed from send to response.
  const probeMs: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const comment = github.addComment({ owner: "acme", repo: quiet.repo.name, number: 1, body: "Thanks, looks good.", user: "maint" });
      const response = await deliverWebhook({ url: app.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload: commentPayload(quiet, comment) });
      expect(response.status).toBe(200);
      probeMs.push(response.elapsedMs);
      await sleep(200);
    }
  })();

  // Maintainers ask; strangers post every shape as a mention, on the thread and elsewhere.
  const asked: Array<{ tag: string; scene: Scene; request: GitHubComment }> = [];
  for (const [tag, scene] of scenes) {
    const { comment, status } = await mention(app, github, scene, `@devbuddy plan this [scene:${tag}]`);
    expect(status).toBe(200);
    asked.push({ tag, scene, request: comment });
  }
  const strangerMs: number[] = [];
  const strangers: Array<{ scene: Scene; comment: GitHubComment }> = [];
  for (const [name, text] of Object.entries(shapes)) {
    for (const scene of [thread, quiet]) {
      const { comment, status, elapsedMs } = await mention(app, github, scene, `@devbuddy ${text}`.slice(0, 65_536), { login: "stranger" });
      expect(status, name).toBe(200);
      strangerMs.push(elapsedMs);
      strangers.push({ scene, comment });
    }
  }
  await options.meanwhile?.();

  try {
    for (const { tag, scene } of asked) {
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
    // Enough probes for a p99 to mean something, the last ones after every answer ended.
    while (probeMs.length < MIN_PROBES) await sleep(50);
    await sleep(1_000);
  } finally {
    probing = false;
    await probe;
    openai.route = undefined;
  }
  return { probeMs, strangerMs, asked, strangers };
}
