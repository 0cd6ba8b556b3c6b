/**
 * Shared by the fake GitHub's tests: a fresh fake for each test, plain fetch calls against it,
 * and a webhook receiver on loopback.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../fake-github.js";

export const TOKEN = "ghs_test";
/** JWT-shaped (three base64url segments); the fake does not verify signatures. */
export const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl";

/** The fake of the running test (a live binding: `withFakeGitHub` replaces it before each test). */
export let gh: FakeGitHub;

/** Starts a fresh fake before each test of the calling file and closes it after. */
export function withFakeGitHub(): void {
  beforeEach(async () => {
    gh = await startFakeGitHub();
  });

  afterEach(async () => {
    await gh.close();
  });
}

interface CallOptions {
  method?: string;
  body?: unknown;
  auth?: string | null;
}

/** Plain fetch against the fake's API base, authenticated as an installation by default. */
export async function api(path: string, options: CallOptions = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const headers: Record<string, string> = { accept: "application/vnd.github+json" };
  const auth = options.auth === undefined ? `token ${TOKEN}` : options.auth;
  if (auth !== null) headers["authorization"] = auth;
  const init: RequestInit = { method: options.method ?? "GET", headers };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(`${gh.apiBase}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text.length > 0 ? JSON.parse(text) : undefined };
}

export function seedIssue(number = 1) {
  return gh.seedIssue({ owner: "acme", repo: "widgets", number, title: "Add dark mode", body: "Please", user: "alice" });
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
}

/** A tiny webhook receiver bound to loopback. */
export async function startReceiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/github/webhooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Independent HMAC check, the way a receiver must do it (constant-time compare). */
export function signatureIsValid(secret: string, raw: string, header: string | string[] | undefined): boolean {
  if (typeof header !== "string") return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`);
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
