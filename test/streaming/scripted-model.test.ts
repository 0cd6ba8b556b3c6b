import { describe, expect, it } from "vitest";
import type { StreamPart } from "../../src/streaming/stream-parts.js";
import { ScriptedModel } from "../helpers/scripted-model.js";

/** The hand-driven model that planner tests script tool loops with must behave like the real client. */
describe("ScriptedModel", () => {
  it("records the options of each call and yields scripted tool calls before the finish", async () => {
    const model = new ScriptedModel();
    const tools = [{ name: "read_file", description: "Read a file.", parameters: { type: "object" } }];
    const stream = model.stream([{ role: "user", content: "Plan it." }], undefined, { tools, toolChoice: "auto", model: "gpt-repo", temperature: 0 });
    const call = await model.call(0);
    call
      .text("Reading.")
      .toolCall({ id: "call_1", name: "read_file", arguments: '{"path":"a.py"}' })
      .finish("tool_calls", { promptTokens: 10, completionTokens: 3 });

    const parts: StreamPart[] = [];
    for await (const part of stream) parts.push(part);

    expect(call.options).toEqual({ tools, toolChoice: "auto", model: "gpt-repo", temperature: 0 });
    expect(parts).toEqual([
      { type: "text-delta", text: "Reading." },
      { type: "tool-call", call: { id: "call_1", name: "read_file", arguments: '{"path":"a.py"}' } },
      { type: "finish", reason: "tool_calls", usage: { promptTokens: 10, completionTokens: 3 } },
    ]);
  });
});
