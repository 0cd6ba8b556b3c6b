import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { z } from "zod";
import { retryStream } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import { ModelError, type ChatMessage, type StreamPart, type TokenUsage, type ToolCall, type ToolSpec } from "./stream-parts.js";

/**
 * The streaming model client: Chat Completions with `stream: true`, as an
 * `AsyncIterable<StreamPart>` that owns its timeouts, retries and cancellation.
 *
 * The SDK's own `timeout` stops applying once response headers arrive, so a body that
 * stalls half-way would hang for ever; three watchdogs of our own cover that:
 * first token, idle gap between chunks, and the whole answer. A stream that ends without
 * a `finish_reason` (a proxy closing the connection cleanly) is an error, not success.
 * Failures are retried only while nothing has been yielded: once a reader has seen
 * text, starting over would show it twice.
 *
 * Tool calls (function calling) arrive as deltas spread over many chunks; they are
 * assembled here and yielded whole, in index order, just before the finish part, so a
 * consumer never sees half a call. Their deltas count as progress for the watchdogs.
 */

export interface ModelTimeouts {
  readonly firstTokenMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
}

export interface ModelClientOptions {
  readonly apiKey: string;
  readonly baseURL?: string;
  readonly model: string;
  readonly temperature?: number;
  readonly maxOutputTokens?: number;
  readonly timeouts: ModelTimeouts;
  /** Attempts after the first, made only before any text arrived. */
  readonly retries: number;
  /** First retry delay; doubles per retry. A `retry-after` from the service wins if longer. */
  readonly retryBaseMs: number;
  /** What one second of `retry-after` means on `clock` (1000 unless time is scaled). */
  readonly retryAfterBaseMs?: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** For tests: a fetch that serves canned responses. */
  readonly fetch?: typeof fetch;
}

export interface StreamOptions {
  readonly tools?: readonly ToolSpec[];
  /** "none" forbids tool calls for this request (tools are still described, so the history stays valid). */
  readonly toolChoice?: "auto" | "none";
  /** Per-request overrides (from the repository's config). */
  readonly model?: string;
  readonly temperature?: number;
}

export interface ModelClient {
  readonly model: string;
  stream(messages: readonly ChatMessage[], signal?: AbortSignal, options?: StreamOptions): AsyncIterable<StreamPart>;
}

// One piece of a tool call. Only `index` is always present: OpenAI sends id, type and
// name in the first delta of an index and the arguments in pieces after it.
const toolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

// Untrusted input: a compatible server may send anything. Azure's first chunk has
// `choices: []`, and a usage chunk comes last with `choices: []` too.
const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({ content: z.string().nullish(), tool_calls: z.array(toolCallDeltaSchema).nullish() })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

/** Assembles tool calls from their deltas, keyed by `index` (parallel calls may interleave). */
class ToolCallAssembler {
  readonly #byIndex = new Map<number, { id: string; name: string; arguments: string }>();

  add(delta: z.infer<typeof toolCallDeltaSchema>): void {
    let call = this.#byIndex.get(delta.index);
    if (!call) {
      call = { id: "", name: "", arguments: "" };
      this.#byIndex.set(delta.index, call);
    }
    // An id may come again on later deltas, or empty at first: the first non-empty one names the call.
    if (!call.id && delta.id) call.id = delta.id;
    call.name += delta.function?.name ?? "";
    call.arguments += delta.function?.arguments ?? "";
  }

  /** The complete calls in index order. */
  calls(): ToolCall[] {
    return [...this.#byIndex.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => {
        if (!call.name) {
          throw new ModelError("protocol", `The model sent a tool call (#${index}) without naming the tool.`);
        }
        // A `tool` message must answer the call by id, so a server that sends none still needs one.
        return { id: call.id || `call_${index}`, name: call.name, arguments: call.arguments };
      });
  }
}

function toWireMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
    case "assistant":
      if (message.toolCalls && message.toolCalls.length > 0) {
        return {
          role: "assistant",
          // OpenAI's own assistant messages carry `content: null` when they only call tools.
          content: message.content || null,
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: call.arguments },
          })),
        };
      }
      return { role: "assistant", content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

function toWireTool(tool: ToolSpec): ChatCompletionFunctionTool {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms)} ms`;
}

function retryAfterOf(error: APIError): number | undefined {
  const raw = error.headers?.get("retry-after");
  const value = raw === null || raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Converts whatever the SDK threw into a `ModelError` with a message fit for a comment. */
export function toModelError(error: unknown): ModelError {
  if (error instanceof ModelError) return error;
  if (error instanceof APIUserAbortError) {
    return new ModelError("aborted", "The request to the model was cancelled.", { cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new ModelError("connection", "devbuddy could not reach the model service.", { retryable: true, cause: error });
  }
  if (error instanceof APIError) {
    const status = error.status;
    const retryAfterSeconds = retryAfterOf(error);
    const extra = { cause: error, ...(status === undefined ? {} : { status }), ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
    // `code` is an identifier such as "context_length_exceeded", useful and safe to show.
    const code = typeof error.code === "string" && /^[a-z0-9_.-]{1,64}$/i.test(error.code) ? ` (${error.code})` : "";
    if (status === 401 || status === 403) {
      return new ModelError("auth", `The model service rejected devbuddy's credentials (HTTP ${status}${code}).`, extra);
    }
    if (status === 429) {
      const quota = error.code === "insufficient_quota";
      return new ModelError("rate-limit", `The model service is limiting devbuddy's requests (HTTP 429${code}).`, {
        ...extra,
        retryable: !quota,
      });
    }
    if (status === 400 || status === 404 || status === 422) {
      return new ModelError("bad-request", `The model service refused the request (HTTP ${status}${code}).`, extra);
    }
    if (status === undefined) {
      return new ModelError("server", `The model service reported an error in the middle of its answer${code}.`, extra);
    }
    return new ModelError("server", `The model service failed (HTTP ${status}${code}).`, { ...extra, retryable: true });
  }
  if (error instanceof SyntaxError) {
    return new ModelError("protocol", "The model service sent a malformed stream.", { cause: error });
  }
  // undici reports a socket dropped mid-body as `TypeError: terminated`.
  if (error instanceof TypeError) {
    return new ModelError("cut", "The connection to the model service dropped in the middle of the answer.", {
      retryable: true,
      cause: error,
    });
  }
  return new ModelError("server", "The model request failed unexpectedly.", { cause: error });
}

export class OpenAIModelClient implements ModelClient {
  readonly model: string;
  readonly #opts: ModelClientOptions;
  readonly #client: OpenAI;

  constructor(opts: ModelClientOptions) {
    this.#opts = opts;
    this.model = opts.model;
    this.#client = new OpenAI({
      apiKey: opts.apiKey,
      ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      // Retries are ours (only before the first token); the SDK's would also retry
      // after text was shown.
      maxRetries: 0,
      timeout: opts.timeouts.totalMs,
    });
  }

  async *stream(messages: readonly ChatMessage[], signal?: AbortSignal, options: StreamOptions = {}): AsyncIterable<StreamPart> {
    const { clock, retries, retryBaseMs, retryAfterBaseMs = 1000, log } = this.#opts;
    const deadline = clock.now() + this.#opts.timeouts.totalMs;
    // Every failure of an attempt is a `ModelError` (`#attempt` converts what it catches).
    yield* retryStream(() => this.#attempt(messages, options, deadline, signal), {
      clock,
      attempts: retries + 1,
      backoff: { baseMs: retryBaseMs, secondMs: retryAfterBaseMs },
      retryable: (error) => toModelError(error).retryable,
      serverWait: (error) => toModelError(error),
      deadline,
      ...(signal ? { signal } : {}),
      cancelled: () => new ModelError("aborted", "The request to the model was cancelled."),
      onFailure: (caught, { attempt, delayMs }) => {
        if (delayMs === undefined) return;
        const error = toModelError(caught);
        log.warn({ kind: error.kind, status: error.status, attempt: attempt + 1, delayMs }, "model request failed before anything was yielded; retrying");
      },
    });
  }

  async *#attempt(
    messages: readonly ChatMessage[],
    options: StreamOptions,
    deadline: number,
    outer: AbortSignal | undefined,
  ): AsyncGenerator<StreamPart> {
    const { clock, timeouts } = this.#opts;
    const controller = new AbortController();
    let cause: ModelError | undefined;
    const stop = (error: ModelError): void => {
      if (cause) return;
      cause = error;
      controller.abort(error);
    };
    const onOuterAbort = (): void => stop(new ModelError("aborted", "The request to the model was cancelled.", { cause: outer?.reason }));
    if (outer?.aborted) onOuterAbort();
    outer?.addEventListener("abort", onOuterAbort, { once: true });

    // One watchdog at a time: first token, then idle between chunks. The total deadline runs alongside.
    let watchdog = new AbortController();
    const arm = (ms: number, error: () => ModelError): void => {
      watchdog.abort();
      watchdog = new AbortController();
      clock.sleep(ms, watchdog.signal).then(() => stop(error()), () => undefined);
    };
    const totalTimer = new AbortController();
    clock.sleep(deadline - clock.now(), totalTimer.signal).then(
      () => stop(new ModelError("total-timeout", `The model did not finish its answer within ${seconds(timeouts.totalMs)}.`)),
      () => undefined,
    );
    arm(timeouts.firstTokenMs, () =>
      new ModelError("first-token-timeout", `The model sent no text within ${seconds(timeouts.firstTokenMs)}.`, { retryable: true }),
    );
    const stall = (): ModelError =>
      new ModelError("stall", `The model stopped sending text for ${seconds(timeouts.idleMs)}.`, { retryable: true });

    const tools = options.tools ?? [];
    const temperature = options.temperature ?? this.#opts.temperature;
    try {
      const stream = await this.#client.chat.completions.create(
        {
          model: options.model ?? this.model,
          messages: messages.map(toWireMessage),
          stream: true,
          stream_options: { include_usage: true },
          // OpenAI rejects `tool_choice` without `tools`, so both go together or not at all.
          ...(tools.length > 0 ? { tools: tools.map(toWireTool), tool_choice: options.toolChoice ?? "auto" } : {}),
          ...(temperature === undefined ? {} : { temperature }),
          ...(this.#opts.maxOutputTokens === undefined ? {} : { max_completion_tokens: this.#opts.maxOutputTokens }),
        },
        { signal: controller.signal },
      );
      let started = false;
      let finish: string | undefined;
      let usage: TokenUsage | undefined;
      const toolCalls = new ToolCallAssembler();
      for await (const raw of stream) {
        const chunk = chunkSchema.safeParse(raw);
        if (!chunk.success) throw new ModelError("protocol", "The model service sent a chunk devbuddy could not read.");
        if (started) arm(timeouts.idleMs, stall);
        if (chunk.data.usage) {
          usage = { promptTokens: chunk.data.usage.prompt_tokens, completionTokens: chunk.data.usage.completion_tokens };
        }
        const choice = chunk.data.choices?.[0];
        if (!choice) continue;
        if (choice.finish_reason) finish = choice.finish_reason;
        const text = choice.delta?.content;
        const calls = choice.delta?.tool_calls ?? [];
        // A tool call being written is the model at work, even though nothing is shown yet.
        if (!started && (text || calls.length > 0)) {
          started = true;
          arm(timeouts.idleMs, stall);
        }
        for (const delta of calls) toolCalls.add(delta);
        if (text) yield { type: "text-delta", text };
      }
      // An abort ends the SDK's iteration quietly; the watchdog or caller that aborted says why.
      if (cause) throw cause;
      if (finish === undefined) {
        throw new ModelError("cut", "The model's stream ended before the answer was complete.", { retryable: true });
      }
      for (const call of toolCalls.calls()) yield { type: "tool-call", call };
      yield usage ? { type: "finish", reason: finish, usage } : { type: "finish", reason: finish };
    } catch (error) {
      throw cause ?? toModelError(error);
    } finally {
      watchdog.abort();
      totalTimer.abort();
      outer?.removeEventListener("abort", onOuterAbort);
      // Closes the connection when the consumer stopped early.
      controller.abort();
    }
  }
}
