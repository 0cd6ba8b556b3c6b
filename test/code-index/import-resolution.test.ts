import { describe, expect, it } from "vitest";
import { callersIn, code, indexOf } from "../helpers/index-snippets.js";

// "Who calls X" from imports: an import that says where its file is must reach that file and no
// other module of the same name (monorepos have many util.ts, Django apps many views.py).

describe("TypeScript and JavaScript relative imports", () => {
  const limit = code("export default function pLimit(n) {", "  return n;", "}", "export function limitFunction() {}");

  it("resolves a module named index, as ./index.js, ./index, . and ../index", async () => {
    const index = await indexOf({
      "index.js": limit,
      "test.js": code("import pLimit, { limitFunction } from './index.js';", "pLimit(1);", "limitFunction();"),
      "bare.js": code("import pLimit from './index';", "pLimit(2);"),
      "dot.js": code("import pLimit from '.';", "pLimit(3);"),
      "sub/up.js": code("import pLimit from '../index';", "pLimit(4);"),
    });
    expect(callersIn(index, "pLimit", "index.js")).toEqual({
      confirmed: ["bare.js:2", "dot.js:2", "sub/up.js:2", "test.js:2"],
      possible: [],
    });
    expect(callersIn(index, "limitFunction", "index.js").confirmed).toEqual(["test.js:3"]);
  });

  it("resolves ./src/index.ts and a directory's index, and ESM TypeScript's ./x.js to x.ts", async () => {
    const index = await indexOf({
      "src/index.ts": code("export function start() {}"),
      "src/lib/index.ts": code("export function helper() {}"),
      "src/esm.mts": code("export function esm() {}"),
      "main.ts": code("import { start } from './src/index.ts';", "start();"),
      "src/a.ts": code("import { helper } from './lib/index.js';", "import * as lib from './lib';", "helper();", "lib.helper();"),
      "src/b.mts": code("import { esm } from './esm.mjs';", "esm();"),
    });
    expect(callersIn(index, "start", "src/index.ts").confirmed).toEqual(["main.ts:2"]);
    expect(callersIn(index, "helper", "src/lib/index.ts").confirmed).toEqual(["src/a.ts:3", "src/a.ts:4"]);
    expect(callersIn(index, "esm", "src/esm.mts").confirmed).toEqual(["src/b.mts:2"]);
  });

  it("counts a JavaScript module's declaration file as the same module", async () => {
    const index = await indexOf({
      "lib/queue.js": code("export class Queue {}"),
      "lib/queue.d.ts": code("export declare class Queue {}"),
      "lib/queue.test.ts": code("import { Queue } from './queue.js';", "new Queue();"),
    });
    expect(callersIn(index, "Queue", "lib/queue.js").confirmed).toEqual(["lib/queue.test.ts:2"]);
    expect(callersIn(index, "Queue", "lib/queue.d.ts").confirmed).toEqual(["lib/queue.test.ts:2"]);
  });

  it("does not take another directory's module of the same name", async () => {
    const index = await indexOf({
      "a/util.ts": code("export function helper() { return 1; }"),
      "b/util.ts": code("export function helper() { return 2; }"),
      "c.ts": code("import { helper } from './a/util';", "helper();"),
      "b/use.ts": code("import * as util from '../a/util.js';", "util.helper();"),
      // No such file: a relative import that leads nowhere is no module elsewhere either.
      "d/use.ts": code("import { helper } from './util';", "helper();"),
    });
    expect(callersIn(index, "helper", "a/util.ts")).toEqual({ confirmed: ["b/use.ts:2", "c.ts:2"], possible: [] });
    expect(callersIn(index, "helper", "b/util.ts")).toEqual({ confirmed: [], possible: [] });
  });

  it("resolves a path alias by the longest matching end of the path, and leaves bare packages alone", async () => {
    const index = await indexOf({
      "web/src/lib/util.ts": code("export function helper() {}"),
      "web/src/other/util.ts": code("export function helper() {}"),
      "web/src/page.ts": code("import { helper } from '@/lib/util';", "helper();"),
      "web/src/yaml.ts": code("export function parse() {}"),
      "web/src/cfg.ts": code("import { parse } from 'not-yaml';", "parse();"),
    });
    expect(callersIn(index, "helper", "web/src/lib/util.ts").confirmed).toEqual(["web/src/page.ts:2"]);
    expect(callersIn(index, "helper", "web/src/other/util.ts").confirmed).toEqual([]);
    expect(callersIn(index, "parse", "web/src/yaml.ts").confirmed).toEqual([]);
  });
});

describe("Python imports", () => {
  const call = code("def call():", "    pass");

  it("resolves absolute dotted modules to their file, not to every module of that name", async () => {
    const index = await indexOf({
      "m/ai.py": call,
      "n/ai.py": call,
      "main.py": code("from m.ai import call", "import n.ai", "def go():", "    call()", "    n.ai.call()"),
    });
    expect(callersIn(index, "call", "m/ai.py")).toEqual({ confirmed: ["main.py:4"], possible: [] });
    expect(callersIn(index, "call", "n/ai.py")).toEqual({ confirmed: ["main.py:5"], possible: [] });
  });

  it("finds a package's __init__.py and modules under a src/ root", async () => {
    const index = await indexOf({
      "src/shop/__init__.py": code("def setup():", "    pass"),
      "src/shop/views.py": code("def index(request):", "    pass"),
      "blog/views.py": code("def index(request):", "    pass"),
      "tests/test_shop.py": code("from shop import setup", "from shop.views import index", "setup()", "index(None)"),
    });
    expect(callersIn(index, "setup", "src/shop/__init__.py").confirmed).toEqual(["tests/test_shop.py:3"]);
    expect(callersIn(index, "index", "src/shop/views.py").confirmed).toEqual(["tests/test_shop.py:4"]);
    expect(callersIn(index, "index", "blog/views.py").confirmed).toEqual([]);
  });

  it("resolves relative imports from the importing file's package", async () => {
    const index = await indexOf({
      "app/__init__.py": code("def boot():", "    pass"),
      "app/shop/views.py": call,
      "app/shop/models.py": code(
        "from .views import call",
        "from . import views",
        "from .. import boot",
        "from ..blog import views as blog_views",
        "call()",
        "views.call()",
        "boot()",
        "blog_views.call()",
      ),
      "app/blog/views.py": call,
      "app/shop/__init__.py": code("from .views import call", "call()"),
    });
    expect(callersIn(index, "call", "app/shop/views.py").confirmed).toEqual([
      "app/shop/__init__.py:2",
      "app/shop/models.py:5",
      "app/shop/models.py:6",
    ]);
    expect(callersIn(index, "call", "app/blog/views.py").confirmed).toEqual(["app/shop/models.py:8"]);
    expect(callersIn(index, "boot", "app/__init__.py").confirmed).toEqual(["app/shop/models.py:7"]);
  });
});

describe("Go imports", () => {
  it("resolves an import path to the directory it ends with, the longest one", async () => {
    const slug = (pkg: string) => code(`package ${pkg}`, "func Slug(s string) string { return s }");
    const index = await indexOf({
      "pkg/util/slug.go": slug("util"),
      "internal/util/slug.go": slug("util"),
      "util/slug.go": slug("util"),
      "cmd/main.go": code("package main", 'import "example.com/app/pkg/util"', "func main() {", '\tutil.Slug("a")', "}"),
      "cmd/other/main.go": code("package main", 'import "example.com/app/util"', "func main() {", '\tutil.Slug("b")', "}"),
    });
    expect(callersIn(index, "Slug", "pkg/util/slug.go").confirmed).toEqual(["cmd/main.go:4"]);
    expect(callersIn(index, "Slug", "internal/util/slug.go").confirmed).toEqual([]);
    expect(callersIn(index, "Slug", "util/slug.go").confirmed).toEqual(["cmd/other/main.go:4"]);
  });
});

describe("Python @overload stubs", () => {
  const signer = code(
    "import typing as t",
    "class TimestampSigner:",
    "    @t.overload",
    "    def unsign(self, value: str, stamp: t.Literal[False] = False) -> bytes: ...",
    "    @t.overload",
    "    def unsign(self, value: str, stamp: t.Literal[True] = True) -> tuple: ...",
    "    def unsign(self, value, stamp=False):",
    "        result = self.verify(value)",
    "        return result",
    "    def verify(self, value):",
    "        return value",
    "@overload",
    "def load(x: int) -> int: ...",
    "def load(x):",
    "    return x",
  );

  it("looks up the implementation first, the stubs after it", async () => {
    const index = await indexOf({ "signer.py": signer });
    expect(index.lookup("TimestampSigner.unsign").map((d) => d.startLine)).toEqual([7, 4, 6]);
    expect(index.lookup("unsign").map((d) => d.startLine)).toEqual([7, 4, 6]);
    expect(index.lookup("LOAD").map((d) => d.startLine)).toEqual([14, 13]);
    // The file's own listing stays in line order.
    expect(index.definitionsIn("signer.py").map((d) => d.startLine)).toEqual([2, 4, 6, 7, 10, 13, 14]);
  });

  it("encloses calls in the implementation, not in a stub", async () => {
    const index = await indexOf({ "signer.py": signer });
    expect(index.enclosing("signer.py", 8)).toMatchObject({ qualifiedName: "TimestampSigner.unsign", startLine: 7, endLine: 9 });
    expect(index.callsIn("signer.py").find((call) => call.callee === "verify")).toMatchObject({
      line: 8,
      enclosing: "TimestampSigner.unsign",
    });
    expect(callersIn(index, "TimestampSigner.verify", "signer.py").confirmed).toEqual(["signer.py:8"]);
  });
});

describe("names a package passes on (re-exports)", () => {
  it("Python: `flask.make_response` is helpers.make_response when the package's __init__ imports it, and no method", async () => {
    const index = await indexOf({
      "src/pkg/__init__.py": code("from .helpers import make_response as make_response", "from .app import App"),
      "src/pkg/helpers.py": code("def make_response(*args):", "    return args"),
      "src/pkg/app.py": code("class App:", "    def make_response(self, rv):", "        return rv"),
      "src/pkg/views.py": code("def view():", "    pass"),
      "tests/test_x.py": code(
        "import pkg.views",
        "",
        "def test_top():",
        "    pkg.make_response()",
        "",
        "def test_dotted():",
        "    pkg.helpers.make_response()",
      ),
    });
    expect(callersIn(index, "make_response", "src/pkg/helpers.py")).toEqual({ confirmed: ["tests/test_x.py:4", "tests/test_x.py:7"], possible: [] });
    // `pkg` is a module here, not an App: neither call is the method's.
    expect(callersIn(index, "App.make_response", "src/pkg/app.py")).toEqual({ confirmed: [], possible: [] });
  });

  it("Python: a star import in a package passes on everything", async () => {
    const index = await indexOf({
      "tool/__init__.py": code("from .core import *"),
      "tool/core.py": code("def run():", "    pass"),
      "main.py": code("import tool", "from tool import run", "tool.run()", "run()"),
    });
    expect(callersIn(index, "run", "tool/core.py").confirmed).toEqual(["main.py:3", "main.py:4"]);
  });

  it("TypeScript barrels: `export { x } from` and `export * from`, through two index files", async () => {
    const index = await indexOf({
      "src/util.ts": code("export function helper() {}"),
      "src/more.ts": code("export function extra() {}", "export function hidden() {}"),
      "src/index.ts": code("export { helper as assist } from './util.js';", "export * from './more';"),
      "index.ts": code("export * from './src/index.js';"),
      "app.ts": code("import { assist, extra } from './index';", "assist();", "extra();"),
      "other.ts": code("import { hidden } from './elsewhere';", "hidden();"),
      "renamed.ts": code("import { helper as h } from './src/util';", "import * as lib from './src/index';", "h();", "lib.assist();"),
    });
    expect(callersIn(index, "helper", "src/util.ts").confirmed).toEqual(["app.ts:2", "renamed.ts:3", "renamed.ts:4"]);
    expect(callersIn(index, "extra", "src/more.ts").confirmed).toEqual(["app.ts:3"]);
    expect(callersIn(index, "hidden", "src/more.ts").confirmed).toEqual([]);
  });
});

describe("inherited members", () => {
  it("finds what a class runs for a member it does not define: the nearest base class's definition", async () => {
    const index = await indexOf({
      "s.py": code(
        "class Mixin:",
        "    def resolve(self):",
        "        pass",
        "",
        "class Base(Mixin):",
        "    def send(self):",
        "        pass",
        "",
        "class Session(Base):",
        "    def send(self):",
        "        pass",
      ),
    });
    expect(index.inheritedMember("Session", "resolve").map((d) => [d.qualifiedName, d.startLine])).toEqual([["Mixin.resolve", 2]]);
    expect(index.inheritedMember("Session", "nope")).toEqual([]);
    // Its own definition is not "inherited": lookup finds that one.
    expect(index.inheritedMember("Session", "send").map((d) => d.qualifiedName)).toEqual(["Base.send"]);
  });
});
