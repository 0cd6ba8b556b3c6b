import { describe, expect, it } from "vitest";
import { callersOf, code } from "../helpers/index-snippets.js";

describe("Go: results of functions and range over slice fields", () => {
  const router = code(
    "package mux",
    "type Router struct {",
    "\troutes []*Route",
    "\tbyName map[string]*Route",
    "}",
    "func NewRouter() *Router { return &Router{} }",
    "func NewRouterE() (*Router, error) { return &Router{}, nil }",
    "func (r *Router) HandleFunc(path string) {}",
    "func (r *Router) Match() {",
    "\tfor _, route := range r.routes {",
    "\t\troute.Match()",
    "\t}",
    "\tfor _, named := range r.byName {",
    "\t\tnamed.Match()",
    "\t}",
    "}",
  );
  const route = code("package mux", "type Route struct{}", "func (r *Route) Match() {}");

  it("confirms r := NewRouter() with NewRouter in another file of the package, also r, err := and through an import", async () => {
    const files = {
      "mux/mux.go": router,
      "mux/route.go": route,
      "mux/use.go": code("package mux", "func setup() {", "\tr := NewRouter()", '\tr.HandleFunc("/")', "\ts, err := NewRouterE()", '\ts.HandleFunc("/e")', "\t_ = err", "}"),
      "cmd/main.go": code("package main", 'import "github.com/gorilla/mux"', "func main() {", "\tm := mux.NewRouter()", '\tm.HandleFunc("/")', "}"),
    };
    expect(await callersOf(files, "Router.HandleFunc")).toEqual({
      confirmed: ["cmd/main.go:5", "mux/use.go:4", "mux/use.go:6"],
      possible: [],
    });
  });

  it("confirms for _, route := range r.routes (routes []*Route) and over a map's values", async () => {
    const files = { "mux/mux.go": router, "mux/route.go": route };
    expect(await callersOf(files, "Route.Match")).toEqual({ confirmed: ["mux/mux.go:11", "mux/mux.go:14"], possible: [] });
  });

  it("does not confirm a same-named function of another package, one without a result type, or the error result", async () => {
    const files = {
      "mux/mux.go": router,
      "other/other.go": code("package other", "type Thing struct{}", "func NewRouter() *Thing { return nil }"),
      "other/use.go": code("package other", "func use() {", "\tr := NewRouter()", '\tr.HandleFunc("/")', "}"),
      "third/use.go": code("package third", "func use() {", "\trouter := NewRouter()", '\trouter.HandleFunc("/")', "}"),
      "mux/use.go": code(
        "package mux",
        "func Any() interface{} { return nil }",
        "func build() {",
        "\t_, router := NewRouterE()",
        '\trouter.HandleFunc("/")',
        "\tr := Any()",
        '\tr.HandleFunc("/any")',
        "}",
      ),
    };
    // other's NewRouter makes a Thing; third has none (mux's is not reachable without an import);
    // NewRouterE's second result is an error (known, so not even possible); Any's result is no class.
    // Only third's router resembles Router.
    expect(await callersOf(files, "Router.HandleFunc", "mux/mux.go")).toEqual({ confirmed: [], possible: ["third/use.go:4"] });
  });
});

describe("Python: results of functions and with … as", () => {
  const sessions = code(
    "class Session:",
    "    def __enter__(self):",
    "        return self",
    "    def __exit__(self, *args):",
    "        pass",
    "    def request(self, method):",
    "        return method",
    "class Pool:",
    "    def __enter__(self):",
    "        return make_connection()",
    "    def request(self, method):",
    "        return method",
  );

  it("confirms with sessions.Session() as session: session.request(...), when __enter__ returns self", async () => {
    const files = {
      "requests/sessions.py": sessions,
      "requests/api.py": code(
        "from . import sessions",
        "def request(method):",
        "    with sessions.Session() as session:",
        "        return session.request(method)",
        "def pooled(method):",
        "    with sessions.Pool() as session:",
        "        return session.request(method)",
      ),
    };
    // Pool.__enter__ returns something else: that session is unknown, and only resembles Session.
    expect(await callersOf(files, "Session.request")).toEqual({ confirmed: ["requests/api.py:4"], possible: ["requests/api.py:7"] });
    expect(await callersOf(files, "Pool.request")).toEqual({ confirmed: [], possible: [] });
  });

  const client = code("class Client:", "    def call(self):", "        pass", "class Other:", "    def call(self):", "        pass");

  it("confirms x = make_client() with def make_client() -> Client, imported, by module, awaited, Optional", async () => {
    const files = {
      "app/client.py": client,
      "app/factory.py": code(
        "from typing import Optional",
        "from app.client import Client",
        "def make_client() -> Client:",
        "    return Client()",
        "def maybe_client() -> Optional[Client]:",
        "    return None",
        "async def open_client() -> Client:",
        "    return Client()",
      ),
      "app/use.py": code(
        "from app.factory import make_client, maybe_client, open_client",
        "import app.factory as factory",
        "def go():",
        "    x = make_client()",
        "    x.call()",
        "    y = factory.make_client()",
        "    y.call()",
        "    z = maybe_client()",
        "    z.call()",
        "async def later():",
        "    c = await open_client()",
        "    c.call()",
        "    d = open_client()",
        "    d.call()",
        "    make_client().call()",
      ),
    };
    expect(await callersOf(files, "Client.call")).toEqual({
      confirmed: ["app/use.py:5", "app/use.py:7", "app/use.py:9", "app/use.py:12", "app/use.py:15"],
      possible: [],
    });
  });

  it("does not confirm a same-named factory of another module, no annotation, a union, or a reassigned variable", async () => {
    const files = {
      "app/client.py": client,
      "app/factory.py": code("from app.client import Client", "def make_client() -> Client:", "    return Client()"),
      "lib/factory.py": code(
        "from app.client import Client, Other",
        "def make_client():",
        "    return Client()",
        "def either() -> Client | Other:",
        "    return Other()",
        "def other() -> Other:",
        "    return Other()",
      ),
      "app/use.py": code(
        "from lib.factory import make_client, either",
        "def go():",
        "    client = make_client()",
        "    client.call()",
        "    c = either()",
        "    c.call()",
      ),
      "app/again.py": code(
        "from app.factory import make_client",
        "from lib.factory import other",
        "def go(flag):",
        "    c = make_client()",
        "    if flag:",
        "        c = other()",
        "    c.call()",
        "    d = make_client()",
        "    d = unknown()",
        "    d.call()",
        "def local():",
        "    def make_client():",
        "        return 1",
        "    e = make_client()",
        "    e.call()",
      ),
    };
    expect(await callersOf(files, "Client.call")).toEqual({ confirmed: [], possible: ["app/use.py:4"] });
  });
});

describe("TypeScript: results of functions", () => {
  const client = code("export class Client {", "  call() {}", "}", "export class Other {", "  call() {}", "}");

  it("confirms const c = createClient() with function createClient(): Client, also awaited Promise<Client> and by namespace", async () => {
    const files = {
      "src/client.ts": client,
      "src/factory.ts": code(
        "import { Client } from './client.js';",
        "export function createClient(): Client { return new Client(); }",
        "export const openClient = async (): Promise<Client> => new Client();",
      ),
      "src/use.ts": code(
        "import { createClient, openClient } from './factory.js';",
        "import * as factory from './factory.js';",
        "export async function go() {",
        "  const c = createClient();",
        "  c.call();",
        "  const d = await openClient();",
        "  d.call();",
        "  const e = factory.createClient();",
        "  e.call();",
        "  const p = openClient();",
        "  (await p).call();",
        "}",
      ),
    };
    expect(await callersOf(files, "Client.call")).toEqual({ confirmed: ["src/use.ts:5", "src/use.ts:7", "src/use.ts:9"], possible: [] });
  });

  it("does not confirm a same-named factory of another module, no return type, a union, or a reassigned variable", async () => {
    const files = {
      "src/client.ts": client,
      "src/factory.ts": code("import { Client } from './client.js';", "export function createClient(): Client { return new Client(); }"),
      "src/other/factory.ts": code(
        "import { Client, Other } from '../client.js';",
        "export function createClient() { return new Client(); }",
        "export function either(): Client | Other { return new Other(); }",
        "export function other(): Other { return new Other(); }",
      ),
      "src/use.ts": code(
        "import { createClient, either } from './other/factory.js';",
        "export function go() {",
        "  const client = createClient();",
        "  client.call();",
        "  const c = either();",
        "  c.call();",
        "}",
      ),
      "src/again.ts": code(
        "import { createClient } from './factory.js';",
        "import { other } from './other/factory.js';",
        "export function go(flag: boolean) {",
        "  let c = createClient();",
        "  if (flag) c = other();",
        "  c.call();",
        "  let d = createClient();",
        "  d = unknown();",
        "  d.call();",
        "}",
      ),
    };
    expect(await callersOf(files, "Client.call")).toEqual({ confirmed: [], possible: ["src/use.ts:4"] });
  });
});
