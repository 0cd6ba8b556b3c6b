import type { ModelClient, StreamOptions } from "../../src/streaming/model-client.js";
import { ModelError, type ChatMessage, type StreamPart, type TokenUsage, type ToolCall } from "../../src/streaming/stream-parts.js";

/**
 * A model client the test drives by hand: each `stream()` call becomes a `ScriptedCall`
 * whose parts the test pushes, then ends or fails. Honours the abort signal like the
 * real client (a `ModelError` of kind "aborted").
 */
export class ScriptedCall {
  readonly messages: readonly ChatMessage[];
  /** What the caller passed to `stream()`: tools, tool choice, model and temperature overrides. */
  readonly options: StreamOptions | undefined;
  readonly #queue: Array<StreamPart | { error: ModelError } | "end"> = [];
  #wake: (() => void) | undefined;
  aborted = false;

  constructor(messages: readonly ChatMessage[], options?: StreamOptions) {
    this.messages = messages;
    this.options = options;
  }

  text(...pieces: string[]): this {
    for (const text of pieces) this.#push({ type: "text-delta", text });
    return this;
  }

  /** A complete tool call, as the real client yields it once the stream has ended (follow with `finish("tool_calls")`). */
  toolCall(call: ToolCall): this {
    this.#push({ type: "tool-call", call });
    return this;
  }

  finish(reason = "stop", usage?: TokenUsage): this {
    this.#push(usage ? { type: "finish", reason, usage } : { type: "finish", reason });
    this.#push("end");
    return this;
  }

  fail(error: ModelError): this {
    this.#push({ error });
    return this;
  }

  #push(item: StreamPart | { error: ModelError } | "end"): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  async *iterate(signal?: AbortSignal): AsyncGenerator<StreamPart> {
    const onAbort = (): void => {
      this.aborted = true;
      this.#wake?.();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (signal?.aborted) throw new ModelError("aborted", "The request to the model was cancelled.");
        const item = this.#queue.shift();
        if (item === undefined) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          continue;
        }
        if (item === "end") return;
        if ("error" in item) throw item.error;
        yield item;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

export class ScriptedModel implements ModelClient {
  readonly model = "gpt-test";
  readonly calls: ScriptedCall[] = [];
  #waiters: Array<(call: ScriptedCall) => void> = [];

  stream(messages: readonly ChatMessage[], signal?: AbortSignal, options?: StreamOptions): AsyncIterable<StreamPart> {
    const call = new ScriptedCall(messages, options);
    this.calls.push(call);
    for (const waiter of this.#waiters.splice(0)) waiter(call);
    return call.iterate(signal);
  }

  /** Resolves with the n-th call (0-based) once it was made. */
  async call(n: number): Promise<ScriptedCall> {
    for (;;) {
      const existing = this.calls[n];
      if (existing) return existing;
      await new Promise<ScriptedCall>((resolve) => this.#waiters.push(resolve));
    }
  }
}
