import fc from "fast-check";
import ignore from "ignore";
import { describe, expect, it } from "vitest";
import { SymbolIndex } from "../../src/code-index/symbol-index.js";
import { RepoTools } from "../../src/planning/repo-tools.js";
import { GlobRules, MAX_PATTERN_CHARS, MAX_WILDCARDS, parseGlob, patternNotice } from "../../src/repository/glob.js";
import { PathFilter } from "../../src/repository/path-filter.js";
import { growthRatio, linearBound } from "../helpers/growth.js";
import { expectLoopFree } from "../helpers/loop-delay.js";
import { memoryRepoView } from "../helpers/memory-repo-view.js";

const rules = (...patterns: string[]): GlobRules => new GlobRules(patterns, "test");
const ignores = (patterns: string[], path: string): boolean => rules(...patterns).ignores(path);

/** The shapes the review timed: each took seconds to minutes before (233 s, 15 s). */
const STARS_A = `${"*a".repeat(14)}b`;
const NAME_40 = "a".repeat(40);
const GLOBSTARS = `${"a/**/".repeat(9)}b`;
const PATH_41 = `${"a/".repeat(40)}a`;

describe("gitignore(5)'s documented examples", () => {
  // https://git-scm.com/docs/gitignore#_pattern_format
  it("a pattern without a slash matches at any depth; with one, relative to its directory", () => {
    expect(ignores(["frotz/"], "frotz/x")).toBe(true);
    expect(ignores(["frotz/"], "a/frotz/x")).toBe(true);
    expect(ignores(["doc/frotz/"], "doc/frotz/x")).toBe(true);
    expect(ignores(["doc/frotz/"], "a/doc/frotz/x")).toBe(false);
    expect(ignores(["/bar"], "bar")).toBe(true);
    expect(ignores(["/bar"], "a/bar")).toBe(false);
    expect(ignores(["bar"], "a/bar")).toBe(true);
  });

  it("a trailing slash matches directories only", () => {
    expect(ignores(["frotz/"], "frotz")).toBe(false);
    expect(ignores(["frotz"], "frotz")).toBe(true);
  });

  it("* and ? never match a slash; [] classes take ranges and negation", () => {
    expect(ignores(["foo/*"], "foo/test.json")).toBe(true);
    expect(ignores(["foo/*"], "foo/bar/hello.c")).toBe(true); // via its directory foo/bar
    expect(rules("foo/*").test("foo/bar/hello.c", false)).toBeUndefined();
    expect(ignores(["a?c"], "abc")).toBe(true);
    expect(ignores(["a?c"], "a/c")).toBe(false);
    expect(ignores(["[a-c]x"], "bx")).toBe(true);
    expect(ignores(["[!a-c]x"], "bx")).toBe(false);
    expect(ignores(["[^a-c]x"], "dx")).toBe(true);
    expect(ignores(["[]]x"], "]x")).toBe(true);
    expect(ignores(["[[:digit:]]x"], "7x")).toBe(true);
    expect(ignores(["a[/]b"], "a/b")).toBe(false);
  });

  it("** as a leading, inner or trailing segment; elsewhere it is a plain *", () => {
    expect(ignores(["**/foo"], "foo")).toBe(true);
    expect(ignores(["**/foo"], "x/y/foo")).toBe(true);
    expect(ignores(["**/foo/bar"], "x/foo/bar")).toBe(true);
    expect(ignores(["abc/**"], "abc/x/y")).toBe(true);
    expect(ignores(["abc/**"], "abc")).toBe(false);
    expect(ignores(["a/**/b"], "a/b")).toBe(true);
    expect(ignores(["a/**/b"], "a/x/b")).toBe(true);
    expect(ignores(["a/**/b"], "a/x/y/b")).toBe(true);
    expect(ignores(["a/**b"], "a/xb")).toBe(true);
    expect(ignores(["a/**b"], "a/x/b")).toBe(false);
  });

  it("escapes, comments, trailing spaces and negation", () => {
    expect(ignores(["\\#notes"], "#notes")).toBe(true);
    expect(rules("# comment").size).toBe(0);
    expect(ignores(["\\!important"], "!important")).toBe(true);
    expect(ignores(["a\\*"], "a*")).toBe(true);
    expect(ignores(["a\\*"], "ab")).toBe(false);
    expect(ignores(["foo   "], "foo")).toBe(true);
    expect(ignores(["foo\\ "], "foo ")).toBe(true);
    expect(ignores(["*.log", "!keep.log"], "keep.log")).toBe(false);
    // "It is not possible to re-include a file if a parent directory of that file is excluded."
    expect(ignores(["build/", "!build/keep.txt"], "build/keep.txt")).toBe(true);
    expect(ignores(["/*", "!/foo", "/foo/*", "!/foo/bar"], "foo/bar/x")).toBe(false);
    expect(ignores(["/*", "!/foo", "/foo/*", "!/foo/bar"], "foo/baz/x")).toBe(true);
  });
});

describe("unusable patterns match nothing, with a note, and never throw", () => {
  it("a reversed range, an unclosed class, a lone trailing backslash, and patterns over the caps", () => {
    for (const pattern of ["[z-a]", "src/[z-a]*.py", "[abc", "foo\\", "[[:nope:]]", "a".repeat(MAX_PATTERN_CHARS + 1), "*a".repeat(MAX_WILDCARDS + 1)]) {
      const parsed = parseGlob(pattern);
      expect(parsed, pattern).toHaveProperty("problem");
      const r = rules(pattern, "*.md");
      expect(r.ignores("z"), pattern).toBe(false);
      expect(r.ignores("README.md"), pattern).toBe(true); // the other rules still apply
      expect(r.problems).toHaveLength(1);
    }
    expect(parseGlob("a".repeat(MAX_PATTERN_CHARS))).toHaveProperty("glob");
    expect(parseGlob("*a".repeat(MAX_WILDCARDS))).toHaveProperty("glob");
  });

  it("the note names where the pattern is and why it matches nothing", () => {
    const filter = new PathFilter({ maxFileBytes: 1000, exclude: ["[z-a]"] }, new Map([["web", "ok\n[abc\n"]]), "*.txt text\n[z-a] binary\n");
    expect(patternNotice(filter.problems)).toBe(
      [
        "⚠️ Some path patterns could not be used, so they matched nothing (as git does with them):",
        "- `paths.exclude`: `[z-a]` has a reversed range z-a",
        "- web/.gitignore line 2: `[abc` has a [ that is never closed",
        "- .gitattributes line 2: `[z-a]` has a reversed range z-a",
      ].join("\n"),
    );
    expect(filter.skipReason("src/a.py", 10)).toBeUndefined();
  });
});

describe("the same decisions as the `ignore` package on ordinary patterns", () => {
  // Patterns from the parts both implement the same way; `ignore` is the oracle.
  const segment = fc
    .array(fc.constantFrom("a", "b", "c", ".", "*", "?", "[ab]", "[!a]", "[a-b]", "\\*"), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join(""))
    .filter((s) => !/\*\*/.test(s));
  const pattern = fc
    .tuple(
      fc.boolean(),
      fc.array(fc.oneof({ weight: 4, arbitrary: segment }, { weight: 1, arbitrary: fc.constant("**") }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .map(([lead, segments, trail]) => `${lead ? "/" : ""}${segments.join("/")}${trail ? "/" : ""}`)
    .filter((p) => p !== "/" && !p.startsWith("/**") && !/^\*\*\/?$/.test(p));
  const path = fc.array(fc.array(fc.constantFrom("a", "b", "c", "."), { minLength: 1, maxLength: 3 }).map((c) => c.join("")).filter((s) => s !== "." && s !== ".."), { minLength: 1, maxLength: 5 }).map((s) => s.join("/"));

  it("for one pattern and a path", () => {
    fc.assert(
      fc.property(pattern, path, (p, target) => {
        expect(ignores([p], target), `${p} on ${target}`).toBe(ignore({ ignorecase: false }).add(p).ignores(target));
      }),
      { numRuns: 3000 },
    );
  });

  it("for ordered lists with negations", () => {
    const rule = fc.tuple(fc.boolean(), pattern).map(([negate, p]) => (negate ? `!${p}` : p));
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), path, (list, target) => {
        expect(ignores(list, target), `${JSON.stringify(list)} on ${target}`).toBe(ignore({ ignorecase: false }).add(list).ignores(target));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("matching time is linear in the path, whatever the pattern", () => {
  it("the review's shapes no longer hold the loop: .gitattributes, .gitignore, paths.exclude", async () => {
    await expectLoopFree(() => {
      const filter = new PathFilter(
        { maxFileBytes: 100_000, exclude: [GLOBSTARS] },
        new Map([["", `${GLOBSTARS}\n`]]),
        `${STARS_A} linguist-generated\n`,
      );
      expect(filter.skipReason(NAME_40, 10)).toBeUndefined();
      expect(filter.skipReason(PATH_41, 10)).toBeUndefined();
      expect(filter.skipReason(`${"a/".repeat(40)}b`, 10)).toBe("excluded");
      expect(filter.skipReason(`${"a".repeat(40)}b`, 10)).toBe("generated");
    });
  });

  it("grows linearly with the path length for backtracking-prone patterns", () => {
    for (const p of [STARS_A, GLOBSTARS, `**/${"*a".repeat(15)}*b`, `${"**/a/".repeat(15)}**/b`]) {
      const matches = rules(p);
      const ratio = growthRatio(
        (target) => matches.ignores(target),
        (n) => (p.includes("/") && !p.startsWith("**/*") ? "a/".repeat(n) + "a" : "a".repeat(n)),
        2000,
      );
      expect(ratio, p).toBeLessThan(linearBound());
    }
  });

  it("the model's list_files and search_code globs", async () => {
    const files: Record<string, string> = { [`${"a/".repeat(40)}a`]: "needle\n", "src/app.ts": "needle\n" };
    const view = memoryRepoView(files);
    const index = await SymbolIndex.build([...view.loaded].map(([p, text]) => ({ path: p, text })));
    const tools = new RepoTools(view, index, { files: 30, readBytes: 200_000 });
    await expectLoopFree(async () => {
      const listed = await tools.execute({ id: "1", name: "list_files", arguments: JSON.stringify({ glob: GLOBSTARS }) });
      expect(listed.content).toMatch(/^0 readable files matching/);
      const searched = await tools.execute({ id: "2", name: "search_code", arguments: JSON.stringify({ query: "needle", glob: GLOBSTARS }) });
      expect(searched.content).toMatch(/^No lines contain "needle"/);
    });
    const invalid = await tools.execute({ id: "3", name: "list_files", arguments: JSON.stringify({ glob: "[z-a]" }) });
    expect(invalid.content).toMatch(/^0 readable files matching \[z-a\]/);
  });
});
