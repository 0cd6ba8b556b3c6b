import { ProbotOctokit } from "probot";
import type { Clock } from "../../src/util/clock.js";

/**
 * GitHub for many installations at once, in memory, behind a real Probot Octokit's `fetch`:
 * the production adapter (`InstallationGitHub`), Octokit's request and error handling all
 * run, but nothing leaves the process and every delay is on the injected clock, so a test
 * on a `ManualClock` is deterministic.
 *
 * Each installation's Octokit authenticates as "ghs_<installation id>"; every request is
 * recorded with the installation it came from. Writes take `writeLatencyMs` of clock time
 * and are recorded with when they started and ended. Repositories have no commits (GitHub
 * answers 409), so an answer is planned without code. Threads are kept per issue, so a
 * later run reads the earlier answers.
 */

export interface WriteRecord {
  readonly installationId: number;
  readonly op: "create" | "update" | "react";
  /** "owner/repo#issue" the write is about. */
  readonly issue: string;
  /** The comment created or edited, or the comment a reaction is on. */
  readonly commentId?: number;
  readonly body?: string;
  readonly content?: string;
  readonly startedAt: number;
  endedAt: number;
  /** The write was answered with a rate limit. */
  limited?: boolean;
}

export interface ReadRecord {
  readonly installationId: number;
  readonly method: string;
  readonly path: string;
  readonly at: number;
}

interface StoredComment {
  readonly id: number;
  readonly issue: string;
  readonly author: string;
  readonly authorType: "User" | "Bot";
  body: string;
}

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

function reply(status: number, data: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), { status, headers: { ...JSON_TYPE, ...headers } });
}

export class FetchGitHub {
  readonly writes: WriteRecord[] = [];
  readonly reads: ReadRecord[] = [];
  readonly botLogin: string;
  writeLatencyMs: number;
  readonly #clock: Clock;
  readonly #comments = new Map<number, StoredComment>();
  readonly #limitNext = new Map<number, number>();
  #nextId = 1000;
  #inFlight = new Map<number, number>();
  /** Most writes of one installation in flight at once, over the whole run. */
  maxInFlight = 0;

  constructor(clock: Clock, options: { botLogin: string; writeLatencyMs?: number }) {
    this.#clock = clock;
    this.botLogin = options.botLogin;
    this.writeLatencyMs = options.writeLatencyMs ?? 0;
  }

  /** A real Octokit for one installation, served from memory. */
  octokit(installationId: number): ProbotOctokit {
    return new ProbotOctokit({
      auth: { token: `ghs_${installationId}` },
      request: { fetch: this.fetch },
      retry: { enabled: false },
      throttle: { enabled: false },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  }

  /** A person's comment on an issue ("owner/repo#n"); returns its id. */
  addComment(issue: string, author: string, body: string): number {
    const id = this.#nextId++;
    this.#comments.set(id, { id, issue, author, authorType: "User", body });
    return id;
  }

  /** The next write of this installation is answered with a secondary rate limit (403, `retry-after`). */
  limitNextWrite(installationId: number, retryAfterSeconds: number): void {
    this.#limitNext.set(installationId, retryAfterSeconds);
  }

  /** Forgets every comment and recorded request (a benchmark measuring the App's own memory). */
  clear(): void {
    this.writes.length = 0;
    this.reads.length = 0;
    this.#comments.clear();
  }

  /** The bodies devbuddy's comments have now, by comment id. */
  botComments(): Array<{ id: number; issue: string; body: string }> {
    return [...this.#comments.values()].filter((c) => c.author === this.botLogin).map(({ id, issue, body }) => ({ id, issue, body }));
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? "GET").toUpperCase();
    const token = new Headers(init?.headers).get("authorization") ?? "";
    const installationId = Number(/ghs_(\d+)/.exec(token)?.[1] ?? Number.NaN);
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const path = url.pathname;
    if (method === "GET") {
      this.reads.push({ installationId, method, path, at: this.#clock.now() });
      return this.#read(path);
    }
    return this.#write(installationId, method, path, body);
  };

  #read(path: string): Response {
    let m: RegExpExecArray | null;
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/.exec(path))) {
      return reply(200, { permission: "write", role_name: "maintain", user: { login: decodeURIComponent(m[3] as string) } });
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
      const issue = `${m[1]}/${m[2]}#${m[3]}`;
      const thread = [...this.#comments.values()]
        .filter((c) => c.issue === issue)
        .sort((a, b) => a.id - b.id)
        .map((c) => ({ id: c.id, body: c.body, user: { login: c.author, type: c.authorType } }));
      return reply(200, thread);
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/[^/]+$/.exec(path))) {
      return reply(409, { message: "Git Repository is empty.", documentation_url: "https://docs.github.com/rest/commits/commits#get-a-commit" });
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path))) {
      return reply(200, { default_branch: "main", html_url: `https://github.test/${m[1]}/${m[2]}` });
    }
    return reply(404, { message: "Not Found" });
  }

  async #write(installationId: number, method: string, path: string, body: Record<string, unknown>): Promise<Response> {
    let m: RegExpExecArray | null;
    let record: WriteRecord;
    let apply: () => Response;
    const startedAt = this.#clock.now();
    if (method === "POST" && (m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
      const issue = `${m[1]}/${m[2]}#${m[3]}`;
      const id = this.#nextId++;
      const text = String(body["body"]);
      record = { installationId, op: "create", issue, commentId: id, body: text, startedAt, endedAt: startedAt };
      apply = () => {
        this.#comments.set(id, { id, issue, author: this.botLogin, authorType: "Bot", body: text });
        return reply(201, { id, body: text, html_url: `https://github.test/${m?.[1]}/${m?.[2]}/issues/${m?.[3]}#issuecomment-${id}` });
      };
    } else if (method === "PATCH" && (m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path))) {
      const id = Number(m[3]);
      const stored = this.#comments.get(id);
      const text = String(body["body"]);
      record = { installationId, op: "update", issue: stored?.issue ?? "?", commentId: id, body: text, startedAt, endedAt: startedAt };
      apply = () => {
        if (!stored) return reply(404, { message: "Not Found" });
        stored.body = text;
        return reply(200, { id, body: text, html_url: `https://github.test/${m?.[1]}/${m?.[2]}/issues#issuecomment-${id}` });
      };
    } else if (method === "POST" && (m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/.exec(path))) {
      const id = Number(m[3]);
      record = { installationId, op: "react", issue: this.#comments.get(id)?.issue ?? "?", commentId: id, content: String(body["content"]), startedAt, endedAt: startedAt };
      apply = () => reply(201, { id: this.#nextId++, content: body["content"] });
    } else if (method === "POST" && (m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/reactions$/.exec(path))) {
      record = { installationId, op: "react", issue: `${m[1]}/${m[2]}#${m[3]}`, content: String(body["content"]), startedAt, endedAt: startedAt };
      apply = () => reply(201, { id: this.#nextId++, content: body["content"] });
    } else {
      return reply(404, { message: "Not Found" });
    }
    this.writes.push(record);
    const inFlight = (this.#inFlight.get(installationId) ?? 0) + 1;
    this.#inFlight.set(installationId, inFlight);
    this.maxInFlight = Math.max(this.maxInFlight, inFlight);
    try {
      if (this.writeLatencyMs > 0) await this.#clock.sleep(this.writeLatencyMs);
      const retryAfter = this.#limitNext.get(installationId);
      if (retryAfter !== undefined) {
        this.#limitNext.delete(installationId);
        record.limited = true;
        return reply(
          403,
          { message: "You have exceeded a secondary rate limit and have been temporarily blocked from content creation.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" },
          { "retry-after": String(retryAfter) },
        );
      }
      return apply();
    } finally {
      record.endedAt = this.#clock.now();
      this.#inFlight.set(installationId, (this.#inFlight.get(installationId) ?? 1) - 1);
    }
  }
}
