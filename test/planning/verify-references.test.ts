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

/** Like the symbol index: by simple or qualified name, exact case first, then any case. */
function lookupIn(definitions: readonly SymbolLocation[]): (name: string) => SymbolLocation[] {
  return (name) => {
    const matches = (exact: boolean) =>
      definitions.filter((d) => {
        const simple = d.qualifiedName.split(".").pop() as string;
        const eq = (a: string, b: string) => (exact ? a === b : a.toLowerCase() === b.toLowerCase());
        return eq(d.qualifiedName, name) || eq(simple, name);
      });
    const exact = matches(true);
    return exact.length > 0 ? exact : matches(false);
  };
}

const lookup = lookupIn(DEFINITIONS);

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

/** FACTS with more definitions and files. */
function factsWith(definitions: readonly SymbolLocation[], paths: readonly string[] = []): CodeFacts {
  return { ...FACTS, paths: new Set([...FACTS.paths, ...paths]), lookup: lookupIn([...DEFINITIONS, ...definitions]) };
}

const BETA: SymbolLocation = { path: "agent/util.py", startLine: 3, endLine: 4, kind: "function", qualifiedName: "beta" };
const ALPHA: SymbolLocation = { path: "agent/util.py", startLine: 6, endLine: 8, kind: "function", qualifiedName: "alpha" };

describe("verifyReferences: names that look like files", () => {
  it("falls back to the symbols when no such file exists (`Tee.go` is a method go of Tee)", () => {
    const facts = factsWith([
      { path: "pipe/tee.go", startLine: 4, endLine: 9, kind: "class", qualifiedName: "Tee" },
      { path: "pipe/tee.go", startLine: 11, endLine: 15, kind: "method", qualifiedName: "Tee.go" },
      { path: "agent/lock.py", startLine: 2, endLine: 20, kind: "class", qualifiedName: "Lock" },
      { path: "agent/lock.py", startLine: 5, endLine: 7, kind: "method", qualifiedName: "Lock.lock" },
      { path: "agent/lock.py", startLine: 9, endLine: 12, kind: "method", qualifiedName: "Lock.json" },
    ]);
    const { text, references } = verifyReferences("`Tee.go`, `Lock.lock`, `Lock.json`; not `Lock.yaml` or `pipe/tee.py`.", facts);
    expect(text).toBe(
      `[\`Tee.go\`](${BLOB}/pipe/tee.go#L11-L15), [\`Lock.lock\`](${BLOB}/agent/lock.py#L5-L7), ` +
        `[\`Lock.json\`](${BLOB}/agent/lock.py#L9-L12); not \`Lock.yaml\` ⚠️ *unverified* or \`pipe/tee.py\` ⚠️ *unverified*.`,
    );
    expect(references.map((r) => r.status)).toEqual(["linked", "linked", "linked", "unverified", "unverified"]);
  });
});

describe("verifyReferences: only where Markdown renders a code span", () => {
  const facts = factsWith([ALPHA, BETA]);

  it("skips indented code blocks, but not list continuation or paragraph continuation lines", () => {
    const input = [
      "Intro to `AI.call`,",
      "    continued with `AI.call`.",
      "",
      "    x = `beta`",
      "\t`AI.nope`",
      "",
      "1. Step one uses `AI.call`.",
      "",
      "    Still step one: `AI.call`.",
      "",
      "        code in the item: `AI.nope`",
      "",
      "   Back in step one: `AI.call`.",
    ].join("\n");
    const link = `[\`AI.call\`](${BLOB}/agent/ai.py#L13-L24)`;
    const { text, references } = verifyReferences(input, facts);
    expect(text).toBe(
      [
        `Intro to ${link},`,
        `    continued with ${link}.`,
        "",
        "    x = `beta`",
        "\t`AI.nope`",
        "",
        `1. Step one uses ${link}.`,
        "",
        `    Still step one: ${link}.`,
        "",
        "        code in the item: `AI.nope`",
        "",
        `   Back in step one: ${link}.`,
      ].join("\n"),
    );
    expect(references).toHaveLength(5);
  });

  it("sees fences indented under a list item, and ends an unclosed one with its item", () => {
    const input = [
      "10. Step ten:",
      "    ```ts",
      "    const x = [`beta`];",
      "    ```",
      "11. Run:",
      "    ```sh",
      "    make `AI.nope`",
      "12. Then `beta`.",
    ].join("\n");
    const { text, references } = verifyReferences(input, facts);
    expect(text).toBe(input.replace("12. Then `beta`.", `12. Then [\`beta\`](${BLOB}/agent/util.py#L3-L4).`));
    expect(references).toEqual([{ text: "beta", status: "linked", url: `${BLOB}/agent/util.py#L3-L4` }]);
  });

  it("pairs backtick runs as CommonMark does, and leaves spans of two or more backticks alone", () => {
    const input = "Write `` `alpha` `` and ``AI.nope``, then `beta`.\nUse ` and\nthen `AI.nope` here.";
    const { text, references } = verifyReferences(input, facts);
    // The lone backtick on the second line closes at the one before `AI.nope`: no span there.
    expect(text).toBe(input.replace("`beta`", `[\`beta\`](${BLOB}/agent/util.py#L3-L4)`));
    expect(references.map((r) => r.text)).toEqual(["beta"]);
  });

  it("leaves spans inside a link's text alone, and still checks a span that is the whole text", () => {
    // A reference link is one only when its label is defined (CommonMark; issue 9 made the reader exact).
    const input = "See [the `beta` helper](https://example.com/y), [a `AI.nope` ref][1] and [`alpha`](<https://example.com/z> \"t\").\n\n[1]: https://example.com/r";
    const { text, references } = verifyReferences(input, facts);
    expect(text).toBe(input);
    expect(references).toEqual([{ text: "alpha", status: "linked", url: "https://example.com/z" }]);
  });

  it("skips HTML comments, inline or over several lines", () => {
    const input = ["<!-- `alpha` -->", "Text <!-- `AI.nope` --> `AI.call`.", "<!--", "`AI.nope`", "", "`alpha`", "-->", "`beta`"].join("\n");
    const { text, references } = verifyReferences(input, facts);
    expect(text).toBe(
      input.replace("`AI.call`", `[\`AI.call\`](${BLOB}/agent/ai.py#L13-L24)`).replace(/`beta`$/, `[\`beta\`](${BLOB}/agent/util.py#L3-L4)`),
    );
    expect(references.map((r) => r.text)).toEqual(["AI.call", "beta"]);
  });

  it("gives back its own output unchanged", () => {
    const once = verifyReferences("1. Edit `agent/ai.py` and `AI.nope`.\n\n    `AI.call`\n\n- [`beta`](https://example.com) `alpha`", facts).text;
    expect(verifyReferences(once, facts).text).toBe(once);
  });
});

describe("verifyReferences: the languages' own names", () => {
  it("leaves standard-library, builtin and environment names alone when the repository does not define them", () => {
    const input =
      "`json.loads`, `print()`, `Promise.all`, `os.environ`, `setTimeout()`, `console.error`, `Array.from`, `OPENAI_API_KEY`, `process.env`, `Map`";
    // The repository's only `error` method is not `console.error`, nor its `map()` the global `Map`.
    const facts = factsWith(
      [
        { path: "agent/log.py", startLine: 3, endLine: 5, kind: "method", qualifiedName: "Logger.error" },
        { path: "agent/funcs.py", startLine: 1, endLine: 2, kind: "function", qualifiedName: "map" },
      ],
      ["config/.env"],
    );
    const { text, references } = verifyReferences(input, facts);
    expect(text).toBe(input);
    expect(references).toEqual([]);
  });

  it("links them when the repository defines them, and still marks a missing file named like a module", () => {
    const facts = factsWith(
      [
        { path: "agent/settings.py", startLine: 2, endLine: 2, kind: "variable", qualifiedName: "CONFIG_PATH" },
        { path: "agent/json.py", startLine: 4, endLine: 9, kind: "function", qualifiedName: "loads" },
      ],
      ["agent/json.py", "agent/settings.py"],
    );
    const { text } = verifyReferences("`CONFIG_PATH`, `json.loads`, `path.ts`", facts);
    expect(text).toBe(
      `[\`CONFIG_PATH\`](${BLOB}/agent/settings.py#L2), [\`json.loads\`](${BLOB}/agent/json.py#L4-L9), \`path.ts\` ⚠️ *unverified*`,
    );
  });
});

describe("verifyReferences: files", () => {
  it("counts a file name found in several places as verified, without a link", () => {
    const facts = factsWith([], ["pkg/a/__init__.py", "pkg/b/__init__.py", "docs/README.md"]);
    const { text, references } = verifyReferences("`__init__.py` and `README.md`", facts);
    expect(text).toBe(`\`__init__.py\` and [\`README.md\`](${BLOB}/README.md)`);
    expect(references).toEqual([
      { text: "__init__.py", status: "linked" },
      { text: "README.md", status: "linked", url: `${BLOB}/README.md` },
    ]);
    expect(referenceSummary(references, SHA)).toBe("References checked against `0123456`: 2 linked");
  });

  it("links a dotfile named alone (`.env`), but reads a dot-word the commit has no file of as no reference", () => {
    const facts = factsWith([], ["config/.env", "src/app.ts"]);
    const { text, references } = verifyReferences("Set it in `.env`; `.then` is a method.", facts);
    expect(text).toBe(`Set it in [\`.env\`](${BLOB}/config/.env); \`.then\` is a method.`);
    expect(references).toEqual([{ text: ".env", status: "linked", url: `${BLOB}/config/.env` }]);
  });

  it("links the real path of a name written in another case, when only one matches", () => {
    const { text } = verifyReferences("`readme.md`, `Agent/AI.py`, `Web/`, `API.ts`", FACTS);
    expect(text).toBe(
      `[\`readme.md\`](${BLOB}/README.md), [\`Agent/AI.py\`](${BLOB}/agent/ai.py), ` +
        `[\`Web/\`](https://github.com/acme/tinyagent/tree/${SHA}/web), [\`API.ts\`](${BLOB}/web/src/api.ts)`,
    );
  });

  it("accepts the usual ways of saying a name is new, and nothing looser", () => {
    const input = [
      "`agent/a.py` — new",
      "`agent/b.py` (to be created)",
      "`agent/c.py` (to be added)",
      "`agent/d.py` (added)",
      "`agent/e.py` (create)",
      "`agent/f.py` (new module)",
      "`agent/g.py` (newer)",
      "`agent/h.py` — renewed",
    ].join("\n\n");
    const { references } = verifyReferences(input, FACTS);
    expect(references.map((r) => r.status)).toEqual(["new", "new", "new", "new", "new", "new", "unverified", "unverified"]);
  });
});

describe("verifyReferences on class chains and inherited members", () => {
  const JAVA: SymbolLocation[] = [
    { path: "src/TypeSpec.java", startLine: 30, endLine: 500, kind: "class", qualifiedName: "TypeSpec" },
    { path: "src/TypeSpec.java", startLine: 400, endLine: 490, kind: "class", qualifiedName: "TypeSpec.Builder" },
    { path: "src/TypeSpec.java", startLine: 440, endLine: 443, kind: "method", qualifiedName: "TypeSpec.Builder.addJavadoc" },
    { path: "src/FieldSpec.java", startLine: 20, endLine: 200, kind: "class", qualifiedName: "FieldSpec" },
    { path: "src/FieldSpec.java", startLine: 100, endLine: 190, kind: "class", qualifiedName: "FieldSpec.Builder" },
    { path: "src/FieldSpec.java", startLine: 124, endLine: 127, kind: "method", qualifiedName: "FieldSpec.Builder.addJavadoc" },
    { path: "src/sessions.py", startLine: 90, endLine: 300, kind: "class", qualifiedName: "SessionRedirectMixin" },
    { path: "src/sessions.py", startLine: 159, endLine: 280, kind: "method", qualifiedName: "SessionRedirectMixin.resolve_redirects" },
    { path: "src/sessions.py", startLine: 350, endLine: 800, kind: "class", qualifiedName: "Session" },
  ];
  const facts: CodeFacts = {
    ...FACTS,
    lookup: lookupIn(JAVA),
    inherited: (owner, name) =>
      owner === "Session" && name === "resolve_redirects" ? JAVA.filter((d) => d.qualifiedName === "SessionRedirectMixin.resolve_redirects") : [],
  };

  it("links a nested class's member to the class the whole chain names, after any package path", () => {
    const { text } = verifyReferences(
      "`TypeSpec.Builder.addJavadoc` `FieldSpec.Builder.addJavadoc` `com.squareup.javapoet.TypeSpec.Builder.addJavadoc` `TypeSpec.Builder.nope`",
      facts,
    );
    expect(text).toBe(
      [
        `[\`TypeSpec.Builder.addJavadoc\`](${BLOB}/src/TypeSpec.java#L440-L443)`,
        `[\`FieldSpec.Builder.addJavadoc\`](${BLOB}/src/FieldSpec.java#L124-L127)`,
        `[\`com.squareup.javapoet.TypeSpec.Builder.addJavadoc\`](${BLOB}/src/TypeSpec.java#L440-L443)`,
        "`TypeSpec.Builder.nope` ⚠️ *unverified*",
      ].join(" "),
    );
  });

  it("links a member a class inherits to its base class's definition", () => {
    expect(verifyReferences("`Session.resolve_redirects`", facts).text).toBe(`[\`Session.resolve_redirects\`](${BLOB}/src/sessions.py#L159-L280)`);
    expect(verifyReferences("`Session.resolve_nothing`", facts).text).toBe("`Session.resolve_nothing` ⚠️ *unverified*");
  });
});

describe("verifyReferences on TypeScript private members", () => {
  const TS: SymbolLocation[] = [
    { path: "source/Ky.ts", startLine: 10, endLine: 900, kind: "class", qualifiedName: "Ky" },
    { path: "source/Ky.ts", startLine: 270, endLine: 280, kind: "method", qualifiedName: "Ky.#cancelBody" },
  ];
  const facts: CodeFacts = { ...FACTS, lookup: lookupIn(TS) };
  const link = `${BLOB}/source/Ky.ts#L270-L280`;

  it("checks `#name` members like any other, but leaves an unknown bare `#name` alone (`#include`)", () => {
    expect(verifyReferences("`Ky.#cancelBody` `#cancelBody()` `Ky.#nothing` `#include` `#123`", facts).text).toBe(
      `[\`Ky.#cancelBody\`](${link}) [\`#cancelBody()\`](${link}) \`Ky.#nothing\` ⚠️ *unverified* \`#include\` \`#123\``,
    );
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
