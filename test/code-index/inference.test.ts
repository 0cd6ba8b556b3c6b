import { describe, expect, it } from "vitest";
import { parseFileSymbols, SymbolIndex, type CallSite } from "../../src/code-index/symbol-index.js";
import { callersOf, code } from "../helpers/index-snippets.js";

const ai = code("class AI:", "    def call(self, prompt):", "        return prompt");

async function calls(path: string, text: string): Promise<readonly CallSite[]> {
  const symbols = await parseFileSymbols(path, text);
  if (symbols === undefined) throw new Error(`no grammar for ${path}`);
  return symbols.calls;
}

/** The receiver type of the call of `callee` (exactly one such call in the snippet). */
async function typeAt(path: string, text: string, callee: string): Promise<string | undefined> {
  const found = (await calls(path, text)).filter((call) => call.callee === callee);
  expect(found, `calls of ${callee}`).toHaveLength(1);
  return found[0]?.receiverType;
}

describe("Python receiver types", () => {
  it.each([
    ["self.x = Cls(...)", code("class P:", "    def __init__(self):", "        self.ai = AI('m')", "    def go(self):", "        self.ai.call()")],
    ["self.x: Cls = ...", code("class P:", "    def __init__(self, f):", "        self.ai: AI = f()", "    def go(self):", "        self.ai.call()")],
    ["self.x = p, p: Cls", code("class P:", "    def __init__(self, ai: AI):", "        self.ai = ai", "    def go(self):", "        self.ai.call()")],
    ["self.x = p, p: Optional[Cls]", code("class P:", "    def __init__(self, ai: Optional[AI] = None):", "        self.ai = ai", "    def go(self):", "        self.ai.call()")],
    ["self.x = p, p: Cls | None", code("class P:", "    def __init__(self, ai: AI | None):", "        self.ai = ai", "    def go(self):", "        self.ai.call()")],
    ["self.x = p, p: \"Cls\"", code("class P:", "    def __init__(self, ai: \"AI\"):", "        self.ai = ai", "    def go(self):", "        self.ai.call()")],
    ["a class-level annotation", code("@dataclass", "class P:", "    ai: AI", "    def go(self):", "        self.ai.call()")],
    ["a local x = Cls(...)", code("def go():", "    client = AI()", "    client.call()")],
    ["a parameter x: Cls", code("def go(client: AI):", "    client.call()")],
    ["a module-level x = Cls(...)", code("client = AI()", "def go():", "    client.call()")],
    ["a local copied from a typed attribute", code("class P:", "    def __init__(self, ai: AI):", "        self.ai = ai", "    def go(self):", "        ai = self.ai", "        ai.call()")],
    ["an aliased import", code("from agent.ai import AI as Client", "def go():", "    c = Client()", "    c.call()")],
  ])("infers AI from %s", async (_rule, text) => {
    expect(await typeAt("p.py", text, "call")).toBe("AI");
  });

  it("types self.m() as the method's own class and super().m() as the base class", async () => {
    const text = code("class Child(Base):", "    def go(self):", "        self.run()", "        super().run()");
    const methodCalls = (await calls("c.py", text)).filter((call) => call.receiver !== undefined);
    expect(methodCalls.map((call) => [call.receiver, call.receiverType])).toEqual([
      ["self", "Child"],
      ["super()", "Base"],
    ]);
  });

  it.each([
    ["a lower-case factory", code("def go():", "    client = make_client()", "    client.call()")],
    ["conflicting constructors", code("def go(flag):", "    client = AI()", "    if flag:", "        client = Notifier()", "    client.call()")],
    ["an unannotated parameter", code("client = AI()", "def go(client):", "    client.call()")],
    ["a static method's first parameter", code("class P:", "    @staticmethod", "    def go(client):", "        client.call()")],
    ["a parameter typed Any", code("def go(client: Any):", "    client.call()")],
  ])("infers nothing from %s", async (_rule, text) => {
    expect(await typeAt("p.py", text, "call")).toBeUndefined();
  });
});

describe("TypeScript and JavaScript receiver types", () => {
  it.each([
    ["a field x: Cls", code("class P {", "  private readonly ai: AI;", "  go() { this.ai.call(); }", "}")],
    ["a field x = new Cls()", code("class P {", "  ai = new AI();", "  go() { this.ai.call(); }", "}")],
    ["this.x = new Cls()", code("class P {", "  constructor() { this.ai = new AI(); }", "  go() { this.ai.call(); }", "}")],
    ["this.x = p, p: Cls", code("class P {", "  constructor(ai: AI) { this.ai = ai; }", "  go() { this.ai.call(); }", "}")],
    ["a constructor parameter property", code("class P {", "  constructor(private readonly ai: AI) {}", "  go() { this.ai.call(); }", "}")],
    ["an optional field Cls | undefined", code("class P {", "  ai?: AI | undefined;", "  go() { this.ai!.call(); }", "}")],
    ["a local const x = new Cls()", code("function go() {", "  const ai = new AI();", "  ai.call();", "}")],
    ["a generic constructor new Cls<T>()", code("const go = () => {", "  const ai = new AI<string>();", "  ai.call();", "};")],
    ["a parameter x: Cls", code("export function go(ai: AI) {", "  return ai.call();", "}")],
    ["an arrow function's parameter", code("export const go = async (ai: AI): Promise<void> => {", "  await ai.call();", "};")],
    ["a cast x as Cls", code("function go(raw: unknown) {", "  (raw as AI).call();", "}")],
  ])("infers AI from %s", async (_rule, text) => {
    expect(await typeAt("p.ts", text, "call")).toBe("AI");
  });

  it("types this.m() as the own class, also inside arrow callbacks", async () => {
    const text = code("class Store {", "  load() { [1].forEach(() => this.save()); }", "  save() {}", "}");
    expect(await typeAt("s.ts", text, "save")).toBe("Store");
  });

  it("infers from new in plain JavaScript, including class fields", async () => {
    const text = code("class P {", "  ai = new AI();", "  go() { this.ai.call(); const n = new Notifier(); n.send(); }", "}");
    expect(await typeAt("p.js", text, "call")).toBe("AI");
    expect(await typeAt("p.js", text, "send")).toBe("Notifier");
  });

  it("reads TSX: component definitions and JSX uses as calls", async () => {
    const text = code(
      "import { PlanList } from './plan-list.js';",
      "export const App = ({ api }: { api: ApiClient }) => {",
      "  const [steps] = useSteps(api);",
      "  return <main><PlanList steps={steps} /><div>{render()}</div></main>;",
      "};",
    );
    const symbols = await parseFileSymbols("web/App.tsx", text);
    expect(symbols?.language).toBe("tsx");
    expect(symbols?.definitions).toMatchObject([{ qualifiedName: "App", kind: "function", startLine: 2, endLine: 5 }]);
    expect(symbols?.calls.map((call) => `${call.line}:${call.callee}`)).toEqual(["3:useSteps", "4:PlanList", "4:render"]);
  });

  it("reads JSX in .jsx files with the JavaScript grammar", async () => {
    const symbols = await parseFileSymbols("Panel.jsx", code("export default function Panel() {", "  return <Card title='x' />;", "}"));
    expect(symbols?.language).toBe("javascript");
    expect(symbols?.definitions.map((d) => d.qualifiedName)).toEqual(["Panel"]);
    expect(symbols?.calls).toMatchObject([{ callee: "Card", enclosing: "Panel" }]);
  });
});

describe("Go receiver types", () => {
  const header = code("package agent", "", "type Planner struct {", "\tai     *AI", "\tbackup AI", "\tRunner", "}");

  it("names methods after the receiver type and types the receiver", async () => {
    const text = header + code("func (p *Planner) Plan() {", "\tp.Refine()", "}", "func (p Planner) Refine() {}");
    const symbols = await parseFileSymbols("agent/planner.go", text);
    expect(symbols?.definitions.map((d) => `${d.qualifiedName}:${d.kind}`)).toEqual([
      "Planner:class",
      "Planner.Plan:method",
      "Planner.Refine:method",
    ]);
    expect(symbols?.calls).toMatchObject([{ callee: "Refine", receiver: "p", receiverType: "Planner", enclosing: "Planner.Plan" }]);
  });

  it.each([
    ["a pointer field ai *AI", code("func (p *Planner) Plan() {", "\tp.ai.Call()", "}")],
    ["a value field backup AI", code("func (p Planner) Plan() {", "\tp.backup.Call()", "}")],
    ["a local x := &T{}", code("func plan() {", "\tx := &AI{}", "\tx.Call()", "}")],
    ["a local x := T{}", code("func plan() {", '\tx := AI{Model: "m"}', "\tx.Call()", "}")],
    ["var x T", code("func plan() {", "\tvar x AI", "\tx.Call()", "}")],
    ["a parameter x *T", code("func plan(x *AI) {", "\tx.Call()", "}")],
    ["a field of a local struct", code("func plan() {", "\tp := Planner{}", "\tp.ai.Call()", "}")],
  ])("infers AI from %s", async (_rule, fn) => {
    expect(await typeAt("agent/planner.go", header + fn, "Call")).toBe("AI");
  });

  it("treats an embedded struct as a field named after its type", async () => {
    const text = header + code("func (p *Planner) Plan() {", "\tp.Runner.Start()", "}");
    expect(await typeAt("agent/planner.go", text, "Start")).toBe("Runner");
  });
});

describe("callers", () => {
  it("lists an untyped receiver only when its name resembles the class, and never another known type", async () => {
    const text = code(
      "def go(ai, my_ai_client, helper, n: Notifier, AI_BACKUP):",
      "    ai.call('a')",
      "    my_ai_client.call('b')",
      "    helper.call('c')",
      "    n.call('d')",
      "    call('e')",
    );
    expect(await callersOf({ "ai.py": ai, "use.py": text }, "AI.call")).toEqual({ confirmed: [], possible: ["use.py:2", "use.py:3"] });
  });

  it("applies the same resemblance rule in TypeScript", async () => {
    const files = {
      "src/ai.ts": code("export class AI {", "  call(prompt: string) { return prompt; }", "}"),
      "src/use.ts": code("export function go(deps: any) {", "  deps.aiClient.call('a');", "  deps.cache.call('b');", "}"),
    };
    expect(await callersOf(files, "AI.call")).toEqual({ confirmed: [], possible: ["src/use.ts:2"] });
  });

  it("confirms self.m() inside the class and in subclasses that do not override m; an override may be reached", async () => {
    const files = {
      "ai.py": ai + code("    def twice(self):", "        self.call(1)"),
      "sub.py": code("from ai import AI", "class Chatty(AI):", "    def go(self):", "        self.call(2)"),
      "own.py": code("from ai import AI", "class Own(AI):", "    def call(self, prompt):", "        return super().call(prompt)", "    def go(self):", "        self.call(3)"),
    };
    expect(await callersOf(files, "AI.call")).toEqual({ confirmed: ["ai.py:5", "own.py:4", "sub.py:4"], possible: [] });
    // AI.twice's self may be an Own; Own's super().call() is AI's, never its own.
    expect(await callersOf(files, "Own.call")).toEqual({ confirmed: ["own.py:6"], possible: ["ai.py:5"] });
  });

  it("lists calls through a base class or interface as possible callers of an override", async () => {
    const ts = {
      "src/model.ts": code(
        "export interface ModelClient { stream(): void }",
        "export class OpenAIClient implements ModelClient { stream() {} }",
        "export class Run {",
        "  constructor(private readonly model: ModelClient) {}",
        "  go() { this.model.stream(); }",
        "}",
      ),
    };
    expect(await callersOf(ts, "OpenAIClient.stream")).toEqual({ confirmed: [], possible: ["src/model.ts:5"] });
    const py = {
      "jobs.py": code("class Job:", "    def run(self): pass", "class Upload(Job):", "    def run(self): pass", "def go(job: Job):", "    job.run()"),
    };
    expect(await callersOf(py, "Job.run")).toEqual({ confirmed: ["jobs.py:6"], possible: [] });
    expect(await callersOf(py, "Upload.run")).toEqual({ confirmed: [], possible: ["jobs.py:6"] });
  });

  it("does not take a module function for a method: filepath.Walk is not Indexer.Walk", async () => {
    const files = {
      "ix/ix.go": code("package ix", "type Indexer struct{}", "func (ix *Indexer) Walk() {}"),
      "main.go": code("package main", 'import "path/filepath"', "func main() {", '\tfilepath.Walk(".", nil)', "}"),
    };
    expect(await callersOf(files, "Indexer.Walk")).toEqual({ confirmed: [], possible: [] });
  });

  it("resolves top-level functions through the file itself, imports and module aliases", async () => {
    const files = {
      "pkg/util.py": code("def slug(text):", "    return text", "def title(text):", "    return slug(text)"),
      "a.py": code("from pkg.util import slug", "slug('a')"),
      "b.py": code("import pkg.util as u", "u.slug('b')"),
      "c.py": code("from pkg.util import slug as s", "s('c')"),
      "d.py": code("from other import slug", "slug('d')"),
      "e.py": code("def slug(x):", "    return x", "slug('e')"),
      "f.py": code("slug('f')"),
      "g.py": code("text.slug('g')"),
    };
    // f.py imports nothing: its slug() is a global or star import at best.
    expect(await callersOf(files, "slug", "pkg/util.py")).toEqual({
      confirmed: ["a.py:2", "b.py:2", "c.py:2", "pkg/util.py:4"],
      possible: ["f.py:1"],
    });
  });

  it("resolves TypeScript imports and Go packages", async () => {
    const ts = {
      "src/format.ts": code("export function slug(text: string) { return text; }"),
      "src/a.ts": code("import { slug } from './format.js';", "slug('a');"),
      "src/b.ts": code("import * as fmt from './format.js';", "fmt.slug('b');"),
      "src/c.ts": code("import { slug } from 'slugify';", "slug('c');"),
    };
    expect(await callersOf(ts, "slug")).toEqual({ confirmed: ["src/a.ts:2", "src/b.ts:2"], possible: [] });
    const go = {
      "util/slug.go": code("package util", "func Slug(s string) string { return s }", "func Title(s string) string { return Slug(s) }"),
      "util/other.go": code("package util", "func x() { Slug(\"same package\") }"),
      "cmd/main.go": code("package main", 'import "example.com/app/util"', "func main() {", '\tutil.Slug("a")', '\tSlug("not this package")', "}"),
    };
    expect(await callersOf(go, "Slug")).toEqual({ confirmed: ["cmd/main.go:4", "util/other.go:2", "util/slug.go:3"], possible: [] });
  });

  it("confirms calls of a nested function only from inside its parent", async () => {
    const text = code("def outer():", "    def inner():", "        return 1", "    return inner()", "def other():", "    return inner()");
    const symbols = await parseFileSymbols("n.py", text);
    expect(symbols?.definitions.map((d) => d.qualifiedName)).toEqual(["outer", "outer.inner", "other"]);
    expect(await callersOf({ "n.py": text }, "outer.inner")).toEqual({ confirmed: ["n.py:4"], possible: [] });
  });

  it("ignores calls from another language family", async () => {
    const files = { "ai.py": ai, "web/app.js": code("function go(ai) { return ai.call('x'); }") };
    expect(await callersOf(files, "AI.call")).toEqual({ confirmed: [], possible: [] });
  });
});

describe("definition ranges", () => {
  it("starts Python and TypeScript definitions after their decorators", async () => {
    const py = await parseFileSymbols("d.py", code("@dataclass", "class A:", "    @property", "    def x(self):", "        return 1"));
    expect(py?.definitions.map((d) => [d.qualifiedName, d.startLine, d.endLine, d.signature])).toEqual([
      ["A", 2, 5, "class A:"],
      ["A.x", 4, 5, "def x(self):"],
    ]);
    const ts = await parseFileSymbols("d.ts", code("@Component({})", "export class A {", "  @Input()", "  x(): void {}", "}"));
    expect(ts?.definitions.map((d) => [d.qualifiedName, d.startLine, d.endLine])).toEqual([
      ["A", 2, 5],
      ["A.x", 4, 4],
    ]);
  });

  it("uses the called name's line for a call chained over several lines, and clips long lines", async () => {
    const long = `x = "${"a".repeat(300)}".strip()`;
    const found = await calls("c.py", code("result = (client", "    .first()", "    .second())", long));
    expect(found.map((call) => `${call.line}:${call.callee}`)).toEqual(["2:first", "3:second", "4:strip"]);
    expect(found[2]?.text).toHaveLength(200);
  });
});

describe("building a large index", () => {
  // No timing assertion: this guards against re-loading grammars or leaking trees per file,
  // which would make 2,000 files take minutes or run out of WASM memory.
  const python = (i: number) =>
    code("from core.ai import AI", `class Worker${i}:`, "    def __init__(self, ai: AI):", "        self.ai = ai", "    def run(self):", "        return self.ai.call('x')");
  const typescript = (i: number) =>
    code(`export class Store${i} {`, "  constructor(private readonly api: ApiClient) {}", "  load() { return this.api.call('/x'); }", "}");
  const go = (i: number) => code(`package pkg${i % 20}`, `type T${i} struct{ ai *AI }`, `func (t *T${i}) Run() { t.ai.Call() }`);

  it("indexes 2,000 small files and still resolves calls across them", async () => {
    const files = [{ path: "core/ai.py", text: ai }];
    for (let i = 0; i < 1_999; i++) {
      const path = `pkg${i % 20}/mod${i}`;
      if (i % 3 === 0) files.push({ path: `${path}.py`, text: python(i) });
      else if (i % 3 === 1) files.push({ path: `${path}.ts`, text: typescript(i) });
      else files.push({ path: `${path}.go`, text: go(i) });
    }
    const index = await SymbolIndex.build(files);
    expect(index.fileCount).toBe(2_000);
    const call = index.lookup("AI.call")[0];
    if (call === undefined) throw new Error("AI.call is not indexed");
    expect(index.callers(call).confirmed).toHaveLength(667);
  });
});
