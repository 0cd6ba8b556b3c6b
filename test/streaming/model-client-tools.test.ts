import { afterEach, describe, expect, it, vi } from "vitest";
import { OpenAIModelClient, type ModelClientOptions } from "../../src/streaming/model-client.js";
import type { ChatMessage, StreamPart, ToolSpec } from "../../src/streaming/stream-parts.js";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/fake-openai.js";
import {
  chatChunk,
  encodeSse,
  encodeSseEvent,
  fakeFetch,
  splitBytes,
  sseResponse,
  textStreamEvents,
  type FakeFetchResponder,
  type SseEvent,
  type TextStreamOptions,
  type ToolCallScript,
} from "../fakes/sse.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { consumeStream } from "../helpers/consume-stream.js";
import { recordingLogger } from "../helpers/recording-logger.js";

/**
 * Function calling over the stream: tool-call deltas assembled by index, the request's
 * tools and history in OpenAI's wire form, and tool-call deltas keeping the watchdogs fed.
 */

const MESSAGES: ChatMessage[] = [
  { role: "system", content: "You plan." },
  { role: "user", content: "Issue #3 by alice:\n\nWhich methods call AI.call?" },
];

const READ_FILE: ToolSpec = {
  name: "read_file",
  description: "Read a file of the repository at the planned commit.",
  parameters: {
    type: "object",
    properties: { path: { type: "string" }, start: { type: "integer" }, end: { type: "integer" } },
    required: ["path"],
    additionalProperties: false,
  },
};
const SEARCH_CODE: ToolSpec = {
  name: "search_code",
  description: "Search the repository's code.",
  parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
};

const TIMEOUTS = { firstTokenMs: 10_000, idleMs: 5_000, totalMs: 60_000 };

function client(responder: FakeFetchResponder, overrides: Partial<ModelClientOptions> = {}) {
  const clock = new ManualClock();
  const fetch = fakeFetch(responder);
  const model = new OpenAIModelClient({
    apiKey: "sk-test",
    baseURL: "http://127.0.0.1:9/v1",
    model: "gpt-test",
    timeouts: TIMEOUTS,
    retries: 2,
    retryBaseMs: 500,
    clock,
    log: recordingLogger(),
    fetch,
    ...overrides,
  });
  return { model, clock, fetch };
}


const toolStream = (text: string[], toolCalls: ToolCallScript[], opts: TextStreamOptions = {}, cuts: "every-byte" | number = 64) =>
  splitBytes(encodeSse(textStreamEvents(text, { toolCalls, ...opts })), cuts);

/** One network read per event, so `delaysMs[i]` paces event `i`. */
const perEvent = (events: readonly SseEvent[]) => events.map((event) => new TextEncoder().encode(encodeSseEvent(event)));

const toolCallsOf = (parts: readonly StreamPart[]) => parts.flatMap((p) => (p.type === "tool-call" ? [p.call] : []));

describe("OpenAIModelClient with tools", () => {
  it("assembles a tool call whose name and arguments arrive in pieces, the bytes split at every byte, then finishes with tool_calls", async () => {
    // Every-byte reads cut inside é and 日本 on the wire; the argument pieces cut the JSON mid-token.
    const args = ['{"pa', 'th": "docs/ré', 'sumé 日本.md", "sta', 'rt": 1', "}"];
    const { model } = client(({ init }) =>
      sseResponse(
        toolStream([], [{ id: "call_abc", name: ["read_", "fi", "le"], arguments: args }], { usage: { prompt_tokens: 40, completion_tokens: 9 } }, "every-byte"),
        { signal: init.signal ?? null },
      ),
    );
    const result = await consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE] })).outcome;
    expect(result.error).toBeUndefined();
    expect(result.parts).toEqual([
      { type: "tool-call", call: { id: "call_abc", name: "read_file", arguments: '{"path": "docs/résumé 日本.md", "start": 1}' } },
      { type: "finish", reason: "tool_calls", usage: { promptTokens: 40, completionTokens: 9 } },
    ]);
  });

  it("untangles parallel tool calls interleaved by index and yields them in index order", async () => {
    // Index 1 starts first and the pieces alternate: only `index` says which call a piece belongs to.
    const wire = encodeSse([
      chatChunk({ role: "assistant", content: null }),
      chatChunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "search_code", arguments: "" } }] }),
      chatChunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "read_file", arguments: "" } }] }),
      chatChunk({ tool_calls: [{ index: 1, function: { arguments: '{"query":' } }] }),
      chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":"agent/ai.py"' } }] }),
      chatChunk({ tool_calls: [{ index: 1, function: { arguments: '"AI.call"}' } }] }),
      chatChunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }),
      chatChunk({}, { finishReason: "tool_calls" }),
      "[DONE]",
    ]);
    const { model } = client(() => sseResponse(splitBytes(wire, 7)));
    const result = await consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE, SEARCH_CODE] })).outcome;
    expect(result.error).toBeUndefined();
    expect(toolCallsOf(result.parts)).toEqual([
      { id: "call_a", name: "read_file", arguments: '{"path":"agent/ai.py"}' },
      { id: "call_b", name: "search_code", arguments: '{"query":"AI.call"}' },
    ]);
    expect(result.parts.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
  });

  it("untangles the fakes' interleaved layout of three calls", async () => {
    const calls: ToolCallScript[] = [
      { id: "call_1", name: "read_file", arguments: ['{"path":', '"a.py"}'] },
      { id: "call_2", name: ["sea", "rch_code"], arguments: ['{"query":"x"', "}"] },
      { id: "call_3", name: "read_file", arguments: '{"path":"b.py"}' },
    ];
    const { model } = client(() => sseResponse(toolStream([], calls, { toolCallOrder: "interleaved" }, 5)));
    const result = await consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE, SEARCH_CODE] })).outcome;
    expect(toolCallsOf(result.parts)).toEqual([
      { id: "call_1", name: "read_file", arguments: '{"path":"a.py"}' },
      { id: "call_2", name: "search_code", arguments: '{"query":"x"}' },
      { id: "call_3", name: "read_file", arguments: '{"path":"b.py"}' },
    ]);
  });

  it("yields text first, then the tool calls, then the finish", async () => {
    const { model } = client(() =>
      sseResponse(toolStream(["Let me read ", "the AI client."], [{ id: "call_1", name: "read_file", arguments: ['{"path":"agent/', 'ai.py"}'] }])),
    );
    const result = await consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE] })).outcome;
    expect(result.parts).toEqual([
      { type: "text-delta", text: "Let me read " },
      { type: "text-delta", text: "the AI client." },
      { type: "tool-call", call: { id: "call_1", name: "read_file", arguments: '{"path":"agent/ai.py"}' } },
      { type: "finish", reason: "tool_calls" },
    ]);
  });

  it("shows text at once but never half a tool call: a stream that stalls mid-call ends with the text only, not retried", async () => {
    const events = textStreamEvents(["Checking the planner."], {
      toolCalls: [{ id: "call_1", name: "read_file", arguments: ['{"path":', '"agent/planner.py"}'] }],
    });
    // role, text, first tool-call piece, then nothing more.
    const { model, clock, fetch } = client(({ init }) => sseResponse(perEvent(events), { stallAfter: 3, signal: init.signal ?? null }));
    const { outcome, seen } = consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE] }));
    await vi.waitFor(() => expect(seen.text).toBe("Checking the planner."));
    await clock.advance(5_000);
    const result = await outcome;
    expect(result.error).toMatchObject({ kind: "stall" });
    expect(result.parts).toEqual([{ type: "text-delta", text: "Checking the planner." }]);
    expect(fetch.calls).toHaveLength(1);
  });

  it("retries a tool-call stream cut before its finish when nothing was yielded, and yields the call once", async () => {
    const call: ToolCallScript = { id: "call_1", name: "read_file", arguments: ['{"path":', '"agent/ai.py"}'] };
    let attempt = 0;
    const { model, clock, fetch } = client(({ init }) =>
      ++attempt === 1
        ? sseResponse(perEvent(textStreamEvents([], { toolCalls: [call] })), { cutAfter: 2, signal: init.signal ?? null })
        : sseResponse(toolStream([], [call])),
    );
    const { outcome } = consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE] }));
    await settle();
    await clock.advance(500);
    const result = await outcome;
    expect(fetch.calls).toHaveLength(2);
    expect(result.error).toBeUndefined();
    expect(toolCallsOf(result.parts)).toEqual([{ id: "call_1", name: "read_file", arguments: '{"path":"agent/ai.py"}' }]);
  });

  it("names a call that came without an id call_<index>, and keeps the first non-empty id of a call", async () => {
    const wire = encodeSse([
      chatChunk({ tool_calls: [{ index: 0, type: "function", function: { name: "read_file", arguments: "{}" } }] }),
      chatChunk({ tool_calls: [{ index: 1, id: "", type: "function", function: { name: "search_code", arguments: "" } }] }),
      chatChunk({ tool_calls: [{ index: 1, id: "call_real", function: { arguments: "{}" } }] }),
      chatChunk({ tool_calls: [{ index: 1, id: "call_repeated", function: { arguments: "" } }] }),
      chatChunk({}, { finishReason: "tool_calls" }),
      "[DONE]",
    ]);
    const { model } = client(() => sseResponse(splitBytes(wire, 64)));
    const result = await consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE, SEARCH_CODE] })).outcome;
    expect(toolCallsOf(result.parts).map((c) => c.id)).toEqual(["call_0", "call_real"]);
  });

  it("rejects a tool call that never got a name as a protocol error, yielding no call", async () => {
    const wire = encodeSse([
      chatChunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { arguments: '{"path":"x"}' } }] }),
      chatChunk({}, { finishReason: "tool_calls" }),
      "[DONE]",
    ]);
    const { model, fetch } = client(() => sseResponse(splitBytes(wire, 64)));
    const result = await consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE] })).outcome;
    expect(result.error).toMatchObject({ kind: "protocol", retryable: false });
    expect(result.error?.message).toBe("The model sent a tool call (#0) without naming the tool.");
    expect(result.parts).toEqual([]);
    expect(fetch.calls).toHaveLength(1);
  });

  it("rejects tool-call deltas without an index as a protocol error", async () => {
    const wire = encodeSse([
      chatChunk({ tool_calls: [{ id: "call_1", type: "function", function: { name: "read_file", arguments: "{}" } }] }),
      chatChunk({}, { finishReason: "tool_calls" }),
      "[DONE]",
    ]);
    const { model } = client(() => sseResponse(splitBytes(wire, 64)));
    const result = await consumeStream(model.stream(MESSAGES, undefined, { tools: [READ_FILE] })).outcome;
    expect(result.error).toMatchObject({ kind: "protocol" });
  });

  describe("watchdogs", () => {
    // Eight argument pieces, 4 s apart: 32 s of tool-call deltas and not one character of text.
    const slowCall: ToolCallScript = {
      id: "call_slow",
      name: "search_code",
      arguments: ['{"q', 'uery', '": ', '"def ', "call", "(self", ')"', "}"],
    };

    it("counts tool-call deltas as progress: deltas every 4 s outlast the 10 s first-token wait", async () => {
      const events = textStreamEvents([], { toolCalls: [slowCall] }); // role, 9 tool-call chunks, finish, [DONE]
      const { model, clock, fetch } = client(({ init }) =>
        sseResponse(perEvent(events), {
          delaysMs: events.map((_, i) => (i === 0 ? 0 : 4_000)),
          sleep: (ms, signal) => clock.sleep(ms, signal),
          signal: init.signal ?? null,
        }),
      );
      const { outcome, seen } = consumeStream(model.stream(MESSAGES, undefined, { tools: [SEARCH_CODE] }));
      await clock.advance(30_000);
      expect(seen.error).toBeUndefined();
      await clock.advance(20_000);
      const result = await outcome;
      expect(result.error).toBeUndefined();
      expect(toolCallsOf(result.parts)).toEqual([{ id: "call_slow", name: "search_code", arguments: '{"query": "def call(self)"}' }]);
      expect(fetch.calls).toHaveLength(1);
    });

    it("re-arms the idle watchdog on each tool-call delta and reports a stall once they stop", async () => {
      const events = textStreamEvents([], { toolCalls: [slowCall] });
      const { model, clock } = client(
        ({ init }) =>
          sseResponse(perEvent(events), {
            delaysMs: events.map((_, i) => (i === 0 ? 0 : 4_000)),
            sleep: (ms, signal) => clock.sleep(ms, signal),
            // role + 4 deltas (the last at 16 s), then silence.
            stallAfter: 5,
            signal: init.signal ?? null,
          }),
        { retries: 0 },
      );
      const { outcome, seen } = consumeStream(model.stream(MESSAGES, undefined, { tools: [SEARCH_CODE] }));
      await clock.advance(20_999);
      expect(seen.error).toBeUndefined();
      await clock.advance(1);
      const result = await outcome;
      expect(result.error).toMatchObject({ kind: "stall" });
      expect(result.parts).toEqual([]);
    });
  });

  describe("request", () => {
    const history: ChatMessage[] = [
      ...MESSAGES,
      { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "search_code", arguments: '{"query":"AI.call"}' }] },
      { role: "tool", toolCallId: "call_1", content: "agent/planner.py:12: self.ai.call(prompt)" },
      {
        role: "assistant",
        content: "Two files to read.",
        toolCalls: [
          { id: "call_2", name: "read_file", arguments: '{"path":"agent/planner.py"}' },
          { id: "call_3", name: "read_file", arguments: '{"path":"agent/codegen.py"}' },
        ],
      },
      { role: "tool", toolCallId: "call_2", content: "class Planner: ..." },
      { role: "tool", toolCallId: "call_3", content: "class CodeGenerator: ..." },
      { role: "assistant", content: "An earlier plan." },
    ];
    const wireHistory = [
      { role: "system", content: "You plan." },
      { role: "user", content: "Issue #3 by alice:\n\nWhich methods call AI.call?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "search_code", arguments: '{"query":"AI.call"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "agent/planner.py:12: self.ai.call(prompt)" },
      {
        role: "assistant",
        content: "Two files to read.",
        tool_calls: [
          { id: "call_2", type: "function", function: { name: "read_file", arguments: '{"path":"agent/planner.py"}' } },
          { id: "call_3", type: "function", function: { name: "read_file", arguments: '{"path":"agent/codegen.py"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_2", content: "class Planner: ..." },
      { role: "tool", tool_call_id: "call_3", content: "class CodeGenerator: ..." },
      { role: "assistant", content: "An earlier plan." },
    ];
    const wireTools = [
      { type: "function", function: { name: READ_FILE.name, description: READ_FILE.description, parameters: READ_FILE.parameters } },
      { type: "function", function: { name: SEARCH_CODE.name, description: SEARCH_CODE.description, parameters: SEARCH_CODE.parameters } },
    ];

    let fake: FakeOpenAI | undefined;
    afterEach(async () => {
      await fake?.close();
      fake = undefined;
    });

    it("sends tools, tool_choice, the overrides and the tool history in OpenAI's wire form, which OpenAI's rules accept", async () => {
      fake = await startFakeOpenAI();
      fake.enqueue({ kind: "stream", text: ["Planner.plan_steps calls it."] }, { kind: "stream", text: ["Final plan."] });
      const model = new OpenAIModelClient({
        apiKey: "sk-test",
        baseURL: fake.baseURL,
        model: "gpt-test",
        temperature: 0.7,
        timeouts: TIMEOUTS,
        retries: 0,
        retryBaseMs: 500,
        clock: new ManualClock(),
        log: recordingLogger(),
      });

      const first = await consumeStream(model.stream(history, undefined, { tools: [READ_FILE, SEARCH_CODE], model: "gpt-repo", temperature: 0.1 })).outcome;
      const second = await consumeStream(model.stream(history, undefined, { tools: [READ_FILE, SEARCH_CODE], toolChoice: "none" })).outcome;

      expect(first.error).toBeUndefined();
      expect(first.text).toBe("Planner.plan_steps calls it.");
      expect(second.text).toBe("Final plan.");
      const [one, two] = fake.requests;
      expect(one?.body).toEqual({
        model: "gpt-repo",
        temperature: 0.1,
        messages: wireHistory,
        tools: wireTools,
        tool_choice: "auto",
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(two?.body).toMatchObject({ model: "gpt-test", temperature: 0.7, tools: wireTools, tool_choice: "none" });
    });

    it("sends neither tools nor tool_choice when no tools are given", async () => {
      const { model, fetch } = client(() => sseResponse(toolStream(["ok"], [])));
      await consumeStream(model.stream(MESSAGES, undefined, { toolChoice: "none" })).outcome;
      await consumeStream(model.stream(MESSAGES, undefined, { tools: [] })).outcome;
      for (const call of fetch.calls) {
        expect(call.body).not.toHaveProperty("tools");
        expect(call.body).not.toHaveProperty("tool_choice");
        expect(call.body).not.toHaveProperty("temperature");
      }
    });

    it("is refused by OpenAI's rules when a tool result answers no call (the fake enforces them)", async () => {
      fake = await startFakeOpenAI();
      const model = new OpenAIModelClient({
        apiKey: "sk-test",
        baseURL: fake.baseURL,
        model: "gpt-test",
        timeouts: TIMEOUTS,
        retries: 0,
        retryBaseMs: 500,
        clock: new ManualClock(),
        log: recordingLogger(),
      });
      const orphan: ChatMessage[] = [...MESSAGES, { role: "tool", toolCallId: "call_9", content: "stray" }];
      const result = await consumeStream(model.stream(orphan, undefined, { tools: [READ_FILE] })).outcome;
      expect(result.error).toMatchObject({ kind: "bad-request", status: 400 });
    });
  });
});
