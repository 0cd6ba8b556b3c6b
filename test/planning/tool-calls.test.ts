import { describe, expect, it } from "vitest";
import { SymbolIndex } from "../../src/code-index/symbol-index.js";
import { MAX_CALLS_PER_ROUND, runPlanLoop } from "../../src/planning/plan-loop.js";
import { RepoTools } from "../../src/planning/repo-tools.js";
import type { ChatMessage, ToolCall } from "../../src/streaming/stream-parts.js";
import { expectLoopFree } from "../helpers/loop-delay.js";
import { memoryRepoView } from "../helpers/memory-repo-view.js";
import { recordingLogger } from "../helpers/recording-logger.js";
import { ScriptedModel } from "../helpers/scripted-model.js";

/**
 * Tool calls are model output (issue 9, defect 6): one response may ask for any number of
 * them, each a search of every loaded file. They are bounded per response, charged before
 * they run, and none holds the event loop.
 */

/** About 30 MB of text in 300 files; a few lines name the searched word. */
function largeRepository(): Record<string, string> {
  const line = "the quick brown fox jumps over the lazy dog, again and again and again\n";
  const body = line.repeat(Math.ceil(100_000 / line.length));
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`docs/part${i}.txt`] = i % 50 === 0 ? `${body}needle here\n` : body;
  return files;
}

const search = (id: string, query: string): ToolCall => ({ id, name: "search_code", arguments: JSON.stringify({ query }) });

function plan(view: ReturnType<typeof memoryRepoView>, tools: RepoTools) {
  const model = new ScriptedModel();
  const messages: ChatMessage[] = [
    { role: "system", content: "SYSTEM" },
    { role: "user", content: "Issue" },
  ];
  const done = runPlanLoop({
    model,
    messages,
    tools,
    maxToolRounds: 3,
    maxPromptTokens: 1_000_000,
    signal: new AbortController().signal,
    log: recordingLogger(),
    onText: () => {},
    onActivity: () => {},
  });
  return { model, done, view };
}

describe("tool calls in one model response", () => {
  it("runs at most MAX_CALLS_PER_ROUND of 100 searches over 30 MB, says so for the rest, and never holds the loop", async () => {
    const view = memoryRepoView(largeRepository());
    expect([...view.loaded.values()].reduce((n, t) => n + t.length, 0)).toBeGreaterThan(30_000_000);
    const tools = new RepoTools(view, await SymbolIndex.build([]), { files: 10, readBytes: 10_000_000 });
    const calls = Array.from({ length: 100 }, (_, i) => search(`c${i}`, i % 2 === 0 ? "needle" : `word${i}`));
    const second = await expectLoopFree(async () => {
      const { model } = plan(view, tools);
      const first = await model.call(0);
      for (const call of calls) first.toolCall(call);
      first.finish("tool_calls");
      const next = await model.call(1);
      next.text("The plan.").finish();
      return next;
    });
    const results = second.messages.filter((m) => m.role === "tool");
    expect(results.map((m) => m.toolCallId)).toEqual(calls.map((c) => c.id));
    expect(results[0]?.content).toBe(
      `6 lines contain "needle":\n${[0, 100, 150, 200, 250, 50].map((i) => `docs/part${i}.txt:1410: needle here`).join("\n")}`,
    );
    expect(results[1]?.content).toBe('No lines contain "word1".');
    expect(MAX_CALLS_PER_ROUND).toBe(8);
    for (const result of results.slice(MAX_CALLS_PER_ROUND)) {
      expect(result.content).toBe(
        "Error: not run. This response asked for 100 tool calls; devbuddy runs at most 8 per response, the first 8. Ask again for the ones you still need.",
      );
    }
  }, 120_000);

  it("does not run a call once the reading budget is spent", async () => {
    const files = largeRepository();
    const view = memoryRepoView(files);
    let scans = 0;
    const loaded = view.loaded;
    const counted = { ...view, loaded: new (class extends Map<string, string> {
      override [Symbol.iterator]() {
        scans++;
        return super[Symbol.iterator]();
      }
    })(loaded) };
    const tools = new RepoTools(counted, await SymbolIndex.build([]), { files: 10, readBytes: 100 });
    const first = await tools.execute(search("a", "needle"));
    expect(first.limit).toBe("bytes");
    expect(first.content).toContain("[… cut here: this run's reading budget (100 bytes) is used up.");
    expect(scans).toBe(1);
    const second = await tools.execute(search("b", "needle"));
    expect(second).toEqual({ content: "Error: not run: this run's reading budget is used up. Write the plan with what you have.", ok: false, limit: "bytes" });
    expect(scans).toBe(1);
  });
});
