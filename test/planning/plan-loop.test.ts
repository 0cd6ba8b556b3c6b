import { describe, expect, it } from "vitest";
import { runPlanLoop, type ToolRunner } from "../../src/planning/plan-loop.js";
import type { ToolResult } from "../../src/planning/repo-tools.js";
import { ModelError, type ChatMessage, type ToolCall } from "../../src/streaming/stream-parts.js";
import { recordingLogger } from "../helpers/recording-logger.js";
import { ScriptedModel } from "../helpers/scripted-model.js";

const SPECS = [{ name: "read_file", description: "read", parameters: { type: "object" } }] as const;

function runner(results: Record<string, ToolResult> = {}): ToolRunner & { calls: ToolCall[] } {
  const calls: ToolCall[] = [];
  return {
    specs: SPECS,
    calls,
    async execute(call) {
      calls.push(call);
      return results[call.id] ?? { content: `result of ${call.id}`, ok: true };
    },
  };
}

function setup(maxToolRounds = 3, tools: ToolRunner | null = runner(), maxPromptTokens = 100_000, maxRunTokens?: number) {
  const model = new ScriptedModel();
  const texts: string[] = [];
  const activities: Array<string | undefined> = [];
  const controller = new AbortController();
  const messages: ChatMessage[] = [
    { role: "system", content: "SYSTEM" },
    { role: "user", content: "Issue" },
  ];
  const done = runPlanLoop({
    model,
    messages,
    ...(tools === null ? {} : { tools }),
    maxToolRounds,
    maxPromptTokens,
    ...(maxRunTokens === undefined ? {} : { maxRunTokens }),
    streamOptions: { model: "repo-model", temperature: 0.1 },
    signal: controller.signal,
    log: recordingLogger(),
    onText: (text) => texts.push(text),
    onActivity: (activity) => activities.push(activity),
  });
  return { model, texts, activities, controller, done, tools };
}

const read = (id: string, path: string): ToolCall => ({ id, name: "read_file", arguments: JSON.stringify({ path }) });

describe("runPlanLoop", () => {
  it("runs the tools the model asks for, announces each, and sends their results back in order", async () => {
    const tools = runner({ c2: { content: "Error: There is no file nope.py", ok: false } });
    const { model, activities, texts, done } = setup(3, tools);
    const first = await model.call(0);
    expect(first.options).toEqual({ model: "repo-model", temperature: 0.1, tools: SPECS, toolChoice: "auto" });
    first.toolCall(read("c1", "agent/ai.py")).toolCall(read("c2", "nope.py")).finish("tool_calls");
    const second = await model.call(1);
    expect(second.messages.slice(2)).toEqual([
      { role: "assistant", content: "", toolCalls: [read("c1", "agent/ai.py"), read("c2", "nope.py")] },
      { role: "tool", toolCallId: "c1", content: "result of c1" },
      { role: "tool", toolCallId: "c2", content: "Error: There is no file nope.py" },
    ]);
    second.text("**Plan**", "\n1. Step").finish("stop", { promptTokens: 10, completionTokens: 5 });
    const result = await done;
    expect(activities).toEqual([
      "reading `agent/ai.py` …",
      "read `agent/ai.py` · reading `nope.py` …",
      "read `agent/ai.py` · read `nope.py` · thinking…",
      undefined,
    ]);
    expect(texts.at(-1)).toBe("**Plan**\n1. Step");
    expect(result).toMatchObject({ text: "**Plan**\n1. Step", finish: "stop", rounds: 2, toolCalls: 2 });
    // The first round reported no usage: its tokens were counted here, so the total is an estimate.
    expect(result.usageEstimated).toBe(true);
    expect(result.usage.promptTokens).toBeGreaterThan(10);
    expect(result.usage.completionTokens).toBeGreaterThan(5);
    expect(tools.calls.map((c) => c.id)).toEqual(["c1", "c2"]);
  });

  it("adds up the usage the server reports for every round, and counts it when the server reports none", async () => {
    const reporting = setup();
    (await reporting.model.call(0)).toolCall(read("c1", "a.py")).finish("tool_calls", { promptTokens: 100, completionTokens: 7 });
    (await reporting.model.call(1)).text("Plan").finish("stop", { promptTokens: 130, completionTokens: 20 });
    expect(await reporting.done).toMatchObject({ usage: { promptTokens: 230, completionTokens: 27 }, usageEstimated: false });

    const silent = setup(3, null);
    (await silent.model.call(0)).text("A plan of a few words.").finish();
    const counted = await silent.done;
    expect(counted.usageEstimated).toBe(true);
    // "SYSTEM" and "Issue" with the chat framing (o200k_base); the answer's seven tokens.
    expect(counted.usage).toEqual({ promptTokens: 10, completionTokens: 7 });
  });

  it("runs tools even when a server reports finish_reason stop with tool calls (Ollama)", async () => {
    const { model, done, tools } = setup();
    (await model.call(0)).toolCall(read("c1", "a.py")).finish("stop");
    (await model.call(1)).text("Plan").finish();
    await done;
    expect((tools as ToolRunner & { calls: ToolCall[] }).calls).toHaveLength(1);
  });

  it("keeps text written before a tool call, folded under the plan, so the plan starts with its summary", async () => {
    const { model, texts, done } = setup();
    (await model.call(0)).text("Let me check.").toolCall(read("c1", "a.py")).finish("tool_calls");
    (await model.call(1)).text("**Plan.**").finish();
    const result = await done;
    const folded = "**Plan.**\n\n<details><summary>Notes devbuddy made while reading</summary>\n\nLet me check.\n\n</details>";
    expect(result.text).toBe(folded);
    expect(texts.at(-1)).toBe(folded);
  });

  it("keeps the notes as they are when the model fails before writing a plan", async () => {
    const { model, done } = setup();
    (await model.call(0)).text("Reading a.py first.").toolCall(read("c1", "a.py")).finish("tool_calls");
    (await model.call(1)).fail(new ModelError("stall", "The model stopped sending text."));
    expect(await done).toMatchObject({ text: "Reading a.py first.", failure: { kind: "stall" } });
  });

  it("stops offering tools after the round limit and says the reading budget is spent", async () => {
    const { model, done } = setup(1);
    (await model.call(0)).toolCall(read("c1", "a.py")).finish("tool_calls");
    const last = await model.call(1);
    expect(last.options?.toolChoice).toBe("none");
    expect(last.messages.at(-1)).toEqual({ role: "user", content: expect.stringContaining("reading budget for this answer is spent") });
    last.text("Plan without more reading.").finish();
    const result = await done;
    expect(result.limit).toBe("rounds");
    expect(result.rounds).toBe(2);
  });

  it("ends with the text so far when the model calls tools after they were withdrawn", async () => {
    const { model, done } = setup(0);
    const only = await model.call(0);
    expect(only.options?.toolChoice).toBe("none");
    only.text("Partial").toolCall(read("c1", "a.py")).finish("tool_calls");
    const result = await done;
    expect(result).toMatchObject({ text: "Partial", rounds: 1, toolCalls: 0 });
    expect(model.calls).toHaveLength(1);
  });

  it("does not return a tool result that would take the prompt past its token budget, and withdraws the tools", async () => {
    const big = "def f():\n    return 1\n".repeat(400); // ~3,000 tokens
    const tools = runner({ c1: { content: "small", ok: true }, c2: { content: big, ok: true } });
    const { model, done } = setup(5, tools, 1_500);
    (await model.call(0)).toolCall(read("c1", "a.py")).toolCall(read("c2", "big.py")).finish("tool_calls");
    const last = await model.call(1);
    const results = last.messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(results).toEqual(["small", expect.stringContaining("context budget is spent")]);
    expect(last.options?.toolChoice).toBe("none");
    expect(last.messages.at(-1)).toEqual({ role: "user", content: expect.stringContaining("reading budget for this answer is spent") });
    last.text("Plan").finish();
    expect(await done).toMatchObject({ text: "Plan", limit: "tokens", rounds: 2 });
  });

  it("withdraws the tools once the answer's token budget would be passed, and writes the plan in one last request", async () => {
    const { model, done } = setup(5, runner(), 100_000, 970); // 960 spent, and the next request's prompt on top
    (await model.call(0)).toolCall(read("c1", "a.py")).finish("tool_calls", { promptTokens: 900, completionTokens: 60 });
    const last = await model.call(1);
    expect(last.options?.toolChoice).toBe("none");
    last.text("Plan").finish("stop", { promptTokens: 990, completionTokens: 5 });
    expect(await done).toMatchObject({ text: "Plan", limit: "run-tokens", rounds: 2, usage: { promptTokens: 1_890, completionTokens: 65 } });
  });

  it("reports a limit a tool hit", async () => {
    const tools = runner({ c1: { content: "Error: this run may read at most 1 files", ok: false, limit: "files" } });
    const { model, done } = setup(3, tools);
    (await model.call(0)).toolCall(read("c1", "a.py")).finish("tool_calls");
    (await model.call(1)).text("Plan").finish();
    expect((await done).limit).toBe("files");
  });

  it("returns the failure with the text of every round so far", async () => {
    const { model, done } = setup();
    (await model.call(0)).text("Reading.").toolCall(read("c1", "a.py")).finish("tool_calls");
    (await model.call(1)).text("Half a plan").fail(new ModelError("stall", "The model stopped sending text for 30 s."));
    const result = await done;
    expect(result.text).toBe("Half a plan\n\n<details><summary>Notes devbuddy made while reading</summary>\n\nReading.\n\n</details>");
    expect(result.failure?.kind).toBe("stall");
  });

  it("makes one plain request without tools for models that have none", async () => {
    const { model, done } = setup(3, null);
    const only = await model.call(0);
    expect(only.options).toEqual({ model: "repo-model", temperature: 0.1 });
    only.text("Plan").finish();
    expect((await done).rounds).toBe(1);
  });
});
