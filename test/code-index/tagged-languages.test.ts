import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { languageOf, parseFileSymbols, SymbolIndex, type CallSite, type Definition } from "../../src/code-index/symbol-index.js";
import { factsFor } from "../../src/planning/grounding.js";
import { buildStartingContext } from "../../src/planning/starting-context.js";
import { extractTerms } from "../../src/planning/thread-terms.js";
import { verifyReferences } from "../../src/planning/verify-references.js";
import { memoryRepoView } from "../helpers/memory-repo-view.js";

// The polyglot fixture: in each of Java, Rust, Ruby and C#, one method called from two places
// (UserService.save, Indexer.walk, Billing.Invoice.finalize, OrderService.Place) and a look-alike
// of the same name on another class (AuditLog.save, Crawler.walk, Billing.Receipt.finalize, Cart.Place).
// These languages are read through their grammars' tags queries: no types, so nothing is confirmed.
const ROOT = fileURLToPath(new URL("../fixtures/polyglot-repo/", import.meta.url));

function sourceFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of readdirSync(ROOT, { recursive: true, encoding: "utf8" }).map((p) => p.split("\\").join("/")).sort()) {
    if (languageOf(path) !== undefined) files[path] = readFileSync(ROOT + path, "utf8");
  }
  return files;
}

const JAVA = "java/src/main/java/com/acme/users/";

let files: Record<string, string>;
let index: SymbolIndex;

beforeAll(async () => {
  files = sourceFiles();
  index = await SymbolIndex.build(Object.entries(files).map(([path, text]) => ({ path, text })));
});

function only(qualifiedName: string): Definition {
  const found = index.lookup(qualifiedName).filter((d) => d.qualifiedName === qualifiedName);
  expect(found, `definitions named ${qualifiedName}`).toHaveLength(1);
  return found[0] as Definition;
}

function outline(path: string): Array<[string, string, number, number]> {
  return index.definitionsIn(path).map((d) => [d.qualifiedName, d.kind, d.startLine, d.endLine]);
}

function where(calls: readonly CallSite[]): string[] {
  return calls.map((call) => `${call.path}:${call.line} ${call.enclosing ?? "(top level)"}`);
}

/** The possible callers; asserts that none is confirmed. */
function possibleCallers(qualifiedName: string): string[] {
  const { confirmed, possible } = index.callers(only(qualifiedName));
  expect(confirmed).toEqual([]);
  return where(possible);
}

describe("definitions from the tags queries", () => {
  it("parses the 13 Java, Rust, Ruby and C# files", () => {
    expect(Object.keys(files)).toHaveLength(13);
    expect(index.fileCount).toBe(13);
  });

  it("Java: classes, records, interfaces, enums and methods, annotations not included", () => {
    expect(only("UserService.save")).toEqual({
      name: "save",
      qualifiedName: "UserService.save",
      kind: "method",
      path: `${JAVA}UserService.java`,
      startLine: 12,
      endLine: 16,
      signature: "public User save(User user) {",
    });
    expect(outline(`${JAVA}UserService.java`)).toEqual([
      ["UserService", "class", 7, 26],
      ["UserService.save", "method", 12, 16],
      ["UserService.count", "method", 18, 20],
      ["UserService.Status", "enum", 22, 25],
    ]);
    expect(outline(`${JAVA}User.java`)).toEqual([
      ["User", "class", 3, 3],
      ["UserStore", "interface", 5, 7],
      ["UserStore.save", "method", 6, 6],
    ]);
    expect(outline(`${JAVA}UserController.java`)).toEqual([
      ["UserController", "class", 3, 21],
      ["UserController.create", "method", 10, 12],
      ["UserController.Importer", "class", 14, 20],
      ["UserController.Importer.importAll", "method", 15, 19],
    ]);
  });

  it("Rust: structs, enums, type aliases, traits; impl blocks qualify their functions", () => {
    expect(outline("rust/src/indexer.rs")).toEqual([
      ["Indexer", "class", 5, 7],
      ["Mode", "enum", 9, 12],
      ["Count", "type", 14, 14],
      ["Indexer.new", "method", 17, 19],
      ["Indexer.walk", "method", 21, 24],
      ["Visit", "interface", 27, 31],
      ["Visit.visit", "method", 28, 30],
      ["normalize", "function", 33, 35],
    ]);
    expect(only("Indexer.walk").signature).toBe("pub fn walk(&mut self, root: &Path) -> Count {");
    expect(outline("rust/src/crawler.rs")).toEqual([
      ["Crawler", "class", 2, 2],
      ["Crawler.walk", "method", 5, 7],
    ]);
    // A function in a `mod` is a function, qualified by the module.
    expect(outline("rust/src/main.rs")).toEqual([
      ["main", "function", 8, 15],
      ["reindex", "function", 17, 19],
      ["tests.walks_nothing", "function", 22, 25],
    ]);
  });

  it("Ruby: modules and classes qualify their methods, singleton methods included", () => {
    expect(outline("ruby/lib/billing/invoice.rb")).toEqual([
      ["Billing", "class", 3, 26],
      ["Billing.Invoice", "class", 5, 25],
      ["Billing.Invoice.initialize", "method", 8, 11],
      ["Billing.Invoice.finalize", "method", 13, 16],
      ["Billing.Invoice.reissue", "method", 18, 20],
      ["Billing.Invoice.build", "method", 22, 24],
    ]);
    expect(only("Billing.Invoice.build").signature).toBe("def self.build(lines)");
    expect(outline("ruby/app/checkout.rb")).toEqual([
      ["Checkout", "class", 1, 10],
      ["Checkout.complete", "method", 2, 5],
      ["Checkout.preview", "method", 7, 9],
    ]);
  });

  it("C#: classes, structs, interfaces, enums and methods, attributes and namespaces not included", () => {
    expect(outline("csharp/Orders/OrderService.cs")).toEqual([
      ["OrderService", "class", 7, 22],
      ["OrderService.Place", "method", 12, 16],
      ["OrderService.Validate", "method", 18, 21],
      ["IOrderSink", "interface", 24, 27],
      ["IOrderSink.Place", "method", 26, 26],
      ["Order", "class", 29, 32],
      ["OrderState", "enum", 34, 34],
    ]);
    expect(only("OrderService.Place").signature).toBe("public void Place(Order order)");
    expect(outline("csharp/Orders/Cart.cs")).toEqual([
      ["Cart", "class", 4, 7],
      ["Cart.Place", "method", 6, 6],
    ]);
  });

  it("looks them up by simple, qualified and partly qualified name", () => {
    expect(index.lookup("UserService.save").map((d) => d.path)).toEqual([`${JAVA}UserService.java`]);
    expect(index.lookup("save").map((d) => d.qualifiedName)).toEqual(["AuditLog.save", "UserStore.save", "UserService.save"]);
    expect(index.lookup("Indexer.walk").map((d) => d.path)).toEqual(["rust/src/indexer.rs"]);
    expect(index.lookup("Billing.Invoice.finalize").map((d) => d.startLine)).toEqual([13]);
    // Written without its module, as plans often do.
    expect(index.lookup("Invoice.finalize").map((d) => d.qualifiedName)).toEqual(["Billing.Invoice.finalize"]);
    expect(index.lookup("orderservice.place").map((d) => d.qualifiedName)).toEqual(["OrderService.Place"]);
  });
});

describe("calls from the tags queries", () => {
  it("finds calls with their receivers and enclosing definitions, never with a receiver type", () => {
    const calls = Object.keys(files).flatMap((path) => index.callsIn(path));
    expect(calls.length).toBeGreaterThan(30);
    expect(calls.filter((call) => call.receiverType !== undefined)).toEqual([]);
    expect(index.callsIn(`${JAVA}UserController.java`).map((c) => [c.line, c.callee, c.receiver, c.enclosing])).toEqual([
      [11, "save", "userService", "UserController.create"],
      [11, "User", undefined, "UserController.create"],
      [17, "save", "userService", "UserController.Importer.importAll"],
      [17, "User", undefined, "UserController.Importer.importAll"],
    ]);
    expect(index.callsIn("rust/src/main.rs").map((c) => [c.line, c.callee, c.receiver, c.enclosing])).toEqual([
      [9, "new", "Indexer", "main"],
      [10, "normalize", undefined, "main"],
      [11, "walk", "indexer", "main"],
      [11, "new", "Path", "main"],
      [12, "walk", "Crawler", "main"],
      [13, "reindex", undefined, "main"],
      [18, "walk", "indexer", "reindex"],
      [18, "new", "Path", "reindex"],
      [23, "normalize", "super::indexer", "tests.walks_nothing"],
    ]);
  });

  it("Ruby: a bare name is a call unless it is a local variable or parameter", () => {
    expect(index.callsIn("ruby/lib/billing/receipt.rb").map((c) => [c.line, c.callee])).toEqual([[10, "puts"]]);
    expect(index.callsIn("ruby/lib/billing/invoice.rb").map((c) => [c.line, c.callee, c.receiver, c.enclosing])).toEqual([
      [1, "require_relative", undefined, undefined],
      [6, "attr_reader", undefined, undefined],
      [15, "new", "Receipt", "Billing.Invoice.finalize"],
      [15, "total", undefined, "Billing.Invoice.finalize"], // attr_reader's method, not the parameter of initialize
      [19, "finalize", undefined, "Billing.Invoice.reissue"],
      [23, "new", undefined, "Billing.Invoice.build"],
      [23, "sum", "lines", "Billing.Invoice.build"],
    ]);
  });

  it("lists the two callers of each method as possible, not the look-alikes' callers", () => {
    expect(possibleCallers("UserService.save")).toEqual([
      `${JAVA}UserController.java:11 UserController.create`,
      `${JAVA}UserController.java:17 UserController.Importer.importAll`,
    ]);
    expect(possibleCallers("AuditLog.save")).toEqual([`${JAVA}UserService.java:14 UserService.save`]);
    expect(possibleCallers("UserStore.save")).toEqual([]);

    expect(possibleCallers("Indexer.walk")).toEqual(["rust/src/main.rs:11 main", "rust/src/main.rs:18 reindex"]);
    expect(possibleCallers("Crawler.walk")).toEqual(["rust/src/main.rs:12 main"]);

    expect(possibleCallers("Billing.Invoice.finalize")).toEqual([
      "ruby/app/checkout.rb:4 Checkout.complete",
      "ruby/lib/billing/invoice.rb:19 Billing.Invoice.reissue",
    ]);
    expect(possibleCallers("Billing.Receipt.finalize")).toEqual([]);

    expect(possibleCallers("OrderService.Place")).toEqual([
      "csharp/Web/OrdersController.cs:12 OrdersController.Checkout",
      "csharp/Web/OrdersController.cs:16 OrdersController.Retry",
    ]);
    expect(possibleCallers("Cart.Place")).toEqual(["csharp/Web/OrdersController.cs:13 OrdersController.Checkout"]);
    expect(possibleCallers("IOrderSink.Place")).toEqual([]);
  });

  it("finds functions called by name or through their module, and classes where they are made", () => {
    expect(possibleCallers("normalize")).toEqual(["rust/src/main.rs:10 main", "rust/src/main.rs:23 tests.walks_nothing"]);
    expect(possibleCallers("OrderService.Validate")).toEqual(["csharp/Orders/OrderService.cs:14 OrderService.Place"]);
    expect(possibleCallers("Billing.Invoice.build")).toEqual(["ruby/app/checkout.rb:3 Checkout.complete"]);
    expect(possibleCallers("User")).toEqual([
      `${JAVA}UserController.java:11 UserController.create`,
      `${JAVA}UserController.java:17 UserController.Importer.importAll`,
    ]);
    expect(possibleCallers("Indexer")).toEqual(["rust/src/main.rs:9 main"]);
    expect(possibleCallers("Billing.Invoice")).toEqual([
      "ruby/app/checkout.rb:8 Checkout.preview",
      "ruby/lib/billing/invoice.rb:23 Billing.Invoice.build",
    ]);
    expect(possibleCallers("Billing.Receipt")).toEqual(["ruby/lib/billing/invoice.rb:15 Billing.Invoice.finalize"]);
    expect(possibleCallers("OrderService")).toEqual(["csharp/Web/OrdersController.cs:7 (top level)"]);
  });

  it("never confirms a call of these languages", () => {
    for (const definition of index.allDefinitions()) expect(index.callers(definition).confirmed, definition.qualifiedName).toEqual([]);
  });

  it("keeps languages apart: a Python `save` and its callers do not mix with Java's", async () => {
    const python = {
      "py/users.py": "class UserService:\n    def save(self, user):\n        return user\n",
      "py/app.py": "from users import UserService\n\ndef create(user_service: UserService):\n    user_service.save(1)\n",
    };
    const mixed = await SymbolIndex.build(Object.entries({ ...files, ...python }).map(([path, text]) => ({ path, text })));
    const [java, py] = ["java", "py"].map((dir) => mixed.lookup("UserService.save").find((d) => d.path.startsWith(dir)) as Definition);
    expect(mixed.callers(py as Definition)).toEqual({ confirmed: [expect.objectContaining({ path: "py/app.py", line: 4 })], possible: [] });
    const javaCallers = mixed.callers(java as Definition);
    expect(javaCallers.confirmed).toEqual([]);
    expect(javaCallers.possible.map((call) => call.path)).toEqual([`${JAVA}UserController.java`, `${JAVA}UserController.java`]);
  });
});

describe("what the planner makes of them", () => {
  it("shows their callers in the starting context as possible, not as places it is called from", () => {
    const view = memoryRepoView(files);
    const terms = extractTerms([{ text: "Who calls `UserService.save`? Make it validate the user first.", weight: 3 }]);
    const context = buildStartingContext({ view, index, terms, maxTokens: 8_000 });
    expect(context.symbols).toContain("UserService.save");
    const lines = context.text.split("\n");
    const start = lines.findIndex((line) => line.includes("`UserService.save` —"));
    const section = lines.slice(start, start + 5).join("\n");
    expect(section).toContain(`${JAVA}UserService.java:12-16`);
    expect(section).not.toMatch(/called from \d+ place/);
    expect(section).toContain("called: no call confirmed in all files devbuddy parsed.");
    expect(section).toContain("possibly called here (devbuddy could not tell the receiver's type; check before relying on it):");
    expect(section).toContain(`${JAVA}UserController.java:11 in \`UserController.create\``);
    expect(section).toContain(`${JAVA}UserController.java:17 in \`UserController.Importer.importAll\``);
    expect(section).not.toContain("UserService.java:14");
  });

  it("verifies references to their classes and methods, however the plan writes them", () => {
    const facts = factsFor({ view: memoryRepoView(files), index });
    const plan = "Change `UserService.save`, `Indexer::walk`, `Billing::Invoice#finalize`, `Invoice.finalize` and `OrderService.Place`; `UserService.delete` is new.";
    const { references } = verifyReferences(plan, facts);
    expect(references.map((r) => [r.text, r.status])).toEqual([
      ["UserService.save", "linked"],
      ["Indexer::walk", "linked"],
      ["Billing::Invoice#finalize", "linked"],
      ["Invoice.finalize", "linked"],
      ["OrderService.Place", "linked"],
      ["UserService.delete", "unverified"],
    ]);
  });

  it("reads a single file too", async () => {
    const symbols = await parseFileSymbols("Main.java", "class Main {\n  void run() { new Main().run(); }\n}\n");
    expect(symbols?.language).toBe("java");
    expect(symbols?.definitions.map((d) => d.qualifiedName)).toEqual(["Main", "Main.run"]);
    expect(symbols?.calls.map((c) => [c.callee, c.receiver, c.enclosing])).toEqual([
      ["Main", undefined, "Main.run"],
      ["run", "new Main()", "Main.run"],
    ]);
  });
});
