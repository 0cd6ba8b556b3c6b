/**
 * Proves the fakes are faithful enough to drive the real `openai` SDK: every scripted
 * behaviour is observed through `client.chat.completions.create({ stream: true })`,
 * exactly as production code will see it.
 */
import OpenAI, { APIError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../helpers/manual-clock.js";
import { startFakeOpenAI, type FakeOpenAI } from "./fake-openai.js";
import {
  chatChunk,
  encodeSse,
  fakeFetch,
  jsonResponse,
  openAIErrorBody,
  splitBytes,
  sseResponse,
  textStreamEvents,
  toolCallDeltas,
  usageChunk,
} from "./sse.js";

const MODEL = "gpt-test";
const MESSAGES = [{ role: "user" as const, content: "Plan the fix, please." }];

interface Collected {
  text: string;
  deltas: string[];
  finishReasons: string[];
  usage: ChatCompletionChunk["usage"] | undefined;
  chunks: ChatCompletionChunk[];
  /** What iteration threw, if it threw. */
  error: unknown;
}

interface AssembledCall {
  id: string;
  type: string;
  name: string;
  arguments: string;
}

/** Reassembles tool calls by `index`, the way OpenAI documents it. */
function assembleToolCalls(chunks: readonly ChatCompletionChunk[]): AssembledCall[] {
  const calls: AssembledCall[] = [];
  for (const chunk of chunks) {
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[delta.index] ??= { id: "", type: "", name: "", arguments: "" });
      call.id ||= delta.id ?? "";
      call.type ||= delta.type ?? "";
      call.name += delta.function?.name ?? "";
      call.arguments += delta.function?.arguments ?? "";
    }
  }
  return calls;
}

/** Drains a stream the way a comment writer would, keeping everything observable. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<Collected> {
  const out: Collected = { text: "", deltas: [], finishReasons: [], usage: undefined, chunks: [], error: undefined };
  try {
    for await (const chunk of stream) {
      out.chunks.push(chunk);
      const choice = chunk.choices[0];
      const content = choice?.delta.content;
      if (content) {
        out.deltas.push(content);
        out.text += content;
      }
      if (choice?.finish_reason) out.finishReasons.push(choice.finish_reason);
      if (chunk.usage) out.usage = chunk.usage;
    }
  } catch (error) {
    out.error = error;
  }
  return out;
}

describe("fake OpenAI server with the real SDK", () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeEach(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ apiKey: "test-key", baseURL: fake.baseURL, maxRetries: 0 });
  });
  afterEach(async () => {
    await fake.close();
  });

  const streamCompletion = (options: { signal?: AbortSignal } = {}) =>
    client.chat.completions.create(
      { model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
      options,
    );

  it("streams text in order, then finish_reason and the usage chunk, and records the request", async () => {
    fake.enqueue({
      kind: "stream",
      text: ["Step 1", ": read", " the", " issue."],
      delayMs: 5,
      usage: { prompt_tokens: 12, completion_tokens: 4 },
    });

    const got = await collect(await streamCompletion());

    expect(got.error).toBeUndefined();
    expect(got.deltas).toEqual(["Step 1", ": read", " the", " issue."]);
    expect(got.text).toBe("Step 1: read the issue.");
    expect(got.finishReasons).toEqual(["stop"]);
    expect(got.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });
    // Wire fidelity: role chunk first, usage chunk last with no choices, one id and the requested model.
    expect(got.chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    expect(got.chunks.at(-1)?.choices).toEqual([]);
    expect(new Set(got.chunks.map((c) => c.id)).size).toBe(1);
    expect(got.chunks.every((c) => c.model === MODEL && c.object === "chat.completion.chunk")).toBe(true);

    const [req] = await fake.waitForRequests(1);
    expect(req?.headers["authorization"]).toBe("Bearer test-key");
    expect(req?.body).toMatchObject({
      model: MODEL,
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(req?.aborted).toBe(false);
    expect(fake.queued).toBe(0);
  });

  it("omits the usage chunk unless the request asked for it", async () => {
    fake.enqueue({ kind: "stream", text: ["a", "b"], usage: { prompt_tokens: 1, completion_tokens: 2 } });
    const stream = await client.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true });
    const got = await collect(stream);
    expect(got.text).toBe("ab");
    expect(got.usage).toBeUndefined();
    expect(got.chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it("reassembles multi-byte characters split across 1-byte TCP writes", async () => {
    const text = ["Caf", "é ", "日本", "語 ", "🚀", " naïve ✓"];
    fake.enqueue({ kind: "stream", text, byteChunkSize: 1 });

    const got = await collect(await streamCompletion());

    expect(got.error).toBeUndefined();
    expect(got.deltas).toEqual(text);
    expect(got.text).toBe("Café 日本語 🚀 naïve ✓");
    expect(got.finishReasons).toEqual(["stop"]);
  });

  it("byteChunkSize really fragments the wire into separate reads", async () => {
    fake.enqueue({ kind: "stream", text: ["日本", "🚀"], byteChunkSize: 3 });
    const res = await fetch(`${fake.baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer test-key", "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: MESSAGES, stream: true }),
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reads: number[] = [];
    for await (const chunk of res.body!) reads.push(chunk.length);
    // Unfragmented, this body arrives in one read; with 3-byte writes it arrives in many
    // (loose bound: a busy machine may still coalesce some writes).
    expect(reads.length).toBeGreaterThan(10);
  });

  it("serves the FIFO queue first, then the default script", async () => {
    fake.enqueue({ kind: "stream", text: ["first"] }, { kind: "stream", text: ["second"] });
    const texts: string[] = [];
    for (let i = 0; i < 3; i += 1) texts.push((await collect(await streamCompletion())).text);
    expect(texts).toEqual(["first", "second", "Hello from the fake model."]);

    fake.defaultScript = { kind: "stream", text: ["new default"] };
    expect((await collect(await streamCompletion())).text).toBe("new default");
    expect(fake.requests).toHaveLength(4);
  });

  it("lets a route choose the script from the request before the queue, and falls through when it declines", async () => {
    fake.enqueue({ kind: "stream", text: ["queued"] });
    fake.route = (body) => (JSON.stringify(body.messages).includes("routed") ? { kind: "stream", text: ["by route"] } : undefined);
    const ask = async (content: string) =>
      collect(await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content }], stream: true }));
    expect((await ask("please, routed")).text).toBe("by route");
    expect(fake.queued).toBe(1);
    expect((await ask("plain")).text).toBe("queued");
    fake.reset();
    expect((await ask("routed again")).text).toBe("Hello from the fake model.");
  });

  it("sends headers before firstDelayMs, and paces chunks by delayMs", async () => {
    fake.enqueue({ kind: "stream", text: ["slow", " start"], firstDelayMs: 150, delayMs: 40 });
    const started = performance.now();
    const stream = await streamCompletion();
    const headersAt = performance.now() - started;

    const arrivals: number[] = [];
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) arrivals.push(performance.now() - started);
    }

    expect(headersAt).toBeLessThan(120);
    // Lower bounds only: the server cannot send earlier than scripted, however busy the machine.
    expect(arrivals[0]).toBeGreaterThanOrEqual(145);
    expect(arrivals[1]).toBeGreaterThanOrEqual(185);
  });

  it("delays the response itself with headersDelayMs", async () => {
    fake.enqueue({ kind: "stream", text: ["late"], headersDelayMs: 120 });
    const started = performance.now();
    const stream = await streamCompletion();
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect((await collect(stream)).text).toBe("late");
  });

  it("endAfter ends iteration cleanly with neither finish_reason nor [DONE]", async () => {
    fake.enqueue({ kind: "stream", text: ["one", " two", " three"], endAfter: 2 });

    const got = await collect(await streamCompletion());

    expect(got.error).toBeUndefined();
    expect(got.text).toBe("one two");
    expect(got.finishReasons).toEqual([]);
    expect(got.usage).toBeUndefined();
  });

  it("finishReason null and done false also end without a finish chunk", async () => {
    fake.enqueue({ kind: "stream", text: ["x"], finishReason: null, done: false });
    const got = await collect(await streamCompletion());
    expect(got.error).toBeUndefined();
    expect(got.text).toBe("x");
    expect(got.finishReasons).toEqual([]);
    // Usage still arrives: OpenAI sends it whenever include_usage was requested.
    expect(got.usage).toBeDefined();
  });

  it("cutAfter makes iteration throw after the chunks that made it through", async () => {
    fake.enqueue({ kind: "stream", text: ["kept", " kept", " lost"], cutAfter: 2 });

    const got = await collect(await streamCompletion());

    expect(got.error).toBeInstanceOf(Error);
    expect(got.text).toBe("kept kept");
    expect(got.finishReasons).toEqual([]);
    const req = await fake.waitForFinished(0);
    expect(req.aborted).toBe(false); // the server cut it, the client did not walk away
  });

  it("stallAfter hangs until the client aborts, and records the abort", async () => {
    fake.enqueue({ kind: "stream", text: ["before", " stall", " never"], stallAfter: 2 });
    const abort = new AbortController();
    const stream = await streamCompletion({ signal: abort.signal });

    const deltas: string[] = [];
    const iteration = (async () => {
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta.content;
        if (content) deltas.push(content);
        if (deltas.length === 2) setTimeout(() => abort.abort(), 50);
      }
    })();
    const outcome = await iteration.then(
      () => "ended",
      (error: unknown) => error,
    );

    expect(deltas).toEqual(["before", " stall"]);
    // openai 7.57 ends iteration *quietly* when the caller aborts mid-stream (no throw,
    // no finish_reason), so callers must check their own signal after the loop.
    expect(outcome).toBe("ended");
    const req = await fake.waitForFinished(0);
    expect(req.aborted).toBe(true);
  });

  it("surfaces a 429 with retry-after as the SDK's RateLimitError", async () => {
    fake.enqueue({ kind: "error", status: 429, headers: { "retry-after": "2" } });

    const error = await streamCompletion().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(APIError);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(429);
    expect(apiError.code).toBe("rate_limit_exceeded");
    expect(apiError.headers?.get("retry-after")).toBe("2");
  });

  it("surfaces 500 and 401 scripts with the right status and error classes", async () => {
    fake.enqueue(
      { kind: "error", status: 500 },
      { kind: "error", status: 401 },
      { kind: "error", status: 400, body: { error: { message: "custom", type: "x", param: null, code: "c" } } },
    );
    const statusOf = async () =>
      streamCompletion().then(
        () => undefined,
        (e: unknown) => e,
      );

    const e500 = await statusOf();
    const e401 = await statusOf();
    const e400 = await statusOf();
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect((e500 as APIError).status).toBe(500);
    expect(e401).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((e401 as APIError).code).toBe("invalid_api_key");
    expect(e400).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e400 as APIError).message).toContain("custom");
  });

  it("rejects requests without a bearer token with OpenAI's 401 shape, without consuming the queue", async () => {
    fake.enqueue({ kind: "stream", text: ["scripted"] });
    const res = await fetch(`${fake.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: MESSAGES }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" },
    });
    expect(fake.queued).toBe(1);
    expect((await collect(await streamCompletion())).text).toBe("scripted");
  });

  it("answers stream:false requests from a json script", async () => {
    fake.enqueue({ kind: "json", text: "A whole answer.", usage: { prompt_tokens: 3, completion_tokens: 4 } });
    const completion = await client.chat.completions.create({ model: MODEL, messages: MESSAGES });
    expect(completion.choices[0]?.message.content).toBe("A whole answer.");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.total_tokens).toBe(7);
    expect(completion.model).toBe(MODEL);
  });

  it("sends raw events verbatim, e.g. tool-call deltas", async () => {
    const id = "chatcmpl-tools";
    fake.enqueue({
      kind: "stream",
      events: [
        chatChunk({ role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "" } }] }, { id }),
        chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }, { id }),
        chatChunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }, { id }),
        chatChunk({}, { id, finishReason: "tool_calls" }),
      ],
      usage: { prompt_tokens: 5, completion_tokens: 3 },
    });

    const got = await collect(await streamCompletion());

    const args = got.chunks.map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "").join("");
    expect(args).toBe('{"q":"x"}');
    expect(got.finishReasons).toEqual(["tool_calls"]);
    expect(got.usage?.total_tokens).toBe(8);
  });

  it("streams scripted tool calls in OpenAI's wire format: after the text, name and arguments in pieces, parallel calls interleaved", async () => {
    fake.enqueue({
      kind: "stream",
      text: ["Reading ", "two files."],
      toolCalls: [
        { id: "call_a", name: ["read_", "file"], arguments: ['{"path":"docs/ré', 'sumé.md"', "}"] },
        { id: "call_b", name: "search_code", arguments: ['{"query":', '"日本"}'] },
      ],
      toolCallOrder: "interleaved",
      // Three-byte writes cut é and 日本 in half on the wire.
      byteChunkSize: 3,
      usage: { prompt_tokens: 20, completion_tokens: 11 },
    });

    const got = await collect(await streamCompletion());

    expect(got.error).toBeUndefined();
    expect(got.text).toBe("Reading two files.");
    expect(got.finishReasons).toEqual(["tool_calls"]);
    expect(got.usage?.total_tokens).toBe(31);
    expect(assembleToolCalls(got.chunks)).toEqual([
      { id: "call_a", type: "function", name: "read_file", arguments: '{"path":"docs/résumé.md"}' },
      { id: "call_b", type: "function", name: "search_code", arguments: '{"query":"日本"}' },
    ]);
    // Interleaved: the pieces of the two calls alternate, text strictly before them.
    const order = got.chunks.flatMap((c): Array<string | number> => {
      const delta = c.choices[0]?.delta;
      if (delta?.content) return ["text"];
      return (delta?.tool_calls ?? []).map((t) => t.index);
    });
    expect(order).toEqual(["text", "text", 0, 1, 0, 1, 0, 1, 0, 0]);
  });

  it("counts tool-call pieces as content chunks for the fault options", async () => {
    fake.enqueue({
      kind: "stream",
      text: ["Looking."],
      toolCalls: [{ id: "call_a", name: "read_file", arguments: ['{"path":', '"a.py"}'] }],
      // text, first tool-call chunk, first argument piece — then a clean end, no finish.
      endAfter: 3,
    });
    const got = await collect(await streamCompletion());
    expect(got.text).toBe("Looking.");
    expect(got.finishReasons).toEqual([]);
    expect(assembleToolCalls(got.chunks)).toEqual([{ id: "call_a", type: "function", name: "read_file", arguments: '{"path":' }]);
  });

  it("records what the model was given: tools, tool_choice, temperature and the tool history", async () => {
    const tools = [{ type: "function" as const, function: { name: "read_file", description: "Read a file.", parameters: { type: "object" } } }];
    const messages = [
      ...MESSAGES,
      { role: "assistant" as const, content: null, tool_calls: [{ id: "call_1", type: "function" as const, function: { name: "read_file", arguments: "{}" } }] },
      { role: "tool" as const, tool_call_id: "call_1", content: "file text" },
    ];
    await collect(await client.chat.completions.create({ model: MODEL, messages, tools, tool_choice: "none", temperature: 0.2, stream: true }));
    const [req] = await fake.waitForRequests(1);
    expect(req?.body).toEqual({ model: MODEL, messages, tools, tool_choice: "none", temperature: 0.2, stream: true });
  });

  it("rejects the tool histories OpenAI rejects, with OpenAI's messages, before consuming a script", async () => {
    fake.enqueue({ kind: "stream", text: ["scripted"] });
    const call = (id: string) => ({ id, type: "function" as const, function: { name: "read_file", arguments: "{}" } });
    const tools = [{ type: "function" as const, function: { name: "read_file", parameters: { type: "object" } } }];
    const refusal = (request: Omit<OpenAI.ChatCompletionCreateParamsStreaming, "model" | "stream">) =>
      client.chat.completions.create({ model: MODEL, stream: true, ...request }).then(
        () => undefined,
        (e: unknown) => e as APIError,
      );

    const orphan = await refusal({ messages: [...MESSAGES, { role: "tool", tool_call_id: "call_1", content: "x" }], tools });
    expect(orphan?.status).toBe(400);
    expect(orphan?.message).toContain("messages with role 'tool' must be a response to a preceeding message with 'tool_calls'");
    expect(orphan?.param).toBe("messages.[1].role");

    const unanswered = await refusal({
      messages: [
        ...MESSAGES,
        { role: "assistant", content: null, tool_calls: [call("call_1"), call("call_2")] },
        { role: "tool", tool_call_id: "call_1", content: "x" },
        { role: "user", content: "and?" },
      ],
      tools,
    });
    expect(unanswered?.status).toBe(400);
    expect(unanswered?.message).toContain("The following tool_call_ids did not have response messages: call_2");
    expect(unanswered?.param).toBe("messages.[1].role");

    const choiceWithoutTools = await refusal({ messages: MESSAGES, tool_choice: "auto" });
    expect(choiceWithoutTools?.status).toBe(400);
    expect(choiceWithoutTools?.param).toBe("tool_choice");

    expect(fake.queued).toBe(1);
    const valid = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      tools,
      messages: [
        ...MESSAGES,
        { role: "assistant", content: null, tool_calls: [call("call_1"), call("call_2")] },
        { role: "tool", tool_call_id: "call_2", content: "y" },
        { role: "tool", tool_call_id: "call_1", content: "x" },
      ],
    });
    expect((await collect(valid)).text).toBe("scripted");
  });

  it("an in-band error event makes the SDK throw an APIError mid-stream", async () => {
    fake.enqueue({
      kind: "stream",
      events: [chatChunk({ content: "partial" }), { error: { message: "overloaded", type: "server_error", param: null, code: null } }],
    });
    const got = await collect(await streamCompletion());
    expect(got.text).toBe("partial");
    expect(got.error).toBeInstanceOf(APIError);
    expect((got.error as APIError).message).toContain("overloaded");
  });

  it("close() frees a stream that is still stalled", async () => {
    fake.enqueue({ kind: "stream", text: ["stuck"], stallAfter: 1 });
    const stream = await streamCompletion();
    const done = collect(stream);
    await new Promise((r) => setTimeout(r, 30));
    await fake.close();
    const got = await done;
    expect(got.text).toBe("stuck");
    expect(got.error).toBeInstanceOf(Error);
  });

  it("waitForRequests times out with a helpful message", async () => {
    await expect(fake.waitForRequests(1, 30)).rejects.toThrow(/1 request\(s\); received 0/);
  });
});

describe("sse helpers", () => {
  it("textStreamEvents mirrors OpenAI's chunk sequence", () => {
    const events = textStreamEvents(["Hi"], { usage: { prompt_tokens: 2, completion_tokens: 1 }, id: "chatcmpl-x", model: "m" });
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({
      id: "chatcmpl-x",
      object: "chat.completion.chunk",
      model: "m",
      usage: null,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    });
    expect(events[1]).toMatchObject({ choices: [{ delta: { content: "Hi" }, finish_reason: null }] });
    expect(events[2]).toMatchObject({ choices: [{ delta: {}, finish_reason: "stop" }] });
    expect(events[3]).toMatchObject({ choices: [], usage: { total_tokens: 3 } });
    expect(events[4]).toBe("[DONE]");

    const bare = textStreamEvents(["a"], { finishReason: null, done: false, role: false });
    expect(bare).toHaveLength(1);
    expect(bare[0]).not.toHaveProperty("usage");
  });

  it("toolCallDeltas follows OpenAI's shape: id, type and name first, then pieces carrying only the index", () => {
    expect(toolCallDeltas([{ id: "call_x", name: ["read", "_file"], arguments: ['{"a"', ":1}"] }])).toEqual([
      { tool_calls: [{ index: 0, id: "call_x", type: "function", function: { name: "read", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { name: "_file" } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] },
    ]);
    const twoCalls = [
      { id: null, name: "a", arguments: ["1", "2"] },
      { name: "b", arguments: "3" },
    ];
    const indexes = (deltas: object[]) => deltas.map((d) => (d as { tool_calls: Array<{ index: number }> }).tool_calls[0]?.index);
    expect(indexes(toolCallDeltas(twoCalls))).toEqual([0, 0, 0, 1, 1]);
    const interleaved = toolCallDeltas(twoCalls, "interleaved");
    expect(indexes(interleaved)).toEqual([0, 1, 0, 1, 0]);
    expect(interleaved[0]).toEqual({ tool_calls: [{ index: 0, type: "function", function: { name: "a", arguments: "" } }] });
    expect(interleaved[1]).toMatchObject({ tool_calls: [{ index: 1, id: expect.stringMatching(/^call_fake\d+$/) }] });
  });

  it("textStreamEvents with tool calls opens with content null and finishes with tool_calls", () => {
    const events = textStreamEvents([], { toolCalls: [{ id: "c", name: "f", arguments: "{}" }] });
    expect(events[0]).toMatchObject({ choices: [{ delta: { role: "assistant", content: null } }] });
    expect(events.at(-2)).toMatchObject({ choices: [{ delta: {}, finish_reason: "tool_calls" }] });
    expect(events).toHaveLength(5);
  });

  it("encodeSse frames each event as a data line plus a blank line", () => {
    expect(encodeSse([{ a: 1 }, "[DONE]"])).toBe('data: {"a":1}\n\ndata: [DONE]\n\n');
  });

  it("splitBytes cuts at byte offsets, including inside a multi-byte character", () => {
    const bytes = (parts: Uint8Array[]) => parts.map((p) => [...p]);
    expect(bytes(splitBytes("aé", [2]))).toEqual([[0x61, 0xc3], [0xa9]]);
    expect(bytes(splitBytes("abc", "every-byte"))).toEqual([[0x61], [0x62], [0x63]]);
    expect(bytes(splitBytes("abcde", 2))).toEqual([[0x61, 0x62], [0x63, 0x64], [0x65]]);
    expect(bytes(splitBytes("abc", [0, 2, 2, 9]))).toEqual([[0x61, 0x62], [0x63]]);
    const rejoined = Buffer.concat(splitBytes("🚀x", "every-byte")).toString("utf8");
    expect(rejoined).toBe("🚀x");
  });
});

describe("sseResponse + fakeFetch with the real SDK", () => {
  const clientWith = (fetch: ReturnType<typeof fakeFetch>) =>
    new OpenAI({ apiKey: "test-key", baseURL: "http://fake.invalid/v1", maxRetries: 0, fetch });
  const request = (client: OpenAI, signal?: AbortSignal) =>
    client.chat.completions.create(
      { model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
      signal ? { signal } : {},
    );

  it("decodes a stream split at every byte and records the call", async () => {
    const text = ["Ünïcödé", " 日本", " 🚀🚀", " done"];
    const wire = encodeSse(textStreamEvents(text, { usage: { prompt_tokens: 9, completion_tokens: 4 } }));
    const fetch = fakeFetch(() => sseResponse(splitBytes(wire, "every-byte")));

    const got = await collect(await request(clientWith(fetch)));

    expect(got.error).toBeUndefined();
    expect(got.deltas).toEqual(text);
    expect(got.finishReasons).toEqual(["stop"]);
    expect(got.usage?.total_tokens).toBe(13);
    expect(fetch.calls).toHaveLength(1);
    expect(fetch.calls[0]?.url).toBe("http://fake.invalid/v1/chat/completions");
    expect(fetch.calls[0]?.body).toMatchObject({ model: MODEL, stream: true, stream_options: { include_usage: true } });
  });

  it("handles arbitrary cut points and per-part delays", async () => {
    const wire = encodeSse(textStreamEvents(["ab", "é", "cd"]));
    const parts = splitBytes(wire, [3, 7, 50, 51, 120, 121, 122]);
    const fetch = fakeFetch(() => sseResponse(parts, { delaysMs: [0, 5, 5] }));
    const got = await collect(await request(clientWith(fetch)));
    expect(got.text).toBe("abécd");
  });

  it("cutAfter errors the body like a dropped socket", async () => {
    const wire = encodeSse([chatChunk({ content: "half" }), chatChunk({ content: " more" }), "[DONE]"]);
    const parts = splitBytes(wire, [wire.indexOf("data:", 5)]);
    const fetch = fakeFetch(() => sseResponse(parts, { cutAfter: 1 }));
    const got = await collect(await request(clientWith(fetch)));
    expect(got.text).toBe("half");
    expect(got.error).toBeInstanceOf(TypeError);
  });

  it("stallAfter hangs until the caller aborts", async () => {
    const wire = encodeSse([chatChunk({ content: "waiting" }), usageChunk({ prompt_tokens: 1, completion_tokens: 1 }), "[DONE]"]);
    const parts = splitBytes(wire, [wire.indexOf("data:", 5)]);
    // No signal handed to sseResponse: fakeFetch itself must make the body abortable.
    const fetch = fakeFetch(() => sseResponse(parts, { stallAfter: 1 }));
    const abort = new AbortController();
    const stream = await request(clientWith(fetch), abort.signal);
    setTimeout(() => abort.abort(), 50);
    const got = await collect(stream);
    expect(got.text).toBe("waiting");
    expect(got.error).toBeUndefined(); // the SDK ends quietly on a caller abort
    expect(got.finishReasons).toEqual([]);
  });

  it("sseResponse's own signal option errors a stalled body with the abort reason", async () => {
    const abort = new AbortController();
    const res = sseResponse(splitBytes("data: {}\n\n", 4), { stallAfter: 1, signal: abort.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    expect((await reader.read()).value).toHaveLength(4);
    const pending = reader.read();
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("sseResponse paces delaysMs with an injected sleep, e.g. a manual clock", async () => {
    const clock = new ManualClock();
    const res = sseResponse([new Uint8Array([1]), new Uint8Array([2])], { delaysMs: [0, 1_000], sleep: (ms, signal) => clock.sleep(ms, signal) });
    const reader = res.body!.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1]));
    let second: Uint8Array | undefined;
    const pending = reader.read().then((r) => (second = r.value));
    await clock.advance(999);
    expect(second).toBeUndefined();
    await clock.advance(1);
    await pending;
    expect(second).toEqual(new Uint8Array([2]));
    await reader.cancel();
    expect(clock.sleepers).toBe(0);
  });

  it("rejects with an abort if the caller aborts before the responder answers", async () => {
    const fetch = fakeFetch(
      () => new Promise<Response>((resolve) => setTimeout(() => resolve(sseResponse([])), 5_000).unref()),
    );
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    const error = await request(clientWith(fetch), abort.signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it("error responses surface as APIError", async () => {
    const fetch = fakeFetch(() => jsonResponse(openAIErrorBody(503), 503));
    const error = await request(clientWith(fetch)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(503);
  });
});
