/**
 * The HTTP side of the fake: records each request on arrival, applies injected failures, holds
 * and latency, hands the request to the host it is for (the REST API under the prefix, the
 * GraphQL endpoint, codeload), and writes the reply with GitHub's headers.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { failureReply, type Faults } from "./failures.js";
import { flattenHeaders, invalidJson, notFound, parseAuth, type Reply, type RequestContext } from "./http.js";
import type { RateLimitCounter } from "./rate-limit.js";
import type { RecordedRequest } from "./request-log.js";
import { newRequestId } from "./wire-format.js";

export interface Hosts {
  /** `/api/v3` (GitHub Enterprise Server), or "" for the api.github.com layout. */
  pathPrefix: string;
  /** Octokit's GraphQL endpoint: `/api/graphql` on GitHub Enterprise Server, `/graphql` on api.github.com. */
  graphqlPath: string;
  /** The REST API, given paths without the prefix. */
  rest(ctx: RequestContext): Reply;
  graphql(ctx: RequestContext): Reply;
  /** `GET /_codeload/…`, outside the prefix. */
  codeload(path: string, query: Record<string, string>): Reply;
}

export interface ServeOptions {
  /** Artificial delay before answering each request, in ms. */
  latencyMs: number;
  /** Live log every request is appended to on arrival. */
  requests: RecordedRequest[];
  faults: Faults;
  rateLimit: RateLimitCounter;
}

/** The REST API version GitHub reports in `x-github-api-version-selected`. https://docs.github.com/rest/about-the-rest-api/api-versions */
const API_VERSION = "2022-11-28";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Answers every request to `server` from `hosts`. */
export function serve(server: Server, hosts: Hosts, options: ServeOptions): void {
  const { pathPrefix, graphqlPath } = hosts;
  const { faults, rateLimit, requests } = options;

  function send(res: ServerResponse, reply: Reply, requestId: string, record?: RecordedRequest): void {
    // The write has been applied whether or not the client is still there to hear about it,
    // so follow-up work (echo webhooks) must run either way, exactly once.
    let followedUp = false;
    const followUp = () => {
      if (followedUp) return;
      followedUp = true;
      reply.afterSend?.();
    };
    if (res.destroyed || res.writableEnded) {
      followUp();
      return;
    }
    res.once("close", followUp);
    const headers: Record<string, string> = {
      "x-github-request-id": requestId,
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": API_VERSION,
      ...rateLimit.headers(),
      ...reply.headers,
    };
    if (typeof reply.raw === "function") {
      // Streamed bodies (archives, huge blobs) are produced as the client reads them; a
      // client that stops reading closes the socket and the source is destroyed with it.
      const source = reply.raw();
      source.on("data", (chunk: Buffer) => {
        if (record) record.bytesSent += chunk.byteLength;
      });
      res.writeHead(reply.status, headers);
      pipeline(source, res).catch(() => undefined);
      return;
    }
    if (reply.raw === undefined && reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end(followUp);
      return;
    }
    const payload = reply.raw ?? Buffer.from(JSON.stringify(reply.body));
    if (reply.raw === undefined) headers["content-type"] = "application/json; charset=utf-8";
    headers["content-length"] = String(payload.byteLength);
    if (record) record.bytesSent = payload.byteLength;
    res.writeHead(reply.status, headers);
    res.end(payload, followUp);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const requestId = newRequestId();
    const method = (req.method ?? "GET").toUpperCase();
    const parsed = new URL(req.url ?? "/", "http://placeholder");
    const underPrefix = pathPrefix === "" || parsed.pathname === pathPrefix || parsed.pathname.startsWith(`${pathPrefix}/`);
    const path = underPrefix ? parsed.pathname.slice(pathPrefix.length) || "/" : parsed.pathname;
    const query: Record<string, string> = {};
    for (const [key, value] of parsed.searchParams) query[key] = value;
    const headers = flattenHeaders(req);

    // Record on arrival so in-flight (e.g. held) requests are visible; body and status follow.
    const record: RecordedRequest = { method, path, query, headers, body: undefined, at, status: 0, bytesSent: 0 };
    requests.push(record);

    const raw = await readBody(req);
    let body: unknown;
    let bodyIsInvalidJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        bodyIsInvalidJson = true;
      }
    }
    record.body = body;

    const failure = faults.takeFailure(method, path);
    await faults.waitForHolds(method, path);
    if (options.latencyMs > 0) await sleep(options.latencyMs);

    rateLimit.count();
    const ctx: RequestContext = {
      method,
      path,
      query,
      rawSearch: parsed.search,
      body,
      auth: parseAuth(headers["authorization"]),
      accept: headers["accept"] ?? "",
      requestId,
    };
    let reply: Reply;
    if (failure) reply = failureReply(failure, { requestId, method, path });
    else if (method === "GET" && parsed.pathname.startsWith("/_codeload/")) reply = hosts.codeload(parsed.pathname, query);
    else if (method === "POST" && parsed.pathname === graphqlPath) reply = bodyIsInvalidJson ? invalidJson() : hosts.graphql(ctx);
    else if (!underPrefix) reply = notFound();
    else reply = bodyIsInvalidJson ? invalidJson() : hosts.rest(ctx);
    record.status = reply.status;
    send(res, reply, requestId, record);
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake should be loud, not look like a GitHub outage.
      console.error("fake-github: handler crashed", error);
      send(res, { status: 500, body: { message: "fake-github internal error" } }, newRequestId());
    });
  });
}
