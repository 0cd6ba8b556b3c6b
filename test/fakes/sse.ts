/**
 * Wire-level helpers for OpenAI Chat Completions streaming.
 *
 * These build the exact bytes OpenAI sends for `stream: true` requests so tests can
 * drive the real `openai` SDK either through the loopback server in `fake-openai.ts`
 * or, without any socket, through a custom `fetch` (`new OpenAI({ fetch })`).
 *
 * Everything here is deterministic except `created` timestamps; nothing touches the
 * network.
 */

/** A single server-sent event payload: a JSON object, or the literal end-of-stream sentinel. */
export type SseEvent = object | "[DONE]";

/** Token counts as a script author states them; the helpers derive `total_tokens`. */
export interface UsageInput {
  prompt_tokens: number;
  completion_tokens: number;
}

/** The `usage` object OpenAI attaches to the final chunk (or a non-streaming completion). */
export interface UsageWire {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** One `chat.completion.chunk` as it appears on the wire. */
export interface ChatChunkWire {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{ index: number; delta: object; logprobs: null; finish_reason: string | null }>;
  /** Present (as `null`, or the totals on the last chunk) only when the request asked for usage. */
  usage?: UsageWire | null;
}

export interface ChatChunkOptions {
  finishReason?: string | null;
  id?: string;
  model?: string;
  index?: number;
}

/** Model name reported by the fakes when a script doesn't name one. */
export const FAKE_MODEL = "gpt-fake-1";

const FAKE_FINGERPRINT = "fp_fake0001";

let idCounter = 0;
/** Completion ids only need to be unique within a test run and readable in failure output. */
export function nextCompletionId(): string {
  idCounter += 1;
  return `chatcmpl-fake${String(idCounter).padStart(6, "0")}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * A `chat.completion.chunk` exactly as OpenAI sends it. `delta` is passed through
 * untouched so tests can express role, content, refusal or tool-call deltas.
 */
export function chatChunk(delta: object, opts: ChatChunkOptions = {}): ChatChunkWire {
  return {
    id: opts.id ?? nextCompletionId(),
    object: "chat.completion.chunk",
    created: nowSeconds(),
    model: opts.model ?? FAKE_MODEL,
    system_fingerprint: FAKE_FINGERPRINT,
    choices: [
      {
        index: opts.index ?? 0,
        delta,
        logprobs: null,
        finish_reason: opts.finishReason ?? null,
      },
    ],
  };
}

/** Expands script-level token counts into the full usage object OpenAI reports. */
export function usageWire(usage: UsageInput): UsageWire {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export interface UsageChunkOptions {
  id?: string;
  model?: string;
}

/**
 * The extra last chunk OpenAI sends when `stream_options.include_usage` is true:
 * it has an empty `choices` array, so consumers must not assume `choices[0]` exists.
 */
export function usageChunk(usage: UsageInput, opts: UsageChunkOptions = {}): ChatChunkWire {
  return {
    id: opts.id ?? nextCompletionId(),
    object: "chat.completion.chunk",
    created: nowSeconds(),
    model: opts.model ?? FAKE_MODEL,
    system_fingerprint: FAKE_FINGERPRINT,
    choices: [],
    usage: usageWire(usage),
  };
}

/** Serialises events as SSE: one `data: …` line per event, each terminated by a blank line. */
export function encodeSse(events: readonly SseEvent[]): string {
  return events.map(encodeSseEvent).join("");
}

export function encodeSseEvent(event: SseEvent): string {
  return `data: ${event === "[DONE]" ? "[DONE]" : JSON.stringify(event)}\n\n`;
}

/** One tool call as a script states it; `toolCallDeltas` turns it into OpenAI's deltas. */
export interface ToolCallScript {
  /** Default: a generated `call_fake…` id. `null` sends no id at all, as some compatible servers do. */
  id?: string | null;
  /** The function name; an array sends it in pieces, one chunk each (the first piece travels with the id). */
  name: string | readonly string[];
  /** The raw arguments text; an array sends it in pieces, one chunk each, so JSON can be cut anywhere. */
  arguments: string | readonly string[];
}

/**
 * How parallel tool calls are laid out: `"sequential"` is what OpenAI does (every chunk of
 * call 0, then call 1); `"interleaved"` alternates their chunks, which `index` must untangle.
 */
export type ToolCallOrder = "sequential" | "interleaved";

let toolCallCounter = 0;
function nextToolCallId(): string {
  toolCallCounter += 1;
  return `call_fake${String(toolCallCounter).padStart(6, "0")}`;
}

/**
 * The `delta` objects (`{ tool_calls: [one entry] }`, one chunk each) for `calls`, in
 * OpenAI's wire shape: the first entry of call `i` is
 * `{ index: i, id, type: "function", function: { name, arguments: "" } }`, later ones
 * carry only `index` and a `name` or `arguments` piece.
 */
export function toolCallDeltas(calls: readonly ToolCallScript[], order: ToolCallOrder = "sequential"): object[] {
  const perCall = calls.map((call, index) => {
    const names = typeof call.name === "string" ? [call.name] : [...call.name];
    const args = (typeof call.arguments === "string" ? [call.arguments] : [...call.arguments]).filter((a) => a !== "");
    const id = call.id === undefined ? nextToolCallId() : call.id;
    const first = {
      index,
      ...(id === null ? {} : { id }),
      type: "function",
      function: { name: names[0] ?? "", arguments: "" },
    };
    return [
      first,
      ...names.slice(1).map((name) => ({ index, function: { name } })),
      ...args.map((piece) => ({ index, function: { arguments: piece } })),
    ].map((entry) => ({ tool_calls: [entry] }));
  });
  if (order === "sequential") return perCall.flat();
  const out: object[] = [];
  const rounds = Math.max(0, ...perCall.map((chunks) => chunks.length));
  for (let round = 0; round < rounds; round += 1) {
    for (const chunks of perCall) {
      const chunk = chunks[round];
      if (chunk) out.push(chunk);
    }
  }
  return out;
}

export interface TextStreamOptions {
  /** Default `"tool_calls"` when `toolCalls` is non-empty, else `"stop"`; `null` means no chunk ever carries a finish_reason. */
  finishReason?: string | null;
  /** When set, a usage chunk follows the finish chunk and every other chunk carries `usage: null`. */
  usage?: UsageInput;
  /** Append `data: [DONE]`; default true. */
  done?: boolean;
  /** Open with OpenAI's `{ role: "assistant", content: "" }` delta (`content: null` for a tools-only answer); default true. */
  role?: boolean;
  id?: string;
  model?: string;
  /** Tool calls streamed after the text, one chunk per name/arguments piece (see `toolCallDeltas`). */
  toolCalls?: readonly ToolCallScript[];
  toolCallOrder?: ToolCallOrder;
}

/** A stream's events grouped so faults and delays can be placed between content chunks. */
export interface StreamEventGroups {
  /** The role chunk, if any. */
  head: SseEvent[];
  /** One chunk per text piece, then one per tool-call piece. */
  content: SseEvent[];
  /** Finish chunk, usage chunk and `[DONE]`, each if enabled. */
  tail: SseEvent[];
}

/**
 * The full event sequence OpenAI produces for an answer: role chunk, one chunk per
 * content delta, tool-call chunks, a finish chunk with an empty delta, the optional
 * usage chunk, then `[DONE]`. All chunks share one completion id.
 */
export function streamEventGroups(text: readonly string[], opts: TextStreamOptions = {}): StreamEventGroups {
  const id = opts.id ?? nextCompletionId();
  const model = opts.model ?? FAKE_MODEL;
  const toolCalls = opts.toolCalls ?? [];
  const finishReason = opts.finishReason === undefined ? (toolCalls.length > 0 ? "tool_calls" : "stop") : opts.finishReason;
  // With include_usage OpenAI adds `usage: null` to every chunk before the last one.
  const withUsageField = (chunk: ChatChunkWire): ChatChunkWire =>
    opts.usage === undefined ? chunk : { ...chunk, usage: null };

  const head: SseEvent[] = [];
  if (opts.role ?? true) {
    const content = text.length === 0 && toolCalls.length > 0 ? null : "";
    head.push(withUsageField(chatChunk({ role: "assistant", content }, { id, model })));
  }
  const content: SseEvent[] = [
    ...text.map((piece) => withUsageField(chatChunk({ content: piece }, { id, model }))),
    ...toolCallDeltas(toolCalls, opts.toolCallOrder).map((delta) => withUsageField(chatChunk(delta, { id, model }))),
  ];
  const tail: SseEvent[] = [];
  if (finishReason !== null) {
    tail.push(withUsageField(chatChunk({}, { id, model, finishReason })));
  }
  if (opts.usage !== undefined) {
    tail.push(usageChunk(opts.usage, { id, model }));
  }
  if (opts.done ?? true) {
    tail.push("[DONE]");
  }
  return { head, content, tail };
}

/** `streamEventGroups` as one flat sequence. */
export function textStreamEvents(text: readonly string[], opts: TextStreamOptions = {}): SseEvent[] {
  const { head, content, tail } = streamEventGroups(text, opts);
  return [...head, ...content, ...tail];
}

/**
 * UTF-8 encodes `wire` and splits the bytes so that chunk boundaries can fall
 * mid-line and mid-character — the cases a streaming decoder gets wrong.
 *
 * - `number[]`: byte offsets to cut at (out-of-range and duplicate offsets are ignored)
 * - `"every-byte"`: one byte per chunk
 * - `number`: fixed-size chunks of that many bytes
 */
export function splitBytes(wire: string, cuts: readonly number[] | "every-byte" | number): Uint8Array[] {
  const bytes = new TextEncoder().encode(wire);
  let offsets: number[];
  if (cuts === "every-byte") {
    offsets = range(1, bytes.length, 1);
  } else if (typeof cuts === "number") {
    if (!Number.isInteger(cuts) || cuts < 1) {
      throw new RangeError(`splitBytes: chunk size must be a positive integer, got ${cuts}`);
    }
    offsets = range(cuts, bytes.length, cuts);
  } else {
    offsets = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  }

  const parts: Uint8Array[] = [];
  let start = 0;
  for (const end of [...offsets, bytes.length]) {
    // slice (not subarray) so each part owns its buffer, as separate network reads would.
    if (end > start) parts.push(bytes.slice(start, end));
    start = end;
  }
  return parts;
}

function range(from: number, toExclusive: number, step: number): number[] {
  const out: number[] = [];
  for (let i = from; i < toExclusive; i += step) out.push(i);
  return out;
}

export interface SseResponseOptions {
  /** `delaysMs[i]` is waited before part `i` is delivered (missing entries: no delay). */
  delaysMs?: readonly number[];
  /**
   * How `delaysMs` are waited out; default real timers. Pass a `ManualClock`'s `sleep` to
   * pace the body in the same test time as the code's watchdogs. Must reject when `signal` aborts.
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  status?: number;
  /** Merged over the default `content-type: text/event-stream` header. */
  headers?: Record<string, string>;
  /** Deliver this many parts, then neither send more nor close: a hung upstream. */
  stallAfter?: number;
  /** Deliver this many parts, then error the body the way undici does when the socket drops. */
  cutAfter?: number;
  /** The request's signal: aborting it errors the body with the abort reason, as real fetch does. */
  signal?: AbortSignal | null;
}

/**
 * A `Response` whose body streams `parts` one by one with optional pacing and faults.
 *
 * The body uses `highWaterMark: 0` and produces a part only when the consumer asks for
 * one, so each `read()` sees exactly one part — this keeps the split boundaries chosen
 * by `splitBytes` intact all the way to the SDK's decoder.
 */
export function sseResponse(parts: readonly Uint8Array[], opts: SseResponseOptions = {}): Response {
  const { signal } = opts;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  let next = 0;
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const released = new AbortController();

  const stop = (): void => {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    // Release a pending pull (a delay or a stall) so nothing keeps the event loop alive.
    wake?.();
    wake = undefined;
    released.abort();
  };
  const wait = (ms: number): Promise<void> =>
    opts.sleep
      ? opts.sleep(ms, released.signal).catch(() => undefined)
      : new Promise((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, ms);
        });
  const onAbort = (): void => {
    if (settled) return;
    stop();
    try {
      controllerRef?.error(abortReason(signal));
    } catch {
      // Already closed or errored: nothing left to signal.
    }
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
        if (signal?.aborted) onAbort();
        else signal?.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        if (settled) return;
        if (opts.stallAfter !== undefined && next >= opts.stallAfter) {
          // Never resolve on our own: only cancel/abort (via `stop`) releases this pull.
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          return;
        }
        if (opts.cutAfter !== undefined && next >= opts.cutAfter) {
          stop();
          signal?.removeEventListener("abort", onAbort);
          controller.error(socketDropError());
          return;
        }
        if (next >= parts.length) {
          stop();
          signal?.removeEventListener("abort", onAbort);
          controller.close();
          return;
        }
        const delay = opts.delaysMs?.[next] ?? 0;
        if (delay > 0) await wait(delay);
        if (settled) return;
        const part = parts[next];
        next += 1;
        if (part !== undefined) controller.enqueue(part);
      },
      cancel() {
        stop();
        signal?.removeEventListener("abort", onAbort);
      },
    },
    { highWaterMark: 0 },
  );

  return new Response(body, {
    status: opts.status ?? 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", ...opts.headers },
  });
}

/** A JSON `Response`, e.g. an OpenAI error body for a custom-fetch test. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** OpenAI's error envelope; `code`/`type` default to what OpenAI uses for the given status. */
export function openAIErrorBody(
  status: number,
  message?: string,
): { error: { message: string; type: string; param: null; code: string | null } } {
  const byStatus: Record<number, { type: string; code: string | null; message: string }> = {
    400: { type: "invalid_request_error", code: null, message: "Invalid request." },
    401: {
      type: "invalid_request_error",
      code: "invalid_api_key",
      message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    },
    404: { type: "invalid_request_error", code: "model_not_found", message: "The model does not exist." },
    429: {
      type: "requests",
      code: "rate_limit_exceeded",
      message: "Rate limit reached for requests. Please try again in 1s.",
    },
    500: { type: "server_error", code: null, message: "The server had an error while processing your request." },
    503: { type: "server_error", code: null, message: "The engine is currently overloaded, please try again later." },
  };
  const known = byStatus[status] ?? { type: "server_error", code: null, message: `Fake upstream error ${status}.` };
  return { error: { message: message ?? known.message, type: known.type, param: null, code: known.code } };
}

/** One call seen by `fakeFetch`. `body` is the parsed JSON request body when it was JSON. */
export interface FakeFetchCall {
  at: number;
  url: string;
  init: RequestInit;
  body: unknown;
}

export type FakeFetchResponder = (req: { url: string; init: RequestInit; body: unknown }) => Response | Promise<Response>;

/** A `fetch` replacement that also exposes every call it received. */
export type FakeFetch = ((input: string | URL | Request, init?: RequestInit) => Promise<Response>) & {
  readonly calls: FakeFetchCall[];
};

/**
 * A `fetch` for `new OpenAI({ fetch })` that routes every call to `responder`.
 *
 * It behaves like real fetch with respect to `init.signal`, because that is the path
 * the SDK uses for timeouts and user aborts: an abort before the responder settles
 * rejects with the signal's reason (an `AbortError` DOMException by default), and an
 * abort while the body is being read errors the body stream.
 */
export function fakeFetch(responder: FakeFetchResponder): FakeFetch {
  const calls: FakeFetchCall[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const body = parseMaybeJson(init.body);
    calls.push({ at: performance.now(), url, init, body });

    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);

    const responded = Promise.resolve().then(() => responder({ url, init, body }));
    const response = signal ? await raceAbort(responded, signal) : await responded;
    if (!signal || response.body === null) return response;
    return new Response(abortableBody(response.body, signal), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  return Object.assign(fetchImpl, { calls });
}

function parseMaybeJson(body: RequestInit["body"]): unknown {
  if (typeof body !== "string") return body ?? undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function abortReason(signal: AbortSignal | null | undefined): unknown {
  return signal?.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** What undici surfaces when the peer closes mid-body; the SDK must treat it as a failure. */
function socketDropError(): TypeError {
  return new TypeError("terminated", { cause: new Error("other side closed") });
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Re-exposes `source` one chunk per read, erroring it when `signal` aborts — the
 * behaviour of a real fetch body — whatever produced the original Response.
 */
function abortableBody(source: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let finished = false;
  let onAbort: (() => void) | undefined;
  const finish = (): void => {
    finished = true;
    if (onAbort) signal.removeEventListener("abort", onAbort);
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        onAbort = () => {
          if (finished) return;
          finish();
          const reason = abortReason(signal);
          controller.error(reason);
          reader.cancel(reason).catch(() => undefined);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (finished) return;
          if (done) {
            finish();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          if (finished) return;
          finish();
          controller.error(error);
        }
      },
      async cancel(reason) {
        finish();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
