import { describe, expect, it } from "vitest";
import { LANGUAGE_VERSION, MIN_COMPATIBLE_VERSION } from "web-tree-sitter";
import { isTagged, languageOf, parserFor, type TaggedLanguage } from "../../src/code-index/languages.js";
import { parseFileSymbols } from "../../src/code-index/symbol-index.js";
import { tagsQueryFor } from "../../src/code-index/tags.js";

describe("languageOf", () => {
  it.each([
    ["agent/ai.py", "python"],
    ["src/index.ts", "typescript"],
    ["src/types.d.ts", "typescript"],
    ["lib/a.mts", "typescript"],
    ["lib/a.cts", "typescript"],
    ["web/App.tsx", "tsx"],
    ["dist/bundle.min.js", "javascript"],
    ["a.mjs", "javascript"],
    ["a.cjs", "javascript"],
    ["web/App.jsx", "javascript"],
    ["tools/indexer/main.go", "go"],
    ["SHOUTING.PY", "python"],
    ["src/main/java/com/acme/UserService.java", "java"],
    ["src/lib.rs", "rust"],
    ["lib/billing/invoice.rb", "ruby"],
    ["lib/tasks/db.rake", "ruby"],
    ["Orders/OrderService.cs", "csharp"],
  ])("reads %s as %s", (path, language) => {
    expect(languageOf(path)).toBe(language);
  });

  it.each(["README.md", "assets/logo.png", "debug.log", "Makefile", "src/.ts", "dir.py/notes", "a.kt", "a.cpp", "a.php", "Gemfile"])(
    "has no grammar for %s",
    (path) => {
      expect(languageOf(path)).toBeUndefined();
    },
  );
});

describe("parserFor", () => {
  it("loads each grammar once and hands out the same parser afterwards", async () => {
    const [first, second] = await Promise.all([parserFor("go"), parserFor("go")]);
    expect(first).toBe(second);
    expect(await parserFor("go")).toBe(first);
    expect(await parserFor("python")).not.toBe(first);
  });
});

describe("the tagged grammars (Java, Rust, Ruby, C#)", () => {
  const tagged: TaggedLanguage[] = ["java", "rust", "ruby", "csharp"];

  it.each(tagged)("loads %s's wasm from its npm package, at an ABI web-tree-sitter reads, with its tags query", async (language) => {
    expect(isTagged(language)).toBe(true);
    const parser = await parserFor(language);
    const abi = parser.language?.abiVersion ?? 0;
    expect(abi).toBeGreaterThanOrEqual(MIN_COMPATIBLE_VERSION);
    expect(abi).toBeLessThanOrEqual(LANGUAGE_VERSION);
    const { query } = await tagsQueryFor(language);
    expect(query.captureNames).toContain("name");
    expect(query.captureNames.some((name) => name.startsWith("definition."))).toBe(true);
    expect(query.captureNames.some((name) => name === "reference.call" || name === "reference.send")).toBe(true);
  });

  it("keeps the languages with type inference apart", () => {
    expect((["python", "typescript", "tsx", "javascript", "go"] as const).filter(isTagged)).toEqual([]);
  });
});

describe("parseFileSymbols on unsupported or broken input", () => {
  it("returns undefined for files no grammar reads", async () => {
    expect(await parseFileSymbols("README.md", "# def f(): pass")).toBeUndefined();
    expect(await parseFileSymbols("assets/logo.png", "\u0089PNG\r\n\u001a\n")).toBeUndefined();
  });

  it.each([
    ["broken.py", "def ok():\n    return 1\n\ndef broken(:\n    x = \nclass Half(\n    def m(self): self.run("],
    ["broken.ts", "export function ok() { return 1; }\nclass A { m( { this.x.call( }\nconst = ;"],
    ["broken.tsx", "const A = () => <div><span></div>;\nfunction B() { return <A"],
    ["broken.go", "package main\n\nfunc ok() {}\n\nfunc (r *T) M( {\n\tr.x.Call(\n"],
    ["Broken.java", "class Ok { void ok() {} }\nclass Half { void m( { this.x.save(\n"],
    ["broken.rs", "fn ok() {}\nimpl T { fn m(&self { self.x.walk(\n"],
    ["broken.rb", "def ok\nend\nclass Half\n  def m(\n    x.finalize(\n"],
    ["Broken.cs", "class Ok { void ok() {} }\nclass Half { void M( { this.x.Place(\n"],
    ["empty.js", ""],
    ["binary.js", "\u0000\u0001\u0002\uFFFD\u0000"],
  ])("does not throw on %s and still returns what it can read", async (path, text) => {
    const symbols = await parseFileSymbols(path, text);
    expect(symbols?.path).toBe(path);
    if (text.includes("ok()")) expect(symbols?.definitions.map((d) => d.name)).toContain("ok");
  });
});
