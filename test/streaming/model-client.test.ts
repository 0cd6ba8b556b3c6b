import { describe, expect, it, vi } from "vitest";
import { OpenAIModelClient, type ModelClientOptions } from "../../src/streaming/model-client.js";
import type { ChatMessage } from "../../src/streaming/stream-parts.js";
import {
  chatChunk,
  encodeSse,
  fakeFetch,
  jsonResponse,
  openAIErrorBody,
  splitBytes,
  sseResponse,
  textStreamEvents,
  type FakeFetchResponder,
} from "../fakes/sse.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { consumeStream } from "../helpers/consume-stream.js";
import { recordingLogger } from "../helpers/recording-logger.js";

const MESSAGES: ChatMessage[] = [
  { role: "system", content: "You plan." },
  { role: "user", content: "Issue #1 by alice:\n\nEnable streaming" },
];

function client(responder: FakeFetchResponder, overrides: Partial<ModelClientOptions> = {}) {
  const clock = new ManualClock();
  const fetch = fakeFetch(responder);
  const log = recordingLogger();
  const model = new OpenAIModelClient({
    apiKey: "sk-test-secret-key",
    baseURL: "http://127.0.0.1:9/v1",
    model: "gpt-test",
    timeouts: { firstTokenMs: 10_000, idleMs: 5_000, totalMs: 60_000 },
    retries: 2,
    retryBaseMs: 500,
    clock,
    log,
    fetch,
    ...overrides,
  });
  return { model, clock, fetch, log };
}


/** Byte offset just after the SSE event that carries `text` (ASCII wires only). */
function through(pieces: string[], text: string): number {
  const wire = encodeSse(textStreamEvents(pieces));
  return wire.indexOf("\n\n", wire.indexOf(`"content":"${text}"`)) + 2;
}

const stream = (pieces: string[], opts: Parameters<typeof textStreamEvents>[1] = {}, cuts: "every-byte" | number = 64) =>
  splitBytes(encodeSse(textStreamEvents(pieces, opts)), cuts);

describe("OpenAIModelClient", () => {
  it("yields text exactly as sent, even split at every byte, then the finish reason and usage", async () => {
    const pieces = ["Plan: ", "héllo ", "日本 ", "🚀", "\n\n1. Do it."];
    const { model, fetch } = client(({ init }) =>
      sseResponse(stream(pieces, { usage: { prompt_tokens: 12, completion_tokens: 7 } }, "every-byte"), { signal: init.signal ?? null }),
    );
    const { outcome } = consumeStream(model.stream(MESSAGES));
    const result = await outcome;
    expect(result.error).toBeUndefined();
    expect(result.text).toBe(pieces.join(""));
    expect(result.parts.at(-1)).toEqual({ type: "finish", reason: "stop", usage: { promptTokens: 12, completionTokens: 7 } });
    expect(fetch.calls).toHaveLength(1);
    expect(fetch.calls[0]?.body).toMatchObject({
      model: "gpt-test",
      stream: true,
      stream_options: { include_usage: true },
      messages: MESSAGES,
    });
  });

  it("skips chunks without choices (Azure's first chunk, the usage chunk)", async () => {
    const wire = encodeSse([{ ...chatChunk({}), choices: [] }, chatChunk({ content: "ok" }), chatChunk({}, { finishReason: "stop" }), "[DONE]"]);
    const { model } = client(() => sseResponse(splitBytes(wire, 7)));
    const result = await consumeStream(model.stream(MESSAGES)).outcome;
    expect(result.text).toBe("ok");
    expect(result.parts.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  it("treats a stream that ends without a finish reason as cut, and does not retry once text was shown", async () => {
    const { model, fetch } = client(() => sseResponse(stream(["Half an ans"], { finishReason: null, done: true })));
    const result = await consumeStream(model.stream(MESSAGES)).outcome;
    expect(result.text).toBe("Half an ans");
    expect(result.error).toMatchObject({ kind: "cut" });
    expect(result.parts.some((p) => p.type === "finish")).toBe(false);
    expect(fetch.calls).toHaveLength(1);
  });

  it("reports a dropped connection mid-answer as cut", async () => {
    const pieces = ["one ", "two ", "three"];
    const { model, fetch } = client(() => sseResponse(stream(pieces, {}, "every-byte"), { cutAfter: through(pieces, "two ") + 10 }));
    const result = await consumeStream(model.stream(MESSAGES)).outcome;
    expect(result.error).toMatchObject({ kind: "cut" });
    expect(result.text).toBe("one two ");
    expect(fetch.calls).toHaveLength(1);
  });

  it("retries a server error before the first token, after a backoff, and shows the text once", async () => {
    let call = 0;
    const { model, fetch, clock } = client(() =>
      ++call === 1 ? jsonResponse(openAIErrorBody(503), 503) : sseResponse(stream(["fine"])),
    );
    const { outcome, seen } = consumeStream(model.stream(MESSAGES));
    await settle();
    expect(fetch.calls).toHaveLength(1);
    await clock.advance(499);
    expect(fetch.calls).toHaveLength(1);
    await clock.advance(1);
    const result = await outcome;
    expect(fetch.calls).toHaveLength(2);
    expect(result.text).toBe("fine");
    expect(seen.error).toBeUndefined();
  });

  it("waits at least the service's retry-after on 429", async () => {
    let call = 0;
    const { model, fetch, clock } = client(() =>
      ++call === 1 ? jsonResponse(openAIErrorBody(429), 429, { "retry-after": "3" }) : sseResponse(stream(["ok"])),
    );
    const { outcome } = consumeStream(model.stream(MESSAGES));
    await clock.advance(2999);
    expect(fetch.calls).toHaveLength(1);
    await clock.advance(1);
    expect((await outcome).text).toBe("ok");
  });

  it("does not retry rejected credentials, and says so without echoing the service's message", async () => {
    const { model, fetch } = client(() =>
      jsonResponse({ error: { message: "Incorrect API key provided: sk-test-secret-key", type: "invalid_request_error", code: "invalid_api_key" } }, 401),
    );
    const result = await consumeStream(model.stream(MESSAGES)).outcome;
    expect(fetch.calls).toHaveLength(1);
    expect(result.error).toMatchObject({ kind: "auth", status: 401, retryable: false });
    expect(result.error?.message).toBe("The model service rejected devbuddy's credentials (HTTP 401 (invalid_api_key)).");
    expect(result.error?.message).not.toContain("sk-");
  });

  it("gives up with first-token-timeout when no text arrives in time, retrying first", async () => {
    const { model, fetch, clock } = client(({ init }) => sseResponse(stream(["late"]), { stallAfter: 0, signal: init.signal ?? null }), {
      retries: 1,
    });
    const { outcome } = consumeStream(model.stream(MESSAGES));
    await clock.advance(10_000);
    await clock.advance(500);
    expect(fetch.calls).toHaveLength(2);
    await clock.advance(10_000);
    const result = await outcome;
    expect(result.error).toMatchObject({ kind: "first-token-timeout" });
    expect(result.error?.message).toBe("The model sent no text within 10 s.");
    // Both connections were closed, not left hanging.
    expect(fetch.calls.every((c) => c.init.signal?.aborted)).toBe(true);
  });

  it("stops a stream that stalls mid-answer after the idle timeout, keeping the text that came", async () => {
    const pieces = ["Step one. ", "Step two. "];
    const { model, fetch, clock } = client(({ init }) =>
      sseResponse(stream(pieces, {}, "every-byte"), { stallAfter: through(pieces, "Step one. "), signal: init.signal ?? null }),
    );
    const { outcome, seen } = consumeStream(model.stream(MESSAGES));
    await vi.waitFor(() => expect(seen.text).toBe("Step one. "));
    await clock.advance(4_999);
    expect(seen.error).toBeUndefined();
    await clock.advance(1);
    const result = await outcome;
    expect(result.error).toMatchObject({ kind: "stall" });
    expect(result.text).toBe("Step one. ");
    expect(fetch.calls).toHaveLength(1);
    expect(fetch.calls[0]?.init.signal?.aborted).toBe(true);
  });

  it("enforces the total timeout even while chunks keep the idle watchdog happy", async () => {
    const { model, clock } = client(
      ({ init }) => sseResponse(stream(["a", "b", "c"], {}, "every-byte"), { stallAfter: through(["a", "b", "c"], "a"), signal: init.signal ?? null }),
      { timeouts: { firstTokenMs: 10_000, idleMs: 120_000, totalMs: 30_000 } },
    );
    const { outcome } = consumeStream(model.stream(MESSAGES));
    await clock.advance(30_000);
    const result = await outcome;
    expect(result.error).toMatchObject({ kind: "total-timeout" });
    expect(result.error?.message).toBe("The model did not finish its answer within 30 s.");
  });

  it("is cancelled by the caller's signal, closing the connection", async () => {
    const { model, fetch } = client(({ init }) =>
      sseResponse(stream(["x", "y"], {}, "every-byte"), { stallAfter: through(["x", "y"], "x"), signal: init.signal ?? null }),
    );
    const controller = new AbortController();
    const { outcome, seen } = consumeStream(model.stream(MESSAGES, controller.signal));
    await vi.waitFor(() => expect(seen.text).toBe("x"));
    controller.abort(new Error("stop requested"));
    const result = await outcome;
    expect(result.error).toMatchObject({ kind: "aborted" });
    expect(fetch.calls[0]?.init.signal?.aborted).toBe(true);
  });

  it("closes the connection when the consumer stops reading early", async () => {
    const { model, fetch } = client(({ init }) =>
      sseResponse(stream(["x", "y", "z"], {}, "every-byte"), { stallAfter: through(["x", "y", "z"], "x"), signal: init.signal ?? null }),
    );
    const result = await consumeStream(model.stream(MESSAGES), 1).outcome;
    expect(result.text).toBe("x");
    expect(fetch.calls[0]?.init.signal?.aborted).toBe(true);
  });

  it("rejects chunks that are not chat completion chunks", async () => {
    const wire = encodeSse([{ choices: "nope" }, "[DONE]"]);
    const { model } = client(() => sseResponse(splitBytes(wire, 1000)));
    const result = await consumeStream(model.stream(MESSAGES)).outcome;
    expect(result.error).toMatchObject({ kind: "protocol" });
  });

  it("reports the length finish reason so the run can say the answer was cut short", async () => {
    const { model } = client(() => sseResponse(stream(["long"], { finishReason: "length" })));
    const result = await consumeStream(model.stream(MESSAGES)).outcome;
    expect(result.parts.at(-1)).toMatchObject({ type: "finish", reason: "length" });
  });
});
