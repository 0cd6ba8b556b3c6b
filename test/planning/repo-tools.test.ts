import { describe, expect, it } from "vitest";
import { SymbolIndex } from "../../src/code-index/symbol-index.js";
import { activityFor, RepoTools, TOOL_SPECS, type ToolLimits } from "../../src/planning/repo-tools.js";
import type { ToolCall } from "../../src/streaming/stream-parts.js";
import { fixtureRepoView, memoryRepoView } from "../helpers/memory-repo-view.js";

async function tools(limits: ToolLimits = { files: 30, readBytes: 200_000 }, view = fixtureRepoView()) {
  const index = await SymbolIndex.build([...view.loaded].map(([path, text]) => ({ path, text })));
  return { tools: new RepoTools(view, index, limits), view };
}

let id = 0;
const call = (name: string, args: unknown): ToolCall => ({
  id: `call_${++id}`,
  name,
  arguments: typeof args === "string" ? args : JSON.stringify(args),
});

describe("RepoTools", () => {
  it("describes four tools with JSON-schema parameters", () => {
    expect(TOOL_SPECS.map((t) => t.name)).toEqual(["list_files", "read_file", "search_code", "find_symbol"]);
    for (const spec of TOOL_SPECS) expect(spec.parameters).toMatchObject({ type: "object" });
  });

  it("find_symbol returns the definition and the real call sites of AI.call, not the orchestrator's Notifier.call", async () => {
    const { tools: t } = await tools();
    const result = await t.execute(call("find_symbol", { name: "AI.call" }));
    expect(result.ok).toBe(true);
    expect(result.content).toBe(
      [
        "method AI.call defined at agent/ai.py:13-24: def call(self, prompt: str, system: str | None = None) -> str:",
        "called from 3 place(s):",
        '- agent/codegen.py:12 in CodeGenerator.generate: code = self.ai.call(f"Write Python code for this step:\\n{step}\\n\\nContext:\\n{context}")',
        '- agent/planner.py:12 in Planner.plan_steps: answer = self.ai.call(f"Plan the work for this issue:\\n{issue}", system=PLAN_SYSTEM)',
        '- agent/planner.py:17 in Planner.refine: answer = self.ai.call(f"Revise this plan:\\n{joined}\\n\\nFeedback: {feedback}", system=PLAN_SYSTEM)',
      ].join("\n"),
    );
    const viaAttribute = await t.execute(call("find_symbol", { name: "self.ai.call" }));
    expect(viaAttribute.content).toContain("method AI.call defined at agent/ai.py:13-24");
  });

  it("find_symbol reads Rust's Type::f and Ruby's Class#method as Type.f", async () => {
    const { tools: t } = await tools();
    const dotted = (await t.execute(call("find_symbol", { name: "Indexer.Walk" }))).content;
    expect(dotted).toContain("defined at tools/indexer/main.go");
    expect((await t.execute(call("find_symbol", { name: "Indexer::Walk" }))).content).toBe(dotted);
    expect((await t.execute(call("find_symbol", { name: "Indexer#Walk" }))).content).toBe(dotted);
  });

  it("find_symbol says plainly when a name does not exist, and offers similar ones", async () => {
    const { tools: t } = await tools();
    const result = await t.execute(call("find_symbol", { name: "AI.stream_call" }));
    expect(result.content).toMatch(/^No definition named AI\.stream_call in the 10 files devbuddy parsed at commit f1e2d3c\./);
    expect(result.content).toContain("AI has: AI.__init__ (agent/ai.py:8), AI.call (agent/ai.py:13), AI.describe (agent/ai.py:26).");
    const unknown = await t.execute(call("find_symbol", { name: "plan" }));
    expect(unknown.content).toContain("Similar names: ");
    expect(unknown.content).toContain("Planner.plan_steps (agent/planner.py:11)");
  });

  it("read_file returns numbered lines of a range, and how to read on", async () => {
    const { tools: t } = await tools();
    const result = await t.execute(call("read_file", { path: "agent/ai.py", start_line: 13, end_line: 14 }));
    expect(result.content).toBe(
      [
        "agent/ai.py lines 13-14 of 27 (commit f1e2d3c):",
        "13|     def call(self, prompt: str, system: str | None = None) -> str:",
        '14|         """Sends one prompt and returns the whole answer at once (no streaming)."""',
        "[agent/ai.py has 27 lines; read more with start_line=15.]",
      ].join("\n"),
    );
    expect(activityFor(call("read_file", { path: "agent/ai.py", start_line: 13, end_line: 14 }))).toBe("reading `agent/ai.py` lines 13–14 …");
  });

  it("read_file refuses arguments it does not know instead of reading the whole file, and ranges outside the file", async () => {
    const { tools: t } = await tools();
    expect(await t.execute(call("read_file", { path: "agent/ai.py", start: 13, end: 14 }))).toEqual({
      content: "Error: Invalid arguments for read_file: unknown arguments start, end (read_file takes: path, start_line, end_line).",
      ok: false,
    });
    expect((await t.execute(call("read_file", { path: "agent/ai.py", start_line: 500 }))).content).toBe(
      "Error: agent/ai.py has 27 lines; start_line 500 is past its end.",
    );
    expect((await t.execute(call("read_file", { path: "agent/ai.py", start_line: 14, end_line: 13 }))).content).toBe(
      "Error: end_line 13 is before start_line 14.",
    );
    // None of these counted as reading the file.
    expect(t.filesRead.size).toBe(0);
  });

  it("reads and searches files with Windows line ends without showing the carriage returns", async () => {
    const view = memoryRepoView({ "win.py": "class Win:\r\n    def go(self):\r\n        return 1\r\n" });
    const { tools: t } = await tools({ files: 30, readBytes: 100_000 }, view);
    expect((await t.execute(call("read_file", { path: "win.py" }))).content).toBe(
      "win.py lines 1-3 of 3 (commit f1e2d3c):\n1| class Win:\n2|     def go(self):\n3|         return 1",
    );
    expect((await t.execute(call("search_code", { query: "return" }))).content).toBe('1 line contains "return":\nwin.py:3 in Win.go: return 1');
  });

  it("read_file of a missing file is an error naming the commit and similar paths", async () => {
    const { tools: t } = await tools();
    const result = await t.execute(call("read_file", { path: "src/ai.py" }));
    expect(result).toEqual({ content: "Error: There is no file src/ai.py at commit f1e2d3c. Similar paths: agent/ai.py.", ok: false });
  });

  it("read_file refuses vendored, generated and binary files with the reason", async () => {
    const { tools: t } = await tools();
    expect((await t.execute(call("read_file", { path: "vendor/shim/client.py" }))).content).toBe(
      "Error: vendor/shim/client.py is not readable: devbuddy skips vendored files.",
    );
    expect((await t.execute(call("read_file", { path: "assets/logo.png" }))).content).toContain("skips binary files");
  });

  it("read_file of a huge file returns one window and says how to read the rest", async () => {
    const big = Array.from({ length: 5_000 }, (_, i) => `line ${i + 1} ${"x".repeat(40)}`).join("\n");
    const view = memoryRepoView({ "big.txt": big });
    const { tools: t } = await tools({ files: 30, readBytes: 1_000_000 }, view);
    const result = await t.execute(call("read_file", { path: "big.txt" }));
    expect(result.ok).toBe(true);
    expect(result.content.startsWith("big.txt lines 1-400 of 5000 (commit f1e2d3c):\n")).toBe(true);
    expect(result.content.endsWith("[big.txt has 5000 lines; read more with start_line=401.]")).toBe(true);
  });

  it("stops returning files past the run's file limit, but lets the model re-read files it has", async () => {
    const { tools: t } = await tools({ files: 2, readBytes: 200_000 });
    expect((await t.execute(call("read_file", { path: "agent/ai.py" }))).ok).toBe(true);
    expect((await t.execute(call("read_file", { path: "agent/planner.py" }))).ok).toBe(true);
    const third = await t.execute(call("read_file", { path: "agent/codegen.py" }));
    expect(third).toMatchObject({ ok: false, limit: "files" });
    expect(third.content).toContain("at most 2 files");
    expect((await t.execute(call("read_file", { path: "agent/ai.py", start_line: 1, end_line: 2 }))).ok).toBe(true);
    expect([...t.filesRead]).toEqual(["agent/ai.py", "agent/planner.py"]);
  });

  it("cuts a result at the byte budget and then refuses further reading", async () => {
    const { tools: t } = await tools({ files: 30, readBytes: 700 });
    const first = await t.execute(call("read_file", { path: "agent/ai.py" }));
    expect(first.limit).toBe("bytes");
    expect(first.content).toContain("reading budget (700 bytes) is used up");
    expect(Buffer.byteLength(first.content)).toBeLessThan(900);
    const second = await t.execute(call("search_code", { query: "call" }));
    expect(second).toMatchObject({ ok: false, limit: "bytes" });
  });

  it("search_code finds literal text case-insensitively, with the enclosing definition, only in readable files", async () => {
    const { tools: t } = await tools();
    const result = await t.execute(call("search_code", { query: "SELF.AI.CALL(" }));
    expect(result.content.split("\n")).toEqual([
      '3 lines contain "SELF.AI.CALL(":',
      'agent/codegen.py:12 in CodeGenerator.generate: code = self.ai.call(f"Write Python code for this step:\\n{step}\\n\\nContext:\\n{context}")',
      'agent/planner.py:12 in Planner.plan_steps: answer = self.ai.call(f"Plan the work for this issue:\\n{issue}", system=PLAN_SYSTEM)',
      'agent/planner.py:17 in Planner.refine: answer = self.ai.call(f"Revise this plan:\\n{joined}\\n\\nFeedback: {feedback}", system=PLAN_SYSTEM)',
    ]);
    const narrowed = await t.execute(call("search_code", { query: "call", glob: "*.ts" }));
    expect(narrowed.content).toContain("web/src/api.ts");
    expect(narrowed.content).not.toContain(".py");
  });

  it("list_files filters with .gitignore-style globs", async () => {
    const { tools: t } = await tools();
    const result = await t.execute(call("list_files", { glob: "agent/*.py" }));
    expect(result.content.split("\n")).toEqual([
      "6 readable files matching agent/*.py at commit f1e2d3c:",
      "agent/__init__.py",
      "agent/ai.py",
      "agent/codegen.py",
      "agent/notify.py",
      "agent/orchestrator.py",
      "agent/planner.py",
    ]);
  });

  it("turns unknown tools, bad JSON and invalid arguments into errors the model can read", async () => {
    const { tools: t } = await tools();
    expect((await t.execute(call("delete_repo", {}))).content).toBe(
      'Error: There is no tool named "delete_repo". Available: list_files, read_file, search_code, find_symbol.',
    );
    expect((await t.execute(call("read_file", '{"path": "agent/ai.py"')))).toMatchObject({ ok: false });
    expect((await t.execute(call("read_file", '{"path": "agent/ai.py"'))).content).toContain("not valid JSON");
    expect((await t.execute(call("read_file", { path: 42 }))).content).toMatch(/^Error: Invalid arguments for read_file: path: /);
  });

  it("keeps model-chosen text out of the status line's formatting", () => {
    expect(activityFor(call("search_code", { query: "a`b\n@everyone" }))).toBe("searching for `a b @everyone` …");
  });
});
