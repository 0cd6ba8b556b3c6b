import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { startFakeGitHub, type FakeGitHub, type GitHubComment, type GitHubIssue, type GitHubRepository } from "../fakes/fake-github.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/fake-openai.js";
import { listenOnLoopback } from "../fakes/listen.js";
import { deliverWebhook } from "../fakes/webhook-sender.js";

/**
 * Runs the production entry (`lib/main.js`, what `npm start` runs) as a child process
 * configured only through environment variables, pointed at the loopback fakes:
 * GHE_HOST/GHE_PROTOCOL for GitHub, OPENAI_BASE_URL for the model.
 */

export const WEBHOOK_SECRET = "e2e-webhook-secret";
export const OPENAI_KEY = "sk-e2e-secret-key-0123456789";
/** Every duration of the App is multiplied by this (NODE_ENV=test only). */
export const TIME_SCALE = 0.05;
export const SPACING_MS = 1000 * TIME_SCALE;
export const EDIT_INTERVAL_MS = 2000 * TIME_SCALE;

const MAIN = fileURLToPath(new URL("../../lib/main.js", import.meta.url));

/** A port nothing listens on now, for the App to take. */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface AppProcess {
  readonly webhookUrl: string;
  readonly output: string[];
  readonly exit: Promise<number | null>;
  readonly child: ChildProcess;
  readonly privateKey: string;
  /** Parsed JSON log lines (LOG_FORMAT=json). */
  logs(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startApp(github: FakeGitHub, openai: FakeOpenAI, env: Record<string, string> = {}): Promise<AppProcess> {
  const port = await freePort();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  // A directory of its own: Probot loads ./.env over the environment, and a developer's
  // .env in the checkout must not reach the test App.
  const cwd = mkdtempSync(join(tmpdir(), "devbuddy-e2e-"));
  const webhookUrl = `http://127.0.0.1:${port}/api/github/webhooks`;
  // GitHub knows the App's webhook URL before the App listens there: what it delivers
  // meanwhile fails, as it would on github.com.
  github.deliverEchoesTo({ url: webhookUrl, secret: WEBHOOK_SECRET, installationId: 1 });
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: {
      PATH: process.env["PATH"] ?? "",
      NODE_ENV: "test",
      APP_ID: String(github.appId),
      PRIVATE_KEY: pem,
      WEBHOOK_SECRET,
      GHE_HOST: github.host,
      GHE_PROTOCOL: "http",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "debug",
      LOG_FORMAT: "json",
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_MODEL: "gpt-e2e",
      DEVBUDDY_TIME_SCALE: String(TIME_SCALE),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  let pending = "";
  const collect = (chunk: Buffer): void => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    output.push(...lines);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const started = Date.now();
  while (!output.some((line) => line.includes("Listening on") || line.includes("answering mentions of"))) {
    if (child.exitCode !== null) throw new Error(`App exited during start-up:\n${output.join("\n")}`);
    if (Date.now() - started > 20_000) throw new Error(`App did not start:\n${output.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    webhookUrl,
    output,
    exit,
    child,
    privateKey: pem,
    logs: () =>
      output.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exit;
    },
  };
}

export interface Scene {
  readonly repo: GitHubRepository;
  readonly issue: GitHubIssue;
  readonly installationId: number;
}

let sceneCounter = 0;

/** A fresh repository and issue, with a maintainer and a read-only user, in an installation of its own. */
export function newScene(
  github: FakeGitHub,
  options: { title?: string; body?: string; installationId?: number } = {},
): Scene {
  const { title = "Enable response streaming", body = "The AI answer should stream." } = options;
  sceneCounter++;
  const owner = "acme";
  const repoName = `app-${sceneCounter}`;
  const repo = github.seedRepo({ owner, repo: repoName });
  const issue = github.seedIssue({ owner, repo: repoName, title, body, user: "alice" });
  github.setPermission(owner, repoName, "maint", "maintain");
  github.setPermission(owner, repoName, "alice", "write");
  github.setPermission(owner, repoName, "stranger", "read");
  return { repo, issue, installationId: options.installationId ?? 100 + sceneCounter };
}

export function commentPayload(scene: Scene, comment: GitHubComment, action: "created" | "edited" = "created"): Record<string, unknown> {
  return {
    action,
    issue: scene.issue,
    comment,
    repository: scene.repo,
    sender: comment.user,
    installation: { id: scene.installationId, node_id: `inst-${scene.installationId}` },
  };
}

/** A human comments on the issue (the fake stores it) and GitHub delivers the webhook. */
export async function mention(
  app: AppProcess,
  github: FakeGitHub,
  scene: Scene,
  body: string,
  options: { login?: string; deliveryId?: string } = {},
): Promise<{ comment: GitHubComment; status: number; elapsedMs: number }> {
  const comment = github.addComment({
    owner: scene.repo.owner.login,
    repo: scene.repo.name,
    number: scene.issue.number,
    body,
    user: options.login ?? "maint",
  });
  const response = await deliverWebhook({
    url: app.webhookUrl,
    secret: WEBHOOK_SECRET,
    event: "issue_comment",
    payload: commentPayload(scene, comment),
    ...(options.deliveryId ? { deliveryId: options.deliveryId } : {}),
  });
  return { comment, status: response.status, elapsedMs: response.elapsedMs };
}

/** Polls until `check` returns a value (not undefined), or fails with the App's output. */
export async function until<T>(app: AppProcess, what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for ${what}; App output (last 40 lines):\n${app.output.slice(-40).join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** devbuddy's comments on the scene's issue, oldest first. */
export const botAnswers = (github: FakeGitHub, scene: Scene): GitHubComment[] =>
  github.comments(scene.repo.owner.login, scene.repo.name, scene.issue.number).filter((c) => c.user.login === github.botLogin);

/** The reactions on a comment, in the order they were put. */
export const reactionsOn = (github: FakeGitHub, commentId: number): string[] =>
  github
    .reactions()
    .filter((r) => r.subject === "comment" && r.subjectId === commentId)
    .map((r) => r.content);

/** Waits until the run that answers `commentId` has put its last reaction (🚀 or 😕). */
export const untilAnswered = (app: AppProcess, github: FakeGitHub, commentId: number, what = "the run to finish") =>
  until(app, what, () => (reactionsOn(github, commentId).some((r) => r === "rocket" || r === "confused") ? true : undefined));

/**
 * Searches everything a run let out, the App's whole output (every log line), every body it
 * sent to GitHub and every request it sent to the model, for the secrets it holds: the model
 * key, the webhook secret, the App's private key and the installation tokens GitHub issued.
 */
export function leakedSecrets(app: AppProcess, github: FakeGitHub, openai: FakeOpenAI): string[] {
  const captured = [
    ...app.output,
    ...github.requests.map((r) => JSON.stringify(r.body ?? "")),
    ...openai.requests.map((r) => JSON.stringify(r.body ?? "")),
  ].join("\n");
  const pemBody = app.privateKey.split("\n").find((line) => line.length > 40 && !line.startsWith("-----")) ?? app.privateKey;
  const secrets: Array<[string, string]> = [
    ["the model key", OPENAI_KEY],
    ["the webhook secret", WEBHOOK_SECRET],
    ["the private key", "PRIVATE KEY"],
    ["the private key's body", pemBody],
    ["an installation token", "ghs_fake"],
  ];
  return secrets.filter(([, secret]) => captured.includes(secret)).map(([what]) => what);
}

/** The App and the fakes it talks to, as one e2e suite uses them. */
export interface World {
  readonly github: FakeGitHub;
  readonly openai: FakeOpenAI;
  readonly app: AppProcess;
}

/** Starts the fake GitHub, the fake OpenAI and the App (with `env` on top of the harness's). */
export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const github = await startFakeGitHub({ appSlug: "devbuddy" });
  const openai = await startFakeOpenAI();
  const app = await startApp(github, openai, env);
  return { github, openai, app };
}

/** Ends a suite: first the secret scan of all it captured, then everything is stopped. */
export async function stopWorld(world: Partial<World>): Promise<void> {
  const { app, github, openai } = world;
  try {
    if (app && github && openai) expect(leakedSecrets(app, github, openai)).toEqual([]);
  } finally {
    await app?.stop();
    await github?.close();
    await openai?.close();
  }
}

/** SIGKILL: no handler runs, as in an out-of-memory kill. Resolves with the exit code (null). */
export function killHard(app: AppProcess): Promise<number | null> {
  app.child.kill("SIGKILL");
  return app.exit;
}

/** A run journal file of its own, for Apps that restart on it. */
export const freshStatePath = (): string => join(mkdtempSync(join(tmpdir(), "devbuddy-state-")), "state.sqlite");

/**
 * For suites that start the App several times on the same fakes (restarts, rolling
 * deploys): `boot` starts one more process; after each test every process's output is
 * searched for secrets, then all are stopped and the fakes closed.
 */
export function restartableApps(fakes: () => { readonly github?: FakeGitHub; readonly openai?: FakeOpenAI }): {
  boot(env: Record<string, string>): Promise<AppProcess>;
} {
  const apps: AppProcess[] = [];
  afterEach(async () => {
    const { github, openai } = fakes();
    const started = apps.splice(0);
    try {
      if (github && openai) for (const app of started) expect(leakedSecrets(app, github, openai)).toEqual([]);
    } finally {
      await Promise.all(started.map((app) => app.stop()));
      await github?.close();
      await openai?.close();
    }
  });
  return {
    async boot(env) {
      const { github, openai } = fakes();
      if (!github || !openai) throw new Error("start the fakes before booting the App");
      const app = await startApp(github, openai, env);
      apps.push(app);
      return app;
    },
  };
}
