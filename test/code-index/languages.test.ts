import { describe, expect, it } from "vitest";
import { languageOf, parserFor } from "../../src/code-index/languages.js";
import { parseFileSymbols } from "../../src/code-index/symbol-index.js";

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
  ])("reads %s as %s", (path, language) => {
    expect(languageOf(path)).toBe(language);
  });

  it.each(["README.md", "assets/logo.png", "debug.log", "Makefile", "src/.ts", "dir.py/notes", "a.rs"])(
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
    ["empty.js", ""],
    ["binary.js", "\u0000\u0001\u0002\uFFFD\u0000"],
  ])("does not throw on %s and still returns what it can read", async (path, text) => {
    const symbols = await parseFileSymbols(path, text);
    expect(symbols?.path).toBe(path);
    if (text.includes("ok()")) expect(symbols?.definitions.map((d) => d.name)).toContain("ok");
  });
});
