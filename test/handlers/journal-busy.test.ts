import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import nock from "nock";
import { pino } from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Devbuddy } from "../../src/app.js";
import { loadSettings } from "../../src/config/settings.js";
import { devbuddyApp } from "../../src/index.js";
import { SqliteJournal } from "../../src/state/sqlite-journal.js";
import { deliverWebhook } from "../fakes/webhook-sender.js";
import { startLoopMonitor } from "../helpers/loop-delay.js";
import { issueCommentPayload } from "../helpers/payloads.js";
import { ScriptedModel } from "../helpers/scripted-model.js";

/**
 * Another process holds the run journal's write lock (a peer in a rolling deploy, a backup
 * tool) while a delivery arrives. `node:sqlite` is synchronous: a busy lock waited out inside
 * the call would hold the event loop, and every other installation's delivery with it.
 */

const SECRET = "journal-busy-secret";
const REPO = "/repos/Codertocat/Hello-World";
const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options["throttle"] as object), enabled: false },
}));

let server: Server;
let url: string;
let devbuddy: Devbuddy;
let statePath: string;
let journal: SqliteJournal;

beforeEach(async () => {
  nock.cleanAll();
  const github = nock("https://api.github.com").get("/app").reply(200, { id: 1, slug: "devbuddy", name: "devbuddy" });
  statePath = join(mkdtempSync(join(tmpdir(), "journal-busy-")), "state.sqlite");
  journal = new SqliteJournal(statePath, { instance: "app" });
  const probot = new Probot({ githubToken: "test", Octokit: TestOctokit, secret: SECRET, log: pino({ level: "silent" }) });
  const settings = loadSettings({ NODE_ENV: "test", DEVBUDDY_TIME_SCALE: "0.01", OPENAI_API_KEY: "sk-test" });
  const middleware = await createNodeMiddleware(devbuddyApp({ settings, model: new ScriptedModel(), journal, onReady: (d) => (devbuddy = d) }), { probot });
  await vi.waitFor(() => expect(github.isDone()).toBe(true));
  server = createServer((req, res) => void middleware(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});

afterEach(async () => {
  await devbuddy.shutdown();
  await new Promise((resolve) => server.close(resolve));
  nock.cleanAll();
});

describe("a busy run journal", () => {
  it("delays a delivery while another connection holds the write lock, never holding the loop or failing it", async () => {
    // A bot nobody allowed: the run reads the config and stops there, without a write.
    nock("https://api.github.com")
      .get(`${REPO}/contents/.github%2Fdevbuddy.yml`)
      .reply(404, { message: "Not Found" })
      .get("/repos/Codertocat/.github/contents/.github%2Fdevbuddy.yml")
      .reply(404, { message: "Not Found" });
    // One delivery first, so what is measured is the lock, not the first request's warm-up
    // (module compilation, Probot's first signature check) on a busy machine.
    const warm = await deliverWebhook({ url, secret: SECRET, event: "issue_comment", deliveryId: "warm-1", payload: issueCommentPayload({ body: "thanks" }) });
    expect(warm.status).toBe(200);
    const other = new DatabaseSync(statePath);
    other.exec("BEGIN IMMEDIATE");
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        other.exec("COMMIT");
        other.close();
        resolve();
      }, 1_000),
    );

    const loop = await startLoopMonitor();
    const answered = await deliverWebhook({
      url,
      secret: SECRET,
      event: "issue_comment",
      deliveryId: "busy-1",
      payload: issueCommentPayload({ body: "@devbuddy plan this", login: "other-app[bot]", senderType: "Bot" }),
    });
    await released;
    await devbuddy.coordinator.settled();
    const delay = loop.stop();

    expect(answered.status).toBeGreaterThanOrEqual(200);
    expect(answered.status).toBeLessThan(300);
    // Answered once the lock was released, not before: the claim waited for it.
    expect(answered.elapsedMs).toBeGreaterThan(900);
    expect(delay.maxMs).toBeLessThanOrEqual(50);
    // The work was recorded: the same delivery again is a redelivery.
    expect(await journal.claimed(["delivery:busy-1", "trigger:c492700400"])).toEqual(new Set(["delivery:busy-1", "trigger:c492700400"]));
    expect(nock.pendingMocks()).toEqual([]);
  });
});
