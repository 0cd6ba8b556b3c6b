import { describe, expect, it } from "vitest";
import { referenceSummary, verifyReferences, type CodeFacts, type SymbolLocation } from "../../src/planning/verify-references.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const BLOB = `https://github.com/acme/tinyagent/blob/${SHA}`;

const DEFINITIONS: SymbolLocation[] = [
  { path: "agent/ai.py", startLine: 5, endLine: 27, kind: "class", qualifiedName: "AI" },
  { path: "agent/ai.py", startLine: 13, endLine: 24, kind: "method", qualifiedName: "AI.call" },
  { path: "agent/planner.py", startLine: 7, endLine: 22, kind: "class", qualifiedName: "Planner" },
  { path: "agent/planner.py", startLine: 11, endLine: 13, kind: "method", qualifiedName: "Planner.plan_steps" },
  { path: "agent/codegen.py", startLine: 7, endLine: 18, kind: "class", qualifiedName: "CodeGenerator" },
  { path: "agent/codegen.py", startLine: 11, endLine: 14, kind: "method", qualifiedName: "CodeGenerator.generate" },
  { path: "agent/notify.py", startLine: 10, endLine: 12, kind: "method", qualifiedName: "Notifier.call" },
];

function lookup(name: string): SymbolLocation[] {
  const matches = (exact: boolean) =>
    DEFINITIONS.filter((d) => {
      const simple = d.qualifiedName.split(".").pop() as string;
      const eq = (a: string, b: string) => (exact ? a === b : a.toLowerCase() === b.toLowerCase());
      return eq(d.qualifiedName, name) || eq(simple, name);
    });
  const exact = matches(true);
  return exact.length > 0 ? exact : matches(false);
}

const FACTS: CodeFacts = {
  htmlUrl: "https://github.com/acme/tinyagent",
  sha: SHA,
  paths: new Set(["agent/ai.py", "agent/planner.py", "agent/codegen.py", "agent/notify.py", "README.md", "web/src/api.ts"]),
  lineCount: (path) => (path === "agent/ai.py" ? 27 : undefined),
  lookup,
};

describe("verifyReferences", () => {
  it("links files and symbols that exist at the commit, with line ranges", () => {
    const { text, references } = verifyReferences("1. In `agent/ai.py`, change `AI.call` and `Planner.plan_steps()`.", FACTS);
    expect(text).toBe(
      `1. In [\`agent/ai.py\`](${BLOB}/agent/ai.py), change [\`AI.call\`](${BLOB}/agent/ai.py#L13-L24) and [\`Planner.plan_steps()\`](${BLOB}/agent/planner.py#L11-L13).`,
    );
    expect(references.map((r) => r.status)).toEqual(["linked", "linked", "linked"]);
  });

  it("marks a method that does not exist on the named class as unverified, even when the name exists elsewhere", () => {
    const { text, references } = verifyReferences("Replace `AI.stream_call` and `AI.generate` with streaming.", FACTS);
    expect(text).toBe("Replace `AI.stream_call` ⚠️ *unverified* and `AI.generate` ⚠️ *unverified* with streaming.");
    expect(references).toEqual([
      { text: "AI.stream_call", status: "unverified" },
      { text: "AI.generate", status: "unverified" },
    ]);
  });

  it("resolves receivers written as instance attributes (self.ai.call, self.codegen.generate)", () => {
    const { text } = verifyReferences("`self.ai.call` is used by `self.codegen.generate`; `self.notifier.call` is not the AI.", FACTS);
    expect(text).toContain(`[\`self.ai.call\`](${BLOB}/agent/ai.py#L13-L24)`);
    expect(text).toContain(`[\`self.codegen.generate\`](${BLOB}/agent/codegen.py#L11-L14)`);
    expect(text).toContain(`[\`self.notifier.call\`](${BLOB}/agent/notify.py#L10-L12)`);
  });

  it("keeps names the model marked (new) as they are, and marks unmarked missing files", () => {
    const { text, references } = verifyReferences("Add `agent/stream.py` (new) with `StreamingAI` (new class). Edit `agent/streaming.py`.", FACTS);
    expect(text).toBe("Add `agent/stream.py` (new) with `StreamingAI` (new class). Edit `agent/streaming.py` ⚠️ *unverified*.");
    expect(references.map((r) => r.status)).toEqual(["new", "new", "unverified"]);
  });

  it("checks line references against the file's length", () => {
    const { text } = verifyReferences("See `agent/ai.py:13-24` and `agent/ai.py:90`.", FACTS);
    expect(text).toBe(`See [\`agent/ai.py:13-24\`](${BLOB}/agent/ai.py#L13-L24) and \`agent/ai.py:90\` ⚠️ *unverified*.`);
  });

  it("links a unique bare file name and directories", () => {
    const { text } = verifyReferences("Look at `planner.py` in `agent/`.", FACTS);
    expect(text).toBe(
      `Look at [\`planner.py\`](${BLOB}/agent/planner.py) in [\`agent/\`](https://github.com/acme/tinyagent/tree/${SHA}/agent).`,
    );
  });

  it("leaves values, commands, keywords and plain words alone, and never touches fenced code", () => {
    const input = [
      "Set `stream=True`, run `npm test`, return `None`, pass `true`, mention `stream`.",
      "```python",
      "self.ai.missing_method()  # `AI.nope`",
      "```",
      "~~~",
      "`AI.nope2`",
      "~~~",
    ].join("\n");
    const { text, references } = verifyReferences(input, FACTS);
    expect(text).toBe(input);
    expect(references).toEqual([]);
  });

  it("keeps the target of a span that is already a link, but still marks a name that does not exist", () => {
    const input = "[`AI.nope`](https://example.com) and [`agent/ai.py`](https://example.com/x)";
    const { text, references } = verifyReferences(input, FACTS);
    expect(text).toBe("[`AI.nope`](https://example.com) ⚠️ *unverified* and [`agent/ai.py`](https://example.com/x)");
    expect(references).toEqual([
      { text: "AI.nope", status: "unverified" },
      { text: "agent/ai.py", status: "linked", url: "https://example.com/x" },
    ]);
  });

  it("does not mark twice what an earlier answer already marked (the model copies its own text)", () => {
    const earlier = verifyReferences("Add `AI.stream_call` to `agent/ai.py`.", FACTS).text;
    const again = verifyReferences(`${earlier}\nThen call it.`, FACTS);
    expect(again.text).toBe(`${earlier}\nThen call it.`);
    expect(again.references.map((r) => r.status)).toEqual(["unverified", "linked"]);
  });

  it("marks a missing snake_case or CamelCase name, but links an existing bare lowercase one", () => {
    const { text } = verifyReferences("`plan_stream` `PlanStreamer` `generate`", FACTS);
    expect(text).toBe(`\`plan_stream\` ⚠️ *unverified* \`PlanStreamer\` ⚠️ *unverified* [\`generate\`](${BLOB}/agent/codegen.py#L11-L14)`);
  });

  it("encodes paths in links", () => {
    const facts = { ...FACTS, paths: new Set(["docs/a b#c.md"]) };
    expect(verifyReferences("`docs/a b#c.md`", facts).text).toBe("`docs/a b#c.md`");
    const spaced = { ...FACTS, paths: new Set(["docs/über.md"]) };
    expect(verifyReferences("`docs/über.md`", spaced).text).toBe(`[\`docs/über.md\`](${BLOB}/docs/%C3%BCber.md)`);
  });
});

describe("referenceSummary", () => {
  it("counts each status against the short commit", () => {
    expect(
      referenceSummary(
        [
          { text: "a", status: "linked", url: "u" },
          { text: "b", status: "new" },
          { text: "c", status: "unverified" },
          { text: "d", status: "linked", url: "u" },
        ],
        SHA,
      ),
    ).toBe("References checked against `0123456`: 2 linked, 1 new, 1 ⚠️ not found");
    expect(referenceSummary([], SHA)).toBeUndefined();
  });
});
