import { describe, expect, it } from "vitest";
import { decodeText, looksBinary, looksGenerated, PathFilter, type PathFilterOptions } from "../../src/repository/path-filter.js";
import { loadFixtureRepo } from "../helpers/fixture-repo.js";

const fixture = loadFixtureRepo();
const text = (path: string): string => fixture[path]?.toString("utf8") ?? "";
const MAX = 100_000;

function fixtureFilter(options: Partial<PathFilterOptions> = {}): PathFilter {
  return new PathFilter({ maxFileBytes: MAX, ...options }, new Map([["", text(".gitignore")]]), text(".gitattributes"));
}

function reasons(filter: PathFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, content] of Object.entries(fixture)) out[path] = filter.skipReason(path, content.byteLength) ?? "read";
  return out;
}

describe("PathFilter on the fixture repository", () => {
  it("skips each trap for its own reason and reads the code", () => {
    expect(reasons(fixtureFilter())).toEqual({
      ".gitattributes": "read",
      ".github/devbuddy.md": "read",
      ".gitignore": "read",
      "README.md": "read",
      "agent/__init__.py": "read",
      "agent/ai.py": "read",
      "agent/codegen.py": "read",
      "agent/notify.py": "read",
      "agent/orchestrator.py": "read",
      "agent/planner.py": "read",
      "assets/logo.png": "binary",
      "debug.log": "ignored", // committed, yet matched by the fixture's `*.log`
      "dist/bundle.min.js": "generated",
      "docs/api/index.html": "generated", // linguist-generated via .gitattributes
      "tests/test_planner.py": "read",
      "tools/indexer/main.go": "read",
      "vendor/shim/client.py": "vendored",
      "web/src/api.ts": "read",
      "web/src/plan-view.ts": "read",
    });
  });

  it("owes docs/api and debug.log to the repository's own files, not to built-in rules", () => {
    const bare = new PathFilter({ maxFileBytes: MAX });
    expect(bare.skipReason("docs/api/index.html", 125)).toBeUndefined();
    expect(bare.skipReason("debug.log", 43)).toBeUndefined();
  });

  it("applies include, then exclude, before every other rule", () => {
    const filter = fixtureFilter({ include: ["agent/", "web/**/*.ts", "vendor/"], exclude: ["agent/notify.py", "*.min.js"] });
    const result = reasons(filter);
    expect(Object.keys(result).filter((path) => result[path] === "read")).toEqual([
      "agent/__init__.py",
      "agent/ai.py",
      "agent/codegen.py",
      "agent/orchestrator.py",
      "agent/planner.py",
      "web/src/api.ts",
      "web/src/plan-view.ts",
    ]);
    expect(result["agent/notify.py"]).toBe("excluded");
    expect(result["debug.log"]).toBe("excluded"); // not included: excluded wins over ignored
    expect(result["vendor/shim/client.py"]).toBe("vendored"); // included, but still vendored
    expect(fixtureFilter({ exclude: ["dist/"] }).skipReason("dist/bundle.min.js", 10)).toBe("excluded");
  });
});

describe("PathFilter rules", () => {
  it("honours nested .gitignore files within their own directory, deeper ones last", () => {
    const filter = new PathFilter(
      { maxFileBytes: MAX },
      new Map([
        ["", "*.log\ncache/\n"],
        ["web", "generated/\n!keep.log\n/local.ts\n"],
      ]),
    );
    expect(filter.skipReason("web/generated/a.ts", 1)).toBe("ignored");
    expect(filter.skipReason("api/generated/a.ts", 1)).toBeUndefined(); // web's rule does not reach api/
    expect(filter.skipReason("web/keep.log", 1)).toBeUndefined(); // re-included by the deeper file
    expect(filter.skipReason("api/keep.log", 1)).toBe("ignored");
    expect(filter.skipReason("web/local.ts", 1)).toBe("ignored"); // anchored to web/
    expect(filter.skipReason("web/sub/local.ts", 1)).toBeUndefined();
    expect(filter.skipReason("a/cache/x.py", 1)).toBe("ignored");
  });

  it("matches the repository's rules case-sensitively, as git on Linux does", () => {
    const filter = new PathFilter({ maxFileBytes: MAX }, new Map([["", "*.log\n"]]));
    expect(filter.skipReason("Debug.LOG", 1)).toBeUndefined();
  });

  it("checks vendored, generated, binary, then size", () => {
    const filter = new PathFilter({ maxFileBytes: 1000 });
    expect(filter.skipReason("node_modules/react/index.min.js", 5000)).toBe("vendored");
    expect(filter.skipReason("third_party/x/logo.png", 1)).toBe("vendored");
    expect(filter.skipReason("src/.venv/lib/site.py", 1)).toBe("vendored");
    expect(filter.skipReason("dist/logo.png", 5000)).toBe("generated");
    expect(filter.skipReason("static/app.min.css", 1)).toBe("generated");
    expect(filter.skipReason("static/app.js.map", 1)).toBe("generated");
    expect(filter.skipReason("package-lock.json", 1)).toBe("generated");
    expect(filter.skipReason("tools/go.sum", 1)).toBe("generated");
    expect(filter.skipReason("fonts/inter.woff2", 5000)).toBe("binary");
    expect(filter.skipReason("src/huge.py", 1001)).toBe("too-large");
    expect(filter.skipReason("src/ok.py", 1000)).toBeUndefined();
    // A file named like a vendor directory is not vendored; only directories are.
    expect(filter.skipReason("scripts/vendor", 1)).toBeUndefined();
  });

  it("treats build/, out/ and target/ as output at the root only, dist/ anywhere", () => {
    const filter = new PathFilter({ maxFileBytes: MAX });
    expect(filter.skipReason("build/app.js", 1)).toBe("generated");
    expect(filter.skipReason("target/classes/A.java", 1)).toBe("generated");
    expect(filter.skipReason("internal/build/build.go", 1)).toBeUndefined();
    expect(filter.skipReason("packages/ui/dist/index.js", 1)).toBe("generated");
  });

  it("lets .gitattributes set and unset linguist attributes, last line winning", () => {
    const attributes = [
      "# comments and blank lines are skipped",
      "",
      "vendor/** -linguist-vendored",
      "vendor/legacy/** linguist-vendored",
      "gen/*.ts linguist-generated",
      "gen/keep.ts linguist-generated=false",
      "*.dat binary",
      "docs/ linguist-generated", // a trailing slash matches nothing in .gitattributes
      "!*.md linguist-generated", // negative patterns are not allowed; the line is ignored
    ].join("\n");
    const filter = new PathFilter({ maxFileBytes: MAX }, new Map(), attributes);
    expect(filter.skipReason("vendor/shim/client.py", 1)).toBeUndefined();
    expect(filter.skipReason("vendor/legacy/old.py", 1)).toBe("vendored");
    expect(filter.skipReason("gen/api.ts", 1)).toBe("generated");
    expect(filter.skipReason("gen/sub/api.ts", 1)).toBeUndefined(); // `*` does not cross directories
    expect(filter.skipReason("gen/keep.ts", 1)).toBeUndefined();
    expect(filter.skipReason("data/table.dat", 1)).toBe("binary");
    expect(filter.skipReason("docs/guide.md", 1)).toBeUndefined();
  });
});

describe("content checks", () => {
  it("looksBinary: a NUL in the first 8 KB, or (not UTF-8) many control characters; Latin-1 text is text", () => {
    expect(looksBinary(fixture["assets/logo.png"] ?? Buffer.alloc(0))).toBe(true);
    expect(looksBinary(Buffer.from("déjà vu — naïve ✓\n"))).toBe(false);
    expect(looksBinary(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(false); // Latin-1 "café"
    expect(looksBinary(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x01, 0x02, 0x03]))).toBe(true); // no NUL, not text
    expect(decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe("café");
    expect(decodeText(Buffer.from("\uFEFFclass A: pass\n"))).toBe("class A: pass\n");
    expect(looksBinary(Buffer.concat([Buffer.from("a".repeat(8192)), Buffer.from([0])]))).toBe(false);
    expect(looksBinary(Buffer.concat([Buffer.from("a".repeat(8191)), Buffer.from([0])]))).toBe(true);
  });

  it("looksGenerated: tool headers in the first five lines", () => {
    expect(looksGenerated("docs/api/index.html", text("docs/api/index.html"))).toBe(true); // <!-- generated by pdoc -->
    expect(looksGenerated("api.pb.go", "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage api\n")).toBe(true);
    expect(looksGenerated("Cargo.toml.lock", "# This file is automatically @generated by Cargo.\n")).toBe(true);
    expect(looksGenerated("a.py", "import os\n\n\n\n\n# DO NOT EDIT\n")).toBe(false); // sixth line
    expect(looksGenerated("agent/ai.py", text("agent/ai.py"))).toBe(false);
    // Prose saying "generated by" is not a generator's header.
    expect(looksGenerated("README.md", "# Site\n\nThis site is generated by Jekyll from the docs folder.\n")).toBe(false);
    expect(looksGenerated("notes.py", "x = 1  # values generated by the loop below\n")).toBe(false);
  });

  it("looksGenerated: minified code, but not long prose lines", () => {
    expect(looksGenerated("app.js", `var a=1;${"f(a);".repeat(500)}\n`)).toBe(true); // one 2,508-character line
    expect(looksGenerated("app.js", `${"x".repeat(400)}\n${"y".repeat(400)}\n`)).toBe(true); // average over 300
    expect(looksGenerated("app.js", `${"x = 1\n".repeat(1000)}`)).toBe(false);
    expect(looksGenerated("guide.md", `${"word ".repeat(600)}\n\n${"word ".repeat(600)}\n`)).toBe(false);
  });
});
