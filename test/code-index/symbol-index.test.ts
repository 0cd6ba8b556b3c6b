import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { languageOf, SymbolIndex, type CallSite, type Definition } from "../../src/code-index/symbol-index.js";

// The fixture is a small agent project: AI.call is used from exactly Planner.plan_steps,
// Planner.refine and CodeGenerator.generate; Orchestrator.run calls Notifier.call; web/src has an
// unrelated ApiClient.call; vendor/ and dist/ hold look-alike calls that must not be confirmed.
const ROOT = fileURLToPath(new URL("../fixtures/agent-repo/", import.meta.url));

/** Every file of the fixture a grammar reads, vendored and generated ones included. */
function sourceFiles(): Array<{ path: string; text: string }> {
  return readdirSync(ROOT, { recursive: true, encoding: "utf8" })
    .map((path) => path.split("\\").join("/"))
    .filter((path) => languageOf(path) !== undefined)
    .sort()
    .map((path) => ({ path, text: readFileSync(ROOT + path, "utf8") }));
}

function where(calls: readonly CallSite[]): Array<{ path: string; line: number; enclosing: string | undefined }> {
  return calls.map(({ path, line, enclosing }) => ({ path, line, enclosing }));
}

let index: SymbolIndex;

function only(name: string, kind?: Definition["kind"]): Definition {
  const found = index.lookup(name).filter((definition) => kind === undefined || definition.kind === kind);
  expect(found, `definitions named ${name}`).toHaveLength(1);
  return found[0] as Definition;
}

beforeAll(async () => {
  index = await SymbolIndex.build(sourceFiles());
});

describe("SymbolIndex over the agent fixture", () => {
  it("parses the Python, TypeScript, JavaScript and Go files and nothing else", () => {
    expect(index.fileCount).toBe(12);
    expect(index.definitionsIn("README.md")).toEqual([]);
    expect(index.definitionsIn("web/src/api.ts").map((d) => [d.qualifiedName, d.kind])).toEqual([
      ["PlanResponse", "interface"],
      ["ApiClient", "class"],
      ["ApiClient.constructor", "method"],
      ["ApiClient.call", "method"],
    ]);
  });

  it("gives AI.call its exact line range and first line", () => {
    expect(only("AI.call")).toEqual({
      name: "call",
      qualifiedName: "AI.call",
      kind: "method",
      path: "agent/ai.py",
      startLine: 13,
      endLine: 24,
      signature: "def call(self, prompt: str, system: str | None = None) -> str:",
    });
    expect(only("AI", "class")).toMatchObject({ path: "agent/ai.py", startLine: 5, endLine: 27 });
  });

  it("looks definitions up by simple or qualified name, case-insensitively only as a fallback", () => {
    expect(index.lookup("call").map((d) => d.qualifiedName)).toEqual(["AI.call", "Notifier.call", "ApiClient.call"]);
    expect(index.lookup("planner.PLAN_STEPS").map((d) => d.qualifiedName)).toEqual(["Planner.plan_steps"]);
    // "AI" exists exactly (the Python class and the minified bundle's `var AI = function`), so "ai" is not folded in.
    expect(index.lookup("AI").map((d) => `${d.path}:${d.kind}`)).toEqual(["agent/ai.py:class", "dist/bundle.min.js:function"]);
    expect(index.lookup("NoSuchThing")).toEqual([]);
  });

  it("finds exactly the three methods that call AI.call, with their lines", () => {
    const { confirmed } = index.callers(only("AI.call"));
    expect(where(confirmed)).toEqual([
      { path: "agent/codegen.py", line: 12, enclosing: "CodeGenerator.generate" },
      { path: "agent/planner.py", line: 12, enclosing: "Planner.plan_steps" },
      { path: "agent/planner.py", line: 17, enclosing: "Planner.refine" },
    ]);
    expect(confirmed.every((call) => call.receiver === "self.ai" && call.receiverType === "AI")).toBe(true);
  });

  it("does not count Notifier.call, ApiClient.call or the minified bundle as callers of AI.call", () => {
    const { confirmed, possible } = index.callers(only("AI.call"));
    const all = [...confirmed, ...possible];
    expect(all.some((call) => call.enclosing?.startsWith("Orchestrator") === true)).toBe(false);
    expect(all.some((call) => call.path.startsWith("web/") || call.path.startsWith("dist/"))).toBe(false);
    // The vendored helper's `ai.call(prompt)` has an untyped receiver named like the class.
    expect(where(possible)).toEqual([{ path: "vendor/shim/client.py", line: 3, enclosing: "forward" }]);
  });

  it("finds Orchestrator.run's two calls of Notifier.call", () => {
    const { confirmed, possible } = index.callers(only("Notifier.call"));
    expect(where(confirmed)).toEqual([
      { path: "agent/orchestrator.py", line: 17, enclosing: "Orchestrator.run" },
      { path: "agent/orchestrator.py", line: 21, enclosing: "Orchestrator.run" },
    ]);
    expect(possible).toEqual([]);
  });

  it("finds PlanView.load as the one caller of ApiClient.call", () => {
    const { confirmed, possible } = index.callers(only("ApiClient.call"));
    expect(confirmed).toEqual([
      {
        path: "web/src/plan-view.ts",
        line: 11,
        callee: "call",
        receiver: "this.api",
        receiverType: "ApiClient",
        enclosing: "PlanView.load",
        text: "const plan = (await this.api.call(`/plans/${issue}`)) as PlanResponse;",
      },
    ]);
    expect(possible).toEqual([]);
  });

  it("counts constructor calls as callers of a class", () => {
    expect(where(index.callers(only("AI", "class")).confirmed)).toEqual([
      { path: "agent/orchestrator.py", line: 10, enclosing: "Orchestrator.__init__" },
    ]);
    expect(where(index.callers(only("Planner", "class")).confirmed)).toEqual([
      { path: "agent/orchestrator.py", line: 11, enclosing: "Orchestrator.__init__" },
      { path: "tests/test_planner.py", line: 10, enclosing: "test_format_strips_bullets" },
    ]);
    expect(where(index.callers(only("ApiClient", "class")).confirmed)).toEqual([
      { path: "web/src/plan-view.ts", line: 7, enclosing: "PlanView.constructor" },
    ]);
  });

  it("reads the Go tool: Indexer.Walk, its call in main, and not filepath.Walk", () => {
    const walk = only("Indexer.Walk");
    expect(walk).toMatchObject({ name: "Walk", kind: "method", path: "tools/indexer/main.go", startLine: 14, endLine: 23 });
    expect(walk.signature).toBe("func (ix *Indexer) Walk() ([]string, error) {");
    const { confirmed, possible } = index.callers(walk);
    expect(confirmed).toMatchObject([{ line: 27, receiver: "ix", receiverType: "Indexer", enclosing: "main" }]);
    expect(possible).toEqual([]);
    expect(index.callsIn("tools/indexer/main.go")).toContainEqual(
      expect.objectContaining({ line: 16, callee: "Walk", receiver: "filepath", enclosing: "Indexer.Walk" }),
    );
    expect(only("Indexer", "class")).toMatchObject({ startLine: 10, endLine: 12, signature: "type Indexer struct {" });
    expect(where(index.callers(only("Indexer", "class")).confirmed)).toEqual([
      { path: "tools/indexer/main.go", line: 26, enclosing: "main" },
    ]);
  });

  it("tells the innermost definition around a line", () => {
    expect(index.enclosing("agent/planner.py", 12)?.qualifiedName).toBe("Planner.plan_steps");
    expect(index.enclosing("agent/planner.py", 10)?.qualifiedName).toBe("Planner");
    expect(index.enclosing("agent/planner.py", 4)).toBeUndefined();
    expect(index.enclosing("no/such/file.py", 1)).toBeUndefined();
  });
});

describe("SymbolIndex.build on a large repository", () => {
  it("lets the event loop turn while it parses, so webhooks and other answers are not held up", async () => {
    // ~400 KB of source: parsed in one go, this would hold the loop for a fifth of a second or more.
    const files = Array.from({ length: 60 }, (_, copy) => sourceFiles().map((f) => ({ path: `pkg${copy}/${f.path}`, text: f.text }))).flat();
    expect(files.reduce((bytes, f) => bytes + f.text.length, 0)).toBeGreaterThan(300_000);
    let turns = 0;
    const count = (): void => {
      turns++;
      pending = setImmediate(count);
    };
    let pending = setImmediate(count);
    const built = await SymbolIndex.build(files);
    clearImmediate(pending);
    expect(built.fileCount).toBe(files.length);
    // Parsed in worker threads, indexed here in slices: the loop turns while both go on.
    expect(turns).toBeGreaterThanOrEqual(5);
  });
});
