/**
 * A loopback OpenAI-compatible server for tests.
 *
 * It speaks real HTTP on 127.0.0.1 so the code under test uses its production
 * `openai` client (real fetch, real socket, real SSE decoding) and tests can still
 * script every upstream behaviour that matters for a streaming comment writer:
 * pacing, time-to-first-token, clean ends, hangs, dropped sockets, HTTP errors and
 * byte-level fragmentation of the event stream.
 *
 * Each request to `POST /v1/chat/completions` consumes the next scripted response
 * from a FIFO queue, falling back to `defaultScript` when the queue is empty.
 * Like OpenAI, it first rejects (400, without consuming a script) a tool-call history
 * OpenAI would reject, so a client that mis-threads tool results fails here too.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { listenOnLoopback } from "./listen.js";
import {
  FAKE_MODEL,
  encodeSse,
  encodeSseEvent,
  nextCompletionId,
  openAIErrorBody,
  splitBytes,
  streamEventGroups,
  usageChunk,
  usageWire,
  type SseEvent,
  type ToolCallOrder,
  type ToolCallScript,
  type UsageInput,
} from "./sse.js";

/**
 * A streamed (`stream: true`) answer. Fault options count *content* chunks — one per text
 * piece, then one per tool-call name/arguments piece — or raw events.
 */
export interface StreamScript {
  kind: "stream";
  /** Content deltas, one chunk each. Optional when `events` or `toolCalls` is given. */
  text?: string[];
  /**
   * Tool calls streamed after the text in OpenAI's wire format (`delta.tool_calls[i]` with
   * `index`); give `name`/`arguments` as arrays to split them across chunks.
   */
  toolCalls?: ToolCallScript[];
  /** Default `"sequential"` (OpenAI's layout); `"interleaved"` alternates the chunks of parallel calls. */
  toolCallOrder?: ToolCallOrder;
  /** Raw events sent instead of the role/content/finish chunks; `finishReason` is then ignored. */
  events?: SseEvent[];
  /** Delay before each chunk; an array gives per-chunk delays (index = number of content chunks is the finish/usage/[DONE] tail). */
  delayMs?: number | number[];
  /** Delay before the first content chunk (overrides `delayMs` for it), after headers were sent. */
  firstDelayMs?: number;
  /** Delay before the status line and headers; `Infinity` never responds. */
  headersDelayMs?: number;
  /** Default `"tool_calls"` when `toolCalls` is non-empty, else `"stop"`; `null` sends no finish_reason chunk at all. */
  finishReason?: string | null;
  /** Token counts for the usage chunk. That chunk is sent only if the request set `stream_options.include_usage`; when omitted, rough counts are made up. */
  usage?: UsageInput;
  /** Send `data: [DONE]` at the end; default true. */
  done?: boolean;
  /** After N content chunks, stop sending but keep the connection open (a hung upstream). */
  stallAfter?: number;
  /** After N content chunks, destroy the socket abruptly: no finish_reason, no [DONE], no chunked terminator. */
  cutAfter?: number;
  /** After N content chunks, end the HTTP response cleanly but without finish_reason or [DONE]. */
  endAfter?: number;
  /** Write the bytes in pieces of this size, one TCP write each, so SSE lines and UTF-8 characters straddle reads. */
  byteChunkSize?: number;
}

/** A non-streaming (`stream: false`) `chat.completion`. */
export interface JsonScript {
  kind: "json";
  text?: string;
  /** Replaces the whole assistant message (e.g. to return `tool_calls`). */
  message?: object;
  /** Default `"stop"`. */
  finishReason?: string;
  /** Default: rough counts derived from the request and `text`. */
  usage?: UsageInput;
  headersDelayMs?: number;
}

/** An HTTP error response such as 429 (with `retry-after`), 500 or 401. */
export interface ErrorScript {
  kind: "error";
  status: number;
  /** Default: OpenAI's `{ error: { message, type, param, code } }` for `status`. A string is sent verbatim. */
  body?: unknown;
  headers?: Record<string, string>;
  headersDelayMs?: number;
}

export type FakeScript = StreamScript | JsonScript | ErrorScript;

export interface RecordedRequest {
  /** `performance.now()` when the request body had been received. */
  at: number;
  method: string;
  /** Path including the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-cased header names; repeated headers are joined with ", ". */
  headers: Record<string, string>;
  /**
   * Parsed JSON body exactly as the model received it (model, temperature, messages with
   * their `tool_calls` / `tool_call_id`, tools, tool_choice, stream, stream_options…). Typed
   * `any` on purpose: tests poke at arbitrary request fields and assertions do the checking.
   */
  body: any;
  /** The script that answered, or undefined when the fake rejected the request itself (401, 404, bad JSON). */
  script?: FakeScript;
  /** True when the client closed the connection before the response finished. */
  aborted: boolean;
  /** `performance.now()` when the exchange ended for any reason (finished, aborted, cut). */
  finishedAt?: number;
}

export interface FakeOpenAI {
  /** e.g. `http://127.0.0.1:54321/v1` — pass as `baseURL` to the OpenAI client. */
  readonly baseURL: string;
  readonly port: number;
  /** Every request received, in arrival order, including rejected ones. */
  readonly requests: RecordedRequest[];
  /** Answers requests when the queue is empty. Initially a short "Hello from the fake model." stream. */
  defaultScript: FakeScript;
  /** Queue scripts for the next requests, first in first out. */
  enqueue(...scripts: FakeScript[]): void;
  /**
   * Chooses the script from the request itself, before the queue is looked at (for runs
   * in flight at once, whose requests arrive in no fixed order); `undefined` falls through
   * to the queue.
   */
  route: ((body: any) => FakeScript | undefined) | undefined;
  /** Scripts queued but not consumed yet — assert 0 to prove every scripted call happened. */
  readonly queued: number;
  /** Resolves once at least `n` requests were received (default timeout 5 s). */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Resolves once request `index` exists and its exchange has ended (default timeout 5 s). */
  waitForFinished(index: number, timeoutMs?: number): Promise<RecordedRequest>;
  /** Forget recorded requests and queued scripts, and restore the initial default script. */
  reset(): void;
  /** Stop listening and destroy every open socket, so stalled streams can't keep the test process alive. */
  close(): Promise<void>;
}

const INITIAL_DEFAULT_SCRIPT: StreamScript = {
  kind: "stream",
  text: ["Hello", " from", " the", " fake", " model."],
};

const DEFAULT_WAIT_MS = 5_000;

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const queue: FakeScript[] = [];
  let defaultScript: FakeScript = INITIAL_DEFAULT_SCRIPT;
  let route: ((body: any) => FakeScript | undefined) | undefined;
  let requestCounter = 0;
  let closing = false;
  let closed: Promise<void> | undefined;

  // Waiters re-check their condition whenever a request arrives or finishes.
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of [...listeners]) listener();
  };
  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const listener = (): void => {
        const value = check();
        if (value === undefined) return;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`fake-openai: timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      listeners.add(listener);
      listener();
    });

  const sockets = new Set<Socket>();
  // noDelay: each write must leave as its own TCP segment, otherwise Nagle would merge
  // the small SSE writes and hide fragmentation and pacing from the client.
  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake must be loud, but must not crash the test process.
      console.error("fake-openai: handler failed", error);
      if (!res.headersSent) sendJson(res, 500, openAIErrorBody(500, `fake-openai handler failed: ${String(error)}`));
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Aborted when the connection goes away, to stop timers and pending writes for this exchange.
    const gone = new AbortController();
    let cutByScript = false;

    const record: RecordedRequest = {
      at: 0,
      method: req.method ?? "",
      path: req.url ?? "",
      headers: flattenHeaders(req.headers),
      body: undefined,
      aborted: false,
    };
    // Listen before reading the body so a client that gives up early is still noticed.
    res.on("close", () => {
      record.finishedAt = performance.now();
      // Our own cut and our own shutdown are not the client walking away.
      if (!res.writableFinished && !cutByScript && !closing) record.aborted = true;
      gone.abort();
      notify();
    });

    record.body = parseJson(await readBody(req));
    record.at = performance.now();
    requests.push(record);
    requestCounter += 1;
    const requestId = `req_fake_${requestCounter}`;
    notify();
    if (gone.signal.aborted) return;

    const pathname = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || pathname !== "/v1/chat/completions") {
      sendJson(res, 404, {
        error: {
          message: `Unknown request URL: ${req.method ?? ""} ${pathname ?? ""}.`,
          type: "invalid_request_error",
          param: null,
          code: "unknown_url",
        },
      });
      return;
    }
    // Checked before a script is consumed, so an unauthenticated call doesn't eat a scripted response.
    if (!/^Bearer\s+\S+/i.test(record.headers["authorization"] ?? "")) {
      sendJson(res, 401, openAIErrorBody(401, "You didn't provide an API key."), { "x-request-id": requestId });
      return;
    }
    if (record.body === undefined) {
      sendJson(res, 400, openAIErrorBody(400, "We could not parse the JSON body of your request."), {
        "x-request-id": requestId,
      });
      return;
    }
    const invalid = toolHistoryError(record.body as ChatRequestBody);
    if (invalid) {
      sendJson(res, 400, { error: { message: invalid.message, type: "invalid_request_error", param: invalid.param, code: null } }, {
        "x-request-id": requestId,
      });
      return;
    }

    const script = route?.(record.body) ?? queue.shift() ?? defaultScript;
    record.script = script;
    const ctx: ExchangeContext = {
      res,
      signal: gone.signal,
      body: record.body as ChatRequestBody,
      requestId,
      cut: () => {
        cutByScript = true;
        req.socket.destroy();
      },
    };
    switch (script.kind) {
      case "stream":
        await serveStream(script, ctx);
        return;
      case "json":
        await serveJson(script, ctx);
        return;
      case "error":
        await serveError(script, ctx);
        return;
    }
  }

  const port = await listenOnLoopback(server);

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    get defaultScript() {
      return defaultScript;
    },
    set defaultScript(script: FakeScript) {
      defaultScript = script;
    },
    enqueue(...scripts) {
      queue.push(...scripts);
    },
    get route() {
      return route;
    },
    set route(choose) {
      route = choose;
    },
    get queued() {
      return queue.length;
    },
    waitForRequests(n, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => (requests.length >= n ? requests.slice() : undefined),
        timeoutMs,
        () => `${n} request(s); received ${requests.length}`,
      );
    },
    waitForFinished(index, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => {
          const record = requests[index];
          return record?.finishedAt !== undefined ? record : undefined;
        },
        timeoutMs,
        () => `request #${index} to finish; received ${requests.length} request(s)`,
      );
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
      defaultScript = INITIAL_DEFAULT_SCRIPT;
      route = undefined;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

// ---------------------------------------------------------------------------
// Responses

/** The request fields the fake reacts to; everything else is only recorded. */
interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
  stream_options?: { include_usage?: unknown } | null;
}

/**
 * The tool-call rules OpenAI enforces on a request, with its messages (typo included):
 * every `tool` message answers a `tool_calls` entry of the assistant message just before
 * the run of tool messages it belongs to; every such entry gets its answer before the
 * next non-tool message; `tool_choice` needs `tools`.
 */
function toolHistoryError(body: ChatRequestBody): { message: string; param: string } | undefined {
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  if (body.tool_choice !== undefined && body.tool_choice !== null && !hasTools) {
    return {
      message: "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      param: "tool_choice",
    };
  }
  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  // Ids of the latest assistant tool_calls still waiting for an answer, and where they were asked.
  let open: { at: number; ids: Set<string> } | undefined;
  const unanswered = (): { message: string; param: string } | undefined =>
    open && open.ids.size > 0
      ? {
          message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open.ids].join(", ")}`,
          param: `messages.[${open.at}].role`,
        }
      : undefined;
  for (const [i, raw] of messages.entries()) {
    const message = (raw ?? {}) as { role?: unknown; tool_calls?: unknown; tool_call_id?: unknown };
    if (message.role === "tool") {
      if (!open || typeof message.tool_call_id !== "string" || !open.ids.delete(message.tool_call_id)) {
        return {
          message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          param: `messages.[${i}].role`,
        };
      }
      continue;
    }
    const error = unanswered();
    if (error) return error;
    open = undefined;
    if (message.role === "assistant" && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      const ids = message.tool_calls.map((call) => (call as { id?: unknown } | null)?.id);
      open = { at: i, ids: new Set(ids.filter((id): id is string => typeof id === "string")) };
    }
  }
  return unanswered();
}

interface ExchangeContext {
  res: ServerResponse;
  /** Aborted once the connection is gone. */
  signal: AbortSignal;
  body: ChatRequestBody;
  requestId: string;
  /** Destroy the socket mid-response, the way a crashed proxy or dropped link would. */
  cut: () => void;
}

async function serveStream(script: StreamScript, ctx: ExchangeContext): Promise<void> {
  const { res, signal, body } = ctx;
  if (!(await sleep(script.headersDelayMs ?? 0, signal))) return;

  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": ctx.requestId,
  });
  // Clients (and our time-to-first-token tests) must see headers before any content.
  res.flushHeaders();

  const { preamble, units, tail } = planStream(script, body);
  const delayFor = (i: number): number => {
    if (i === 0 && script.firstDelayMs !== undefined) return script.firstDelayMs;
    if (Array.isArray(script.delayMs)) return script.delayMs[i] ?? 0;
    return script.delayMs ?? 0;
  };

  // Index `units.length` is the tail, so every fault can also strike after all content.
  let pending = preamble;
  for (let i = 0; i <= units.length; i += 1) {
    if (script.stallAfter === i) {
      await sleep(Number.POSITIVE_INFINITY, signal);
      return;
    }
    if (script.cutAfter === i) {
      ctx.cut();
      return;
    }
    if (script.endAfter === i) {
      res.end();
      return;
    }
    if (!(await sleep(delayFor(i), signal))) return;
    // The role chunk travels with the first real chunk, as it does from OpenAI, so
    // `firstDelayMs` delays the whole body rather than only the visible text.
    const wire = pending + (i < units.length ? (units[i] ?? "") : tail);
    pending = "";
    if (!(await writeWire(res, wire, script.byteChunkSize, signal))) return;
  }
  res.end();
}

/** Splits a stream script into SSE text per content unit, so faults and delays can be placed between units. */
function planStream(script: StreamScript, body: ChatRequestBody): { preamble: string; units: string[]; tail: string } {
  const model = typeof body.model === "string" ? body.model : FAKE_MODEL;
  const wantsUsage = body.stream_options?.include_usage === true;
  const id = nextCompletionId();

  if (script.events !== undefined) {
    const units = script.events.map(encodeSseEvent);
    const tailEvents: SseEvent[] = [];
    if (wantsUsage) {
      tailEvents.push(usageChunk(script.usage ?? estimateUsage(body, script.events.length), { id, model }));
    }
    if (script.done ?? true) tailEvents.push("[DONE]");
    return { preamble: "", units, tail: encodeSse(tailEvents) };
  }

  const text = script.text ?? [];
  const toolCalls = script.toolCalls ?? [];
  const { head, content, tail } = streamEventGroups(text, {
    id,
    model,
    ...(script.finishReason === undefined ? {} : { finishReason: script.finishReason }),
    done: script.done ?? true,
    role: true,
    toolCalls,
    ...(script.toolCallOrder === undefined ? {} : { toolCallOrder: script.toolCallOrder }),
    ...(wantsUsage ? { usage: script.usage ?? estimateUsage(body, text.length + toolCalls.length) } : {}),
  });
  return { preamble: encodeSse(head), units: content.map(encodeSseEvent), tail: encodeSse(tail) };
}

async function serveJson(script: JsonScript, ctx: ExchangeContext): Promise<void> {
  if (!(await sleep(script.headersDelayMs ?? 0, ctx.signal))) return;
  const text = script.text ?? "";
  const model = typeof ctx.body.model === "string" ? ctx.body.model : FAKE_MODEL;
  sendJson(
    ctx.res,
    200,
    {
      id: nextCompletionId(),
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: script.message ?? { role: "assistant", content: text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: script.finishReason ?? "stop",
        },
      ],
      usage: usageWire(script.usage ?? estimateUsage(ctx.body, Math.ceil(text.length / 4))),
      service_tier: "default",
      system_fingerprint: "fp_fake0001",
    },
    { "x-request-id": ctx.requestId },
  );
}

async function serveError(script: ErrorScript, ctx: ExchangeContext): Promise<void> {
  if (!(await sleep(script.headersDelayMs ?? 0, ctx.signal))) return;
  const body = script.body ?? openAIErrorBody(script.status);
  const headers = { "x-request-id": ctx.requestId, ...script.headers };
  if (typeof body === "string") {
    // Verbatim bodies model non-OpenAI failures, e.g. an HTML 502 page from a proxy.
    ctx.res.writeHead(script.status, { "content-type": "text/plain; charset=utf-8", ...headers });
    ctx.res.end(body);
    return;
  }
  sendJson(ctx.res, script.status, body, headers);
}

// ---------------------------------------------------------------------------
// Plumbing

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
}

/**
 * Writes one piece of the stream, optionally fragmented. Fragments are awaited one at
 * a time with an event-loop turn in between so they reach the client as separate
 * reads instead of being coalesced into one buffer. Resolves false once the client is gone.
 */
async function writeWire(
  res: ServerResponse,
  wire: string,
  byteChunkSize: number | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  if (wire === "") return !signal.aborted;
  const pieces = byteChunkSize === undefined ? [Buffer.from(wire, "utf8")] : splitBytes(wire, byteChunkSize);
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await nextTurn();
    if (!(await write(res, piece, signal))) return false;
  }
  return true;
}

function write(res: ServerResponse, chunk: Uint8Array, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    // The write callback is not guaranteed to run once the socket is destroyed, so the abort also settles it.
    const onGone = (): void => resolve(false);
    signal.addEventListener("abort", onGone, { once: true });
    res.write(chunk, (error) => {
      signal.removeEventListener("abort", onGone);
      resolve(error == null);
    });
  });
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. A non-finite `ms` waits for the abort only. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve(true);
        }, ms)
      : undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    // Client went away mid-upload; record whatever arrived.
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/**
 * Made-up but plausible token counts (≈4 characters per prompt token) for when a
 * script doesn't state usage; tests that assert on usage should script it.
 */
function estimateUsage(body: ChatRequestBody, completionTokens: number): UsageInput {
  return {
    prompt_tokens: Math.max(1, Math.ceil(JSON.stringify(body.messages ?? []).length / 4)),
    completion_tokens: completionTokens,
  };
}
