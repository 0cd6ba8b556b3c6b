import type { Node } from "web-tree-sitter";
import { isTagged, languageOf, parserFor, type SourceLanguage, type TaggedLanguage } from "./languages.js";
import { ParseFailures, sharedParsePool, type ParsePool } from "./parse-pool.js";
import { sortInSlices, TimeSlice } from "../util/time-slice.js";
import { extractTags, tagsQueryFor, taggedVerdict } from "./tags.js";

/**
 * The planner's symbol index: the definitions and call sites of a repository's source files,
 * read with tree-sitter, and "who calls this?" answered from the call sites actually found.
 *
 * Matching names alone claims calls that do not happen (every `x.call()` would call the AI
 * client's `call`), so a call only counts as *confirmed* when the receiver's class is
 * known: inferred per file from constructor calls, annotations, struct fields and `self`/`this`
 * (the rules are listed at each language's `typeOf`). A method call whose receiver type is
 * unknown is at most *possible*, and only when the receiver's name looks like the class.
 * Classes and functions called by name are resolved through the file itself and its imports,
 * each import to the module it names: a relative one from the importing file's directory, others
 * by the module path that ends most like it, so that a/util.ts is not b/util.ts.
 * Across files, only one thing flows: a value's origin. `r := NewRouter()`, `c = make_client()`,
 * `const c = await createClient()` and `with Session() as s` are recorded as "the result of
 * calling NewRouter" (see `ORIGIN`) and resolved by the index on first use: the one top-level
 * function the name reaches (as a confirmed call of it would), by its declared result type. A
 * field assigned in another file stays unknown.
 *
 * Java, Rust, Ruby and C# are read with their grammars' own tags queries instead (tags.ts):
 * definitions with qualified names, call sites with their receivers as written, no types. So
 * their calls are never confirmed, only possible (see `taggedVerdict`).
 */

export type { SourceLanguage } from "./languages.js";
export { languageOf } from "./languages.js";

export type DefinitionKind = "class" | "interface" | "function" | "method" | "type" | "enum";

export interface Definition {
  readonly name: string;
  /**
   * "AI.call" for members (Go: the receiver type, "Indexer.Walk"; Rust: the impl's type); nested
   * definitions carry their parents' names (Ruby: its modules, "Billing.Invoice.finalize"); top
   * level: the name. Java packages and C# namespaces are not part of it.
   */
  readonly qualifiedName: string;
  readonly kind: DefinitionKind;
  readonly path: string;
  /** 1-based, inclusive; decorators, annotations, attributes and comments are not included. */
  readonly startLine: number;
  /** 1-based, inclusive. */
  readonly endLine: number;
  /** The definition's first line, trimmed, at most 200 characters. */
  readonly signature: string;
}

export interface CallSite {
  readonly path: string;
  /** 1-based: the line of the called name (for a call chained over several lines, its own line). */
  readonly line: number;
  /** The called name: "call" for self.ai.call(...); "AI" for AI(...), new AI(), Go's AI{...} and JSX's <AI />; "new" for Ruby's AI.new. */
  readonly callee: string;
  /** Source text before the last dot (or `::`): "self.ai", "this.api", "ix", "Billing::Invoice". */
  readonly receiver?: string;
  /** The receiver's class or struct name, when it could be inferred (never for the tagged languages). */
  readonly receiverType?: string;
  /** qualifiedName of the innermost enclosing function or method. */
  readonly enclosing?: string;
  /** The whole source line, trimmed, at most 200 characters. */
  readonly text: string;
}

export interface FileSymbols {
  readonly path: string;
  readonly language: SourceLanguage;
  readonly definitions: readonly Definition[];
  readonly calls: readonly CallSite[];
}

export interface Callers {
  readonly confirmed: readonly CallSite[];
  readonly possible: readonly CallSite[];
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const MAX_TEXT = 200;

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}

function startsUpper(name: string): boolean {
  return /^[A-Z]/.test(name);
}

function lastOf(text: string, separator: string): string {
  return text.slice(text.lastIndexOf(separator) + 1);
}

/** Nodes under `root` in source order, except `root` itself and whatever `skip` accepts (with its subtree). */
function* descendants(root: Node, skip: (node: Node) => boolean): Generator<Node> {
  const stack: Node[] = [];
  pushChildren(stack, root);
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (skip(node)) continue;
    yield node;
    pushChildren(stack, node);
  }
}

/** Pushes a node's named children so that they pop in source order. */
function pushChildren(stack: Node[], node: Node): void {
  // web-tree-sitter caches `namedChildren` on the node: never reverse or otherwise mutate it.
  // A loop, not push(...children): a minified file can give one node 100,000 children.
  const children = node.namedChildren;
  for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Node);
}

// ---------------------------------------------------------------------------------------------
// What one file tells about types

/**
 * Types the file alone cannot tell, resolved by the index (`SymbolIndex.#receiverType`). They
 * start with a control character, so no class, field or module lookup ever matches one.
 *
 * An origin is what produced a value: `\u0002call\u0003<awaited 0|1>\u0003<result index>\u0003<receiver>\u0003<callee>`
 * for the result of calling a top-level function (`NewRouter()`, `mux.NewRouter()`, `await make()`),
 * `\u0002enter\u0003<class>` for what `with Cls() as x` binds (`Cls.__enter__`'s result).
 * A mixed type is a name's types when one of them is an origin: `\u0001`, "?" when the name was
 * also given a value of unknown type, then its types (classes and origins) separated by `\u0004`.
 */
const ORIGIN = "\u0002";
const MIXED = "\u0001";
const ORIGIN_PART = "\u0003";
const MIXED_PART = "\u0004";

function isDeferred(type: string): boolean {
  return type.startsWith(ORIGIN) || type.startsWith(MIXED);
}

function callOrigin(callee: string, receiver: string | undefined, index: number, awaited: boolean): string {
  return [`${ORIGIN}call`, awaited ? "1" : "0", String(index), receiver ?? "", callee].join(ORIGIN_PART);
}

/** A deferred type's members and whether the name also got a value of unknown type. */
function deferredMembers(type: string): { readonly untyped: boolean; readonly members: readonly string[] } {
  if (type.startsWith(ORIGIN)) return { untyped: false, members: [type] };
  const untyped = type[1] === "?";
  return { untyped, members: type.slice(untyped ? 2 : 1).split(MIXED_PART) };
}

/**
 * The type a file alone gives a deferred one: its single class, origins ignored. It stands
 * when none of the origins resolves (`#receiverType`), so an origin the index cannot follow
 * neither adds a type nor takes one away.
 */
function eagerType(type: string): string | undefined {
  const classes = deferredMembers(type).members.filter((member) => !member.startsWith(ORIGIN));
  return classes.length === 1 ? classes[0] : undefined;
}

/**
 * Names and the class types assigned to them, in a chain of scopes. A name keeps a type only
 * while every typed assignment agrees: `x = AI()` then `x = Notifier()` leaves `x` untyped.
 * Assignments whose type is unknown (`x = y[0]`) declare the name but do not erase a type;
 * they are remembered, though, for a name that also has an origin (see `ORIGIN`): an origin's
 * type counts only when nothing else unknown was assigned.
 */
class TypeTable {
  readonly #types = new Map<string, Set<string>>();
  /** Names given a value of unknown type; made on first use. */
  #untyped: Set<string> | undefined;
  readonly #parent: TypeTable | undefined;

  constructor(parent?: TypeTable) {
    this.#parent = parent;
  }

  /**
   * Declares a name in this scope, shadowing outer ones, with its type when one is known.
   * `valued`: the name gets a value here (false for `let x;`), so an unknown type is remembered.
   */
  declare(name: string, type: string | undefined, valued = true): void {
    let types = this.#types.get(name);
    if (types === undefined) {
      types = new Set();
      this.#types.set(name, types);
    }
    if (type === undefined) {
      if (valued) (this.#untyped ??= new Set()).add(name);
    } else if (type.startsWith(MIXED)) {
      const { untyped, members } = deferredMembers(type);
      for (const member of members) types.add(member);
      if (untyped) (this.#untyped ??= new Set()).add(name);
    } else types.add(type);
  }

  /** Assigns to the nearest scope that declares the name (or declares it here). */
  assign(name: string, type: string | undefined): void {
    (this.#scopeOf(name) ?? this).declare(name, type);
  }

  has(name: string): boolean {
    return this.#scopeOf(name) !== undefined;
  }

  /** The single type of a name; undefined when unknown, ambiguous or undeclared; a mixed type when an origin is among them. */
  typeOf(name: string): string | undefined {
    const scope = this.#scopeOf(name);
    if (scope === undefined) return undefined;
    const types = scope.#types.get(name);
    if (types === undefined || types.size === 0) return undefined;
    let deferred = false;
    for (const type of types) if (type.startsWith(ORIGIN)) deferred = true;
    if (!deferred) return types.size === 1 ? types.values().next().value : undefined;
    return `${MIXED}${scope.#untyped?.has(name) === true ? "?" : ""}${[...types].join(MIXED_PART)}`;
  }

  #scopeOf(name: string): TypeTable | undefined {
    for (let table: TypeTable | undefined = this; table !== undefined; table = table.#parent) {
      if (table.#types.has(name)) return table;
    }
    return undefined;
  }
}

/** What an import binds a local name to. `name` undefined: the whole module (namespace, Go package). */
interface ImportBinding {
  readonly module: string;
  readonly name?: string;
}

interface ClassFacts {
  readonly fields: TypeTable;
  /** Base classes; for Go, embedded structs (their methods are promoted). */
  readonly bases: string[];
}

interface FileFacts {
  readonly imports: Map<string, ImportBinding>;
  /**
   * What the module passes on from others, by the name it exports: ES `export { x } from "./x"`.
   * (A Python module's imports are its names already, so Python re-exports are its imports.)
   */
  readonly exports: Map<string, ImportBinding>;
  /** Modules passed on whole: ES `export * from "./x"`, Python `from .x import *`. */
  readonly exportsAllFrom: string[];
  readonly classes: Map<string, ClassFacts>;
  /** Module-level variables: the outermost scope. */
  readonly module: TypeTable;
}

function classFacts(facts: FileFacts, name: string): ClassFacts {
  let found = facts.classes.get(name);
  if (found === undefined) {
    found = { fields: new TypeTable(), bases: [] };
    facts.classes.set(name, found);
  }
  return found;
}

interface TypeContext {
  readonly facts: FileFacts;
  readonly scope: TypeTable;
  /** The class whose body this is: the type of `this`, and where `super` looks. */
  readonly ownClass?: string | undefined;
}

/** A class named in code, under its original name when imported under an alias. */
function className(name: string, facts: FileFacts): string {
  const binding = facts.imports.get(name);
  return binding?.name !== undefined && binding.name !== "default" ? binding.name : name;
}

function fieldType(type: string | undefined, field: string, facts: FileFacts): string | undefined {
  return type === undefined ? undefined : facts.classes.get(type)?.fields.typeOf(field);
}

function superType(ctx: TypeContext): string | undefined {
  return ctx.ownClass === undefined ? undefined : ctx.facts.classes.get(ctx.ownClass)?.bases[0];
}

/**
 * An identifier's type: a typed variable, or, with `staticAccess`, a capitalized name that is
 * no variable (a class used directly, as in `AI.create()`).
 */
function nameType(name: string, ctx: TypeContext, staticAccess: boolean): string | undefined {
  if (ctx.scope.has(name)) return ctx.scope.typeOf(name);
  const binding = ctx.facts.imports.get(name);
  if (binding !== undefined && binding.name === undefined) return undefined; // a module
  return staticAccess && startsUpper(name) ? className(name, ctx.facts) : undefined;
}

// ---------------------------------------------------------------------------------------------
// One grammar's rules

/** The families with hand-written rules (and type inference); each tagged language is its own family. */
type InferredFamily = "python" | "ecmascript" | "go";
type LanguageFamily = InferredFamily | TaggedLanguage;
type InferredLanguage = Exclude<SourceLanguage, TaggedLanguage>;

const FAMILIES: Readonly<Record<SourceLanguage, LanguageFamily>> = {
  python: "python",
  typescript: "ecmascript",
  tsx: "ecmascript",
  javascript: "ecmascript",
  go: "go",
  java: "java",
  rust: "rust",
  ruby: "ruby",
  csharp: "csharp",
};

const INFERRED_FAMILIES: Readonly<Record<InferredLanguage, InferredFamily>> = {
  python: "python",
  typescript: "ecmascript",
  tsx: "ecmascript",
  javascript: "ecmascript",
  go: "go",
};

interface DefinitionMatch {
  readonly name: string;
  readonly kind: DefinitionKind;
  /** The node whose lines the definition spans. */
  readonly node: Node;
  /** The first line (0-based) when the node starts earlier, at its decorators. */
  readonly startRow?: number;
  /** A function-like node: its body gets a scope with its parameters and locals. */
  readonly fn?: Node;
  /** Qualifies the name instead of the enclosing definition (Go: the receiver type). */
  readonly owner?: string;
  /** A Python `@overload` stub: only a signature, the implementation follows it. */
  readonly overload?: boolean;
}

interface CallMatch {
  readonly callee: string;
  /** The node of the called name; its line is the call's line. */
  readonly nameNode: Node;
  readonly receiver?: Node;
}

interface Grammar {
  /** Imports, classes (fields, bases) and module-level variables. */
  collectFacts(root: Node): FileFacts;
  definition(node: Node, inClass: boolean): DefinitionMatch | undefined;
  /** The types inside a function: the outer ones plus its parameters and locals. */
  functionContext(fn: Node, outer: TypeContext, isMethod: boolean): TypeContext;
  call(node: Node): CallMatch | undefined;
  typeOf(node: Node, ctx: TypeContext): string | undefined;
  /** A function's declared result, for the origins that name it (see `ORIGIN`); `ctx` is the definition's. */
  returns(fn: Node, ctx: TypeContext): ReturnType | undefined;
}

/** What a function declares it returns, as class names. */
interface ReturnType {
  /** By position (Go's multiple results); empty for an async function. */
  readonly plain: readonly (string | undefined)[];
  /** What awaiting the result gives: an async function's or a `Promise<Cls>`'s class. */
  readonly awaited?: string | undefined;
  /** A Python `__enter__` that only ever returns `self`: the entered object's own class. */
  readonly self?: boolean;
}

/** Generic or special result types that say nothing about a class of the repository. */
const NOT_A_CLASS_RESULT = new Set([
  "Promise", "PromiseLike", "Array", "ReadonlyArray", "Map", "Set", "ReadonlyMap", "ReadonlySet", "WeakMap", "WeakSet", "Record",
  "Partial", "Readonly", "Required", "Pick", "Omit", "Iterable", "Iterator", "IterableIterator", "Generator", "AsyncGenerator",
  "AsyncIterable", "AsyncIterator", "ReturnType", "Awaited", "InstanceType", "NonNullable", "Extract", "Exclude",
]);

/** Does the function node start with `async`? */
function isAsync(fn: Node): boolean {
  return fn.children.some((child) => child.type === "async");
}

function named(node: Node, kind: DefinitionKind, fn?: Node): DefinitionMatch | undefined {
  const name = node.childForFieldName("name")?.text;
  if (name === undefined || name === "") return undefined;
  return fn === undefined ? { name, kind, node } : { name, kind, node, fn };
}

function emptyFacts(): FileFacts {
  return { imports: new Map(), exports: new Map(), exportsAllFrom: [], classes: new Map(), module: new TypeTable() };
}

/** Nodes that belong to a function body itself, not to a nested definition (which gets its own scope). */
function bodyNodes(grammar: Grammar, fn: Node): Generator<Node> {
  const body = fn.childForFieldName("body") ?? fn;
  return descendants(body, (node) => grammar.definition(node, false) !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Python

/** Type annotations: `Cls`, `mod.Cls`, `"Cls"`, `Optional[Cls]`, `Cls | None`. */
function pythonAnnotation(node: Node | null | undefined, facts: FileFacts): string | undefined {
  if (node === null || node === undefined) return undefined;
  switch (node.type) {
    case "type":
    case "parenthesized_expression":
      return pythonAnnotation(node.firstNamedChild, facts);
    case "identifier":
      // Any and object say nothing about the class, they must not rule one out.
      return node.text === "Any" || node.text === "object" ? undefined : className(node.text, facts);
    case "attribute":
      return node.childForFieldName("attribute")?.text;
    case "string": {
      const content = node.namedChildren.find((child) => child.type === "string_content")?.text ?? "";
      return /^[A-Za-z_][\w.]*$/.test(content) ? className(lastOf(content, "."), facts) : undefined;
    }
    case "generic_type": {
      const [generic, parameter] = node.namedChildren;
      return generic?.text === "Optional" ? pythonAnnotation(parameter?.firstNamedChild, facts) : undefined;
    }
    case "subscript":
      return node.childForFieldName("value")?.text === "Optional"
        ? pythonAnnotation(node.childForFieldName("subscript"), facts)
        : undefined;
    case "binary_operator": {
      const sides = [node.childForFieldName("left"), node.childForFieldName("right")].filter(
        (side) => side !== null && side.type !== "none",
      );
      return sides.length === 1 ? pythonAnnotation(sides[0], facts) : undefined;
    }
    default:
      return undefined;
  }
}

/** Does one of the function's decorators, as written (`staticmethod`, `t.overload`), pass `test`? */
function hasDecorator(fn: Node, test: (decorator: string) => boolean): boolean {
  const decorated = fn.parent;
  return (
    decorated?.type === "decorated_definition" &&
    decorated.namedChildren.some((child) => child.type === "decorator" && test(child.firstNamedChild?.text ?? ""))
  );
}

function isStaticMethod(fn: Node): boolean {
  return hasDecorator(fn, (decorator) => decorator === "staticmethod");
}

/** `@overload`, `@typing.overload`, `@t.overload`. */
function isOverloadStub(fn: Node): boolean {
  return hasDecorator(fn, (decorator) => decorator === "overload" || decorator.endsWith(".overload"));
}

function pythonParameterName(parameter: Node): string | undefined {
  if (parameter.type === "identifier") return parameter.text;
  const name = parameter.childForFieldName("name") ?? parameter.namedChildren.find((child) => child.type === "identifier");
  return name?.text;
}

/** The name of a method's first parameter (self, cls); undefined for static methods. */
function pythonSelfName(fn: Node): string | undefined {
  if (isStaticMethod(fn)) return undefined;
  const first = fn.childForFieldName("parameters")?.firstNamedChild;
  return first === null || first === undefined ? undefined : pythonParameterName(first);
}

/** `x = Cls(...)`, `x: Cls = ...`, `x = other_typed_name`; tuple targets only declare their names. */
function pythonAssignment(assignment: Node, ctx: TypeContext, table: TypeTable): void {
  const left = assignment.childForFieldName("left");
  if (left === null) return;
  if (left.type === "identifier") {
    const annotation = assignment.childForFieldName("type");
    const right = assignment.childForFieldName("right");
    const type =
      annotation !== null ? pythonAnnotation(annotation, ctx.facts) : right !== null ? python.typeOf(right, ctx) : undefined;
    table.declare(left.text, type);
  } else if (left.type === "pattern_list" || left.type === "tuple_pattern") {
    for (const name of left.namedChildren) if (name.type === "identifier") table.declare(name.text, undefined);
  }
}

/** `with Cls() as x`: x is what `Cls.__enter__` returns (deferred: see `ORIGIN`); `async with` is left unknown. */
function pythonWithItem(item: Node, ctx: TypeContext, table: TypeTable): void {
  const value = item.childForFieldName("value");
  if (value?.type !== "as_pattern") return;
  const target = value.childForFieldName("alias")?.firstNamedChild;
  const expression = value.firstNamedChild;
  if (target?.type !== "identifier") return;
  const statement = item.parent?.parent;
  const async = statement?.type === "with_statement" && isAsync(statement);
  const type = expression === null || async ? undefined : python.typeOf(expression, ctx);
  table.declare(target.text, type === undefined || isDeferred(type) ? undefined : [`${ORIGIN}enter`, type].join(ORIGIN_PART));
}

/**
 * `f()`, `module.f()`, `await f()`: the result of calling a top-level function, when the name is
 * no variable (and `module` an import), for the index to resolve (see `ORIGIN`).
 */
function pythonCallOrigin(call: Node, ctx: TypeContext, awaited: boolean): string | undefined {
  const fn = call.childForFieldName("function");
  if (fn?.type === "identifier") return ctx.scope.has(fn.text) ? undefined : callOrigin(fn.text, undefined, 0, awaited);
  if (fn?.type !== "attribute") return undefined;
  const object = fn.childForFieldName("object");
  const attribute = fn.childForFieldName("attribute")?.text;
  let head = object;
  while (head?.type === "attribute") head = head.childForFieldName("object");
  if (object === null || attribute === undefined || head?.type !== "identifier") return undefined;
  if (ctx.scope.has(head.text) || !ctx.facts.imports.has(head.text)) return undefined;
  return callOrigin(attribute, object.text.replace(/\s+/g, ""), 0, awaited);
}

function pythonImports(root: Node, facts: FileFacts): void {
  const { imports } = facts;
  for (const statement of root.descendantsOfType(["import_statement", "import_from_statement"])) {
    const from = statement.childForFieldName("module_name")?.text;
    if (from !== undefined && statement.namedChildren.some((child) => child.type === "wildcard_import")) facts.exportsAllFrom.push(from);
    for (const imported of statement.childrenForFieldName("name")) {
      const alias = imported.type === "aliased_import" ? imported.childForFieldName("alias")?.text : undefined;
      const dotted = imported.type === "aliased_import" ? imported.childForFieldName("name")?.text : imported.text;
      if (dotted === undefined) continue;
      if (from === undefined) {
        // `import a.b` binds the dotted name, used as written (`a.b.f()`), and the package `a`
        // itself, whose own names (`a.g()`) are reachable through it too.
        imports.set(alias ?? dotted, { module: dotted });
        const top = dotted.split(".")[0] as string;
        if (alias === undefined && top !== dotted && !imports.has(top)) imports.set(top, { module: top });
      } else imports.set(alias ?? dotted, { module: from, name: dotted });
    }
  }
}

function pythonClasses(root: Node, facts: FileFacts): void {
  for (const cls of root.descendantsOfType("class_definition")) {
    const name = cls.childForFieldName("name")?.text;
    const body = cls.childForFieldName("body");
    if (name === undefined || body === null) continue;
    const { fields, bases } = classFacts(facts, name);
    for (const base of cls.childForFieldName("superclasses")?.namedChildren ?? []) {
      if (base.type === "identifier") bases.push(className(base.text, facts));
      else if (base.type === "attribute") bases.push(base.childForFieldName("attribute")?.text ?? base.text);
    }
    const classContext: TypeContext = { facts, scope: facts.module, ownClass: name };
    for (const statement of body.namedChildren) {
      // Class attributes and dataclass fields: `client = AI()`, `client: AI`.
      const assignment = statement.type === "expression_statement" ? statement.firstNamedChild : null;
      if (assignment?.type === "assignment") pythonAssignment(assignment, classContext, fields);
      const fn = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
      if (fn?.type === "function_definition") pythonSelfAssignments(fn, classContext, fields);
    }
  }
}

/** `self.x = Cls(...)`, `self.x: Cls = ...`, `self.x = param` (param: Cls) in one method. */
function pythonSelfAssignments(fn: Node, classContext: TypeContext, fields: TypeTable): void {
  const self = pythonSelfName(fn);
  if (self === undefined) return;
  const ctx = python.functionContext(fn, classContext, true);
  for (const node of bodyNodes(python, fn)) {
    if (node.type !== "assignment") continue;
    const left = node.childForFieldName("left");
    const attribute = left?.childForFieldName("attribute");
    if (left?.type !== "attribute" || left.childForFieldName("object")?.text !== self || attribute == null) continue;
    const annotation = node.childForFieldName("type");
    const right = node.childForFieldName("right");
    fields.declare(
      attribute.text,
      annotation !== null ? pythonAnnotation(annotation, ctx.facts) : right !== null ? python.typeOf(right, ctx) : undefined,
    );
  }
}

const python: Grammar = {
  collectFacts(root) {
    const facts = emptyFacts();
    pythonImports(root, facts);
    const moduleContext: TypeContext = { facts, scope: facts.module };
    for (const node of descendants(root, (n) => python.definition(n, false) !== undefined)) {
      if (node.type === "assignment") pythonAssignment(node, moduleContext, facts.module);
      else if (node.type === "with_item") pythonWithItem(node, moduleContext, facts.module);
    }
    pythonClasses(root, facts);
    return facts;
  },

  definition(node, inClass) {
    if (node.type === "class_definition") return named(node, "class");
    if (node.type !== "function_definition") return undefined;
    const match = named(node, inClass ? "method" : "function", node);
    return match !== undefined && isOverloadStub(node) ? { ...match, overload: true } : match;
  },

  functionContext(fn, outer, isMethod) {
    const ctx: TypeContext = { ...outer, scope: new TypeTable(outer.scope) };
    const self = isMethod ? pythonSelfName(fn) : undefined;
    for (const parameter of fn.childForFieldName("parameters")?.namedChildren ?? []) {
      const name = pythonParameterName(parameter);
      if (name === undefined) continue;
      const type = name === self ? outer.ownClass : pythonAnnotation(parameter.childForFieldName("type"), ctx.facts);
      ctx.scope.declare(name, type);
    }
    for (const node of bodyNodes(python, fn)) {
      if (node.type === "assignment") pythonAssignment(node, ctx, ctx.scope);
      else if (node.type === "with_item") pythonWithItem(node, ctx, ctx.scope);
    }
    return ctx;
  },

  call(node) {
    if (node.type !== "call") return undefined;
    const fn = node.childForFieldName("function");
    if (fn?.type === "identifier") return { callee: fn.text, nameNode: fn };
    const attribute = fn?.type === "attribute" ? fn.childForFieldName("attribute") : null;
    const receiver = fn?.childForFieldName("object");
    if (attribute == null || receiver == null) return undefined;
    return { callee: attribute.text, nameNode: attribute, receiver };
  },

  /**
   * `self`/`cls`: the method's class; a name: its parameter annotation or assigned constructor
   * (innermost function first, then the module); `self.x`: the class's attribute `x`; `Cls(...)`
   * (capitalized names only) and capitalized bare names: Cls; `super()`: the first base class;
   * `f()`, `module.f()`, `await f()`: f's declared result and `with Cls() as x`: what `Cls.__enter__`
   * returns, both resolved by the index.
   */
  typeOf(node, ctx) {
    switch (node.type) {
      case "identifier":
        return nameType(node.text, ctx, true);
      case "attribute": {
        const object = node.childForFieldName("object");
        const attribute = node.childForFieldName("attribute")?.text;
        return object === null || attribute === undefined ? undefined : fieldType(python.typeOf(object, ctx), attribute, ctx.facts);
      }
      case "call": {
        const fn = node.childForFieldName("function");
        if (fn?.type === "identifier" && fn.text === "super") return superType(ctx);
        const name = fn?.type === "attribute" ? fn.childForFieldName("attribute")?.text : fn?.type === "identifier" ? fn.text : undefined;
        if (name === undefined) return undefined;
        return startsUpper(name) ? className(name, ctx.facts) : pythonCallOrigin(node, ctx, false);
      }
      case "await": {
        const inner = node.firstNamedChild;
        return inner?.type === "call" ? pythonCallOrigin(inner, ctx, true) : undefined;
      }
      case "parenthesized_expression": {
        const inner = node.firstNamedChild;
        return inner === null ? undefined : python.typeOf(inner, ctx);
      }
      default:
        return undefined;
    }
  },

  /**
   * `-> Cls` (also `Optional[Cls]`, `Cls | None`, `"Cls"`); async: what awaiting gives. Not for
   * generic functions or TypeVars. `__enter__` without one: `self`, when it returns nothing else.
   */
  returns(fn, ctx) {
    if (fn.childForFieldName("type_parameters") !== null) return undefined;
    const annotation = fn.childForFieldName("return_type");
    const enter = fn.childForFieldName("name")?.text === "__enter__" && !isAsync(fn);
    let type = annotation === null ? undefined : pythonAnnotation(annotation, ctx.facts);
    if (type === "Self") return enter ? { plain: [], self: true } : undefined;
    if (type !== undefined && ctx.facts.module.typeOf(type) === "TypeVar") type = undefined;
    if (type !== undefined) return isAsync(fn) ? { plain: [], awaited: type } : { plain: [type] };
    if (annotation !== null || !enter) return undefined;
    const self = pythonSelfName(fn);
    const body = [...bodyNodes(python, fn)];
    const results = body.filter((node) => node.type === "return_statement");
    const onlySelf =
      self !== undefined &&
      results.length > 0 &&
      !body.some((node) => node.type === "yield" || (node.type === "assignment" && node.childForFieldName("left")?.text === self)) &&
      results.every((node) => node.namedChildCount === 1 && node.firstNamedChild?.type === "identifier" && node.firstNamedChild.text === self);
    return onlySelf ? { plain: [], self: true } : undefined;
  },
};

// ---------------------------------------------------------------------------------------------
// TypeScript, TSX and JavaScript (one rule set: the TypeScript grammars extend the JavaScript one)

const FUNCTION_VALUES = new Set(["arrow_function", "function_expression", "function", "generator_function"]);
const CLASS_NODES = ["class_declaration", "abstract_class_declaration", "class"];

/** Type annotations: `Cls`, `ns.Cls`, `Cls<T>`, `Cls | undefined | null`. */
function tsAnnotation(node: Node | null | undefined, facts: FileFacts): string | undefined {
  if (node === null || node === undefined) return undefined;
  switch (node.type) {
    case "type_annotation":
    case "parenthesized_type":
      return tsAnnotation(node.firstNamedChild, facts);
    case "type_identifier":
      return className(node.text, facts);
    case "nested_type_identifier":
      return node.childForFieldName("name")?.text;
    case "generic_type":
      return tsAnnotation(node.childForFieldName("name"), facts);
    case "union_type": {
      const members = unionMembers(node).filter((member) => !/^(undefined|null)$/.test(member.text));
      return members.length === 1 ? tsAnnotation(members[0], facts) : undefined;
    }
    default:
      return undefined;
  }
}

function unionMembers(node: Node): Node[] {
  return node.type === "union_type" ? node.namedChildren.flatMap(unionMembers) : [node];
}

function stringContent(node: Node | null | undefined): string | undefined {
  if (node === null || node === undefined || node.type !== "string") return undefined;
  return node.namedChildren.find((child) => child.type === "string_fragment")?.text ?? "";
}

function ecmascriptImports(root: Node, facts: FileFacts): void {
  const { imports } = facts;
  // Barrels: `export { a, b as c } from "./m"`, `export * from "./m"`.
  for (const statement of root.descendantsOfType("export_statement")) {
    const module = stringContent(statement.childForFieldName("source"));
    if (module === undefined) continue;
    const clause = statement.namedChildren.find((child) => child.type === "export_clause");
    if (clause === undefined) {
      if (statement.namedChildren.every((child) => child.type === "string" || child.type === "comment")) facts.exportsAllFrom.push(module);
      continue;
    }
    for (const specifier of clause.namedChildren) {
      const name = specifier.childForFieldName("name")?.text;
      const alias = specifier.childForFieldName("alias")?.text;
      if (name !== undefined) facts.exports.set(alias ?? name, { module, name });
    }
  }
  for (const statement of root.descendantsOfType("import_statement")) {
    const module = stringContent(statement.childForFieldName("source"));
    const clause = statement.namedChildren.find((child) => child.type === "import_clause");
    if (module === undefined || clause === undefined) continue;
    for (const part of clause.namedChildren) {
      if (part.type === "identifier") imports.set(part.text, { module, name: "default" });
      else if (part.type === "namespace_import") {
        const alias = part.firstNamedChild?.text;
        if (alias !== undefined) imports.set(alias, { module });
      } else if (part.type === "named_imports") {
        for (const specifier of part.namedChildren) {
          const name = specifier.childForFieldName("name")?.text;
          const alias = specifier.childForFieldName("alias")?.text;
          if (name !== undefined) imports.set(alias ?? name, { module, name });
        }
      }
    }
  }
  // CommonJS: `const x = require("m")`, `const { a, b: c } = require("m")`.
  for (const declarator of root.descendantsOfType("variable_declarator")) {
    const value = declarator.childForFieldName("value");
    if (value?.type !== "call_expression" || value.childForFieldName("function")?.text !== "require") continue;
    const module = stringContent(value.childForFieldName("arguments")?.firstNamedChild);
    const target = declarator.childForFieldName("name");
    if (module === undefined || target === null) continue;
    if (target.type === "identifier") imports.set(target.text, { module });
    for (const property of target.type === "object_pattern" ? target.namedChildren : []) {
      if (property.type === "shorthand_property_identifier_pattern") imports.set(property.text, { module, name: property.text });
      const key = property.type === "pair_pattern" ? property.childForFieldName("key")?.text : undefined;
      const local = property.type === "pair_pattern" ? property.childForFieldName("value")?.text : undefined;
      if (key !== undefined && local !== undefined) imports.set(local, { module, name: key });
    }
  }
}

/** A class node's name: its own, or the variable it is assigned to (`const A = class {}`). */
function ecmascriptClassName(cls: Node): string | undefined {
  const own = cls.childForFieldName("name")?.text;
  if (own !== undefined) return own;
  return cls.parent?.type === "variable_declarator" ? cls.parent.childForFieldName("name")?.text : undefined;
}

/** The base class first (where `super` goes), then implemented interfaces. */
function ecmascriptBases(cls: Node, facts: FileFacts): string[] {
  const heritage = cls.namedChildren.find((child) => child.type === "class_heritage");
  if (heritage === undefined) return [];
  const bases: string[] = [];
  const extendsClause = heritage.namedChildren.find((child) => child.type === "extends_clause");
  // TypeScript wraps the base in an extends_clause; JavaScript puts the expression directly.
  const base = extendsClause === undefined ? heritage.firstNamedChild : extendsClause.childForFieldName("value");
  if (base?.type === "identifier") bases.push(className(base.text, facts));
  const member = base?.type === "member_expression" ? base.childForFieldName("property")?.text : undefined;
  if (member !== undefined) bases.push(member);
  const implementsClause = heritage.namedChildren.find((child) => child.type === "implements_clause");
  for (const type of implementsClause?.namedChildren ?? []) {
    const name = tsAnnotation(type, facts);
    if (name !== undefined) bases.push(name);
  }
  return bases;
}

function memberName(member: Node): string | undefined {
  return (member.childForFieldName("name") ?? member.childForFieldName("property"))?.text;
}

/** `constructor(private readonly x: Cls)` declares a field. */
function isParameterProperty(parameter: Node): boolean {
  return parameter.children.some((child) =>
    ["accessibility_modifier", "override_modifier", "readonly"].includes(child.type),
  );
}

function ecmascriptClasses(root: Node, facts: FileFacts): void {
  for (const cls of root.descendantsOfType(CLASS_NODES)) {
    const name = ecmascriptClassName(cls);
    const body = cls.childForFieldName("body");
    if (name === undefined || body === null) continue;
    const { fields, bases } = classFacts(facts, name);
    bases.push(...ecmascriptBases(cls, facts));
    const classContext: TypeContext = { facts, scope: facts.module, ownClass: name };
    for (const member of body.namedChildren) {
      const field = memberName(member);
      if (field === undefined) continue;
      if (member.type === "public_field_definition" || member.type === "field_definition") {
        // `x: Cls`, `x = new Cls()`.
        const annotation = member.childForFieldName("type");
        const value = member.childForFieldName("value");
        const type = annotation !== null ? tsAnnotation(annotation, facts) : value !== null ? ecmascript.typeOf(value, classContext) : undefined;
        fields.declare(field, type);
      } else if (member.type === "method_definition") {
        const ctx = ecmascript.functionContext(member, classContext, true);
        if (field === "constructor") {
          for (const parameter of member.childForFieldName("parameters")?.namedChildren ?? []) {
            const parameterName = parameter.childForFieldName("pattern");
            if (isParameterProperty(parameter) && parameterName?.type === "identifier") {
              fields.declare(parameterName.text, tsAnnotation(parameter.childForFieldName("type"), facts));
            }
          }
        }
        // `this.x = new Cls()`, `this.x = param` (param: Cls).
        for (const node of bodyNodes(ecmascript, member)) {
          if (node.type !== "assignment_expression") continue;
          const left = node.childForFieldName("left");
          const right = node.childForFieldName("right");
          const property = left?.childForFieldName("property")?.text;
          if (left?.type !== "member_expression" || left.childForFieldName("object")?.type !== "this") continue;
          if (property !== undefined && right !== null) fields.declare(property, ecmascript.typeOf(right, ctx));
        }
      }
    }
  }
}

/**
 * `f()`, `ns.f()` (`ns` a namespace or default import), `await f()`: the result of calling a
 * top-level function, when the name is no variable, for the index to resolve (see `ORIGIN`).
 */
function ecmascriptCallOrigin(call: Node, ctx: TypeContext, awaited: boolean): string | undefined {
  const fn = call.childForFieldName("function");
  if (fn?.type === "identifier") return ctx.scope.has(fn.text) ? undefined : callOrigin(fn.text, undefined, 0, awaited);
  if (fn?.type !== "member_expression") return undefined;
  const object = fn.childForFieldName("object");
  const property = fn.childForFieldName("property");
  if (object?.type !== "identifier" || property?.type !== "property_identifier" || ctx.scope.has(object.text)) return undefined;
  const binding = ctx.facts.imports.get(object.text);
  return binding === undefined || namespaceModule(binding, "ecmascript") === undefined ? undefined : callOrigin(property.text, object.text, 0, awaited);
}

/** `: Cls`, `: Cls | undefined`; `: Promise<Cls>` or async: what awaiting gives. */
function ecmascriptReturns(fn: Node, facts: FileFacts): ReturnType | undefined {
  if (fn.childForFieldName("type_parameters") !== null) return undefined;
  const declared = fn.childForFieldName("return_type")?.firstNamedChild;
  if (declared === null || declared === undefined) return undefined;
  if (declared.type === "generic_type" && declared.childForFieldName("name")?.text === "Promise") {
    const parameters = declared.childForFieldName("type_arguments")?.namedChildren ?? [];
    const awaited = parameters.length === 1 ? tsAnnotation(parameters[0], facts) : undefined;
    return awaited === undefined || NOT_A_CLASS_RESULT.has(awaited) ? undefined : { plain: [], awaited };
  }
  if (isAsync(fn)) return undefined;
  const type = tsAnnotation(declared, facts);
  return type === undefined || NOT_A_CLASS_RESULT.has(type) ? undefined : { plain: [type] };
}

/** `const x = new Cls()`, `const x: Cls = ...`, `x = new Cls()` (to the declared `x`). */
function ecmascriptLocal(node: Node, ctx: TypeContext): void {
  if (node.type === "variable_declarator") {
    const name = node.childForFieldName("name");
    if (name?.type !== "identifier") return;
    const annotation = node.childForFieldName("type");
    const value = node.childForFieldName("value");
    const type = annotation !== null ? tsAnnotation(annotation, ctx.facts) : value !== null ? ecmascript.typeOf(value, ctx) : undefined;
    ctx.scope.declare(name.text, type, annotation !== null || value !== null);
  } else if (node.type === "assignment_expression") {
    const left = node.childForFieldName("left");
    const right = node.childForFieldName("right");
    if (left?.type === "identifier" && right !== null) ctx.scope.assign(left.text, ecmascript.typeOf(right, ctx));
  }
}

const ecmascript: Grammar = {
  collectFacts(root) {
    const facts = emptyFacts();
    ecmascriptImports(root, facts);
    const moduleContext: TypeContext = { facts, scope: facts.module };
    for (const node of descendants(root, (n) => ecmascript.definition(n, false) !== undefined)) ecmascriptLocal(node, moduleContext);
    ecmascriptClasses(root, facts);
    return facts;
  },

  definition(node, inClass) {
    switch (node.type) {
      case "class_declaration":
      case "abstract_class_declaration":
      case "class": {
        const name = ecmascriptClassName(node);
        if (name === undefined) return undefined;
        // Decorators belong to the class node; its first line is the one after them.
        const start = node.children.find((child) => child.type !== "decorator" && child.type !== "comment");
        return { name, kind: "class", node, startRow: (start ?? node).startPosition.row };
      }
      case "interface_declaration":
        return named(node, "interface");
      case "type_alias_declaration":
        return named(node, "type");
      case "enum_declaration":
        return named(node, "enum");
      case "function_declaration":
      case "generator_function_declaration":
        return named(node, "function", node);
      case "variable_declarator": {
        // `const f = () => ...` is how much TS/JS defines its functions.
        const value = node.childForFieldName("value");
        const name = node.childForFieldName("name");
        if (value === null || !FUNCTION_VALUES.has(value.type) || name?.type !== "identifier") return undefined;
        return { name: name.text, kind: "function", node, fn: value };
      }
      case "method_definition": {
        const name = memberName(node);
        return inClass && name !== undefined ? { name, kind: "method", node, fn: node } : undefined;
      }
      case "public_field_definition":
      case "field_definition": {
        // `handle = () => ...` in a class body is a method in all but name.
        const name = memberName(node);
        const value = node.childForFieldName("value");
        if (!inClass || name === undefined || value === null || !FUNCTION_VALUES.has(value.type)) return undefined;
        return { name, kind: "method", node, fn: value };
      }
      default:
        return undefined;
    }
  },

  functionContext(fn, outer) {
    const ctx: TypeContext = { ...outer, scope: new TypeTable(outer.scope) };
    const single = fn.childForFieldName("parameter"); // `x => ...`
    const parameters = single !== null ? [single] : (fn.childForFieldName("parameters")?.namedChildren ?? []);
    for (const parameter of parameters) {
      const pattern = parameter.type === "identifier" ? parameter : (parameter.childForFieldName("pattern") ?? parameter.childForFieldName("left"));
      if (pattern?.type !== "identifier") continue;
      ctx.scope.declare(pattern.text, tsAnnotation(parameter.childForFieldName("type"), ctx.facts));
    }
    for (const node of bodyNodes(ecmascript, fn)) ecmascriptLocal(node, ctx);
    return ctx;
  },

  call(node) {
    let target: Node | null = null;
    if (node.type === "call_expression") target = node.childForFieldName("function");
    else if (node.type === "new_expression") target = node.childForFieldName("constructor");
    else if (node.type === "jsx_opening_element" || node.type === "jsx_self_closing_element") {
      // `<PlanView />` calls the component; lower-case tags are HTML elements.
      target = node.childForFieldName("name");
      if (target?.type === "identifier" && !startsUpper(target.text)) return undefined;
    }
    if (target?.type === "identifier") return { callee: target.text, nameNode: target };
    if (target?.type !== "member_expression") return undefined;
    const property = target.childForFieldName("property");
    const receiver = target.childForFieldName("object");
    if (property === null || receiver === null) return undefined;
    return { callee: property.text, nameNode: property, receiver };
  },

  /**
   * `this`: the enclosing class; a name: its annotation or `new Cls()` (innermost function
   * first, then the module), or itself when capitalized and no variable (`Cls.create()`);
   * `this.x`/`a.x`: the class's field `x` (annotated, `new`-initialized, assigned in a method,
   * or a constructor parameter property); `new Cls()`: Cls; `x as Cls`: Cls; `super`: the base;
   * `f()`, `ns.f()`, `await f()`: f's declared result (`Promise<Cls>` only awaited), resolved by the index.
   */
  typeOf(node, ctx) {
    switch (node.type) {
      case "this":
        return ctx.ownClass;
      case "super":
        return superType(ctx);
      case "identifier":
        return nameType(node.text, ctx, true);
      case "member_expression": {
        const object = node.childForFieldName("object");
        const property = node.childForFieldName("property")?.text;
        return object === null || property === undefined ? undefined : fieldType(ecmascript.typeOf(object, ctx), property, ctx.facts);
      }
      case "new_expression": {
        const constructor = node.childForFieldName("constructor");
        if (constructor?.type === "identifier") return className(constructor.text, ctx.facts);
        return constructor?.type === "member_expression" ? constructor.childForFieldName("property")?.text : undefined;
      }
      case "as_expression":
        return tsAnnotation(node.namedChildren[1], ctx.facts);
      case "call_expression":
        return ecmascriptCallOrigin(node, ctx, false);
      case "await_expression": {
        const inner = node.firstNamedChild;
        return inner?.type === "call_expression" ? ecmascriptCallOrigin(inner, ctx, true) : undefined;
      }
      case "parenthesized_expression":
      case "non_null_expression":
      case "satisfies_expression": {
        const inner = node.firstNamedChild;
        return inner === null ? undefined : ecmascript.typeOf(inner, ctx);
      }
      default:
        return undefined;
    }
  },

  returns(fn, ctx) {
    return ecmascriptReturns(fn, ctx.facts);
  },
};

// ---------------------------------------------------------------------------------------------
// Go

/** `T`, `*T`, `pkg.T`, `T[K]`. */
function goTypeName(node: Node | null | undefined): string | undefined {
  switch (node?.type) {
    case "type_identifier":
      return node.text;
    case "pointer_type":
    case "parenthesized_type":
      return goTypeName(node.firstNamedChild);
    case "qualified_type":
      return node.childForFieldName("name")?.text;
    case "generic_type":
      return goTypeName(node.childForFieldName("type"));
    default:
      return undefined;
  }
}

/** A result type of this package: `T`, `*T` (not `pkg.T`: another package's T is not the T defined here). */
function goResultTypeName(node: Node | null | undefined): string | undefined {
  switch (node?.type) {
    case "type_identifier":
      return node.text;
    case "pointer_type":
    case "parenthesized_type":
      return goResultTypeName(node.firstNamedChild);
    default:
      return undefined;
  }
}

/** The element type of a slice, array or map value: `[]*T`, `[4]T`, `map[K]*T`. */
function goElementTypeName(node: Node | null | undefined): string | undefined {
  switch (node?.type) {
    case "slice_type":
    case "array_type":
      return goTypeName(node.childForFieldName("element"));
    case "map_type":
      return goTypeName(node.childForFieldName("value"));
    default:
      return undefined;
  }
}

/** Where a name's element type is kept, beside the name itself: what `range` over it gives. */
function elementsOf(name: string): string {
  return `${name}[]`;
}

/** `F()`, `pkg.F()`: the result of calling a top-level function (when `F` or `pkg` is no variable), for the index to resolve. */
function goCallOrigin(call: Node, ctx: TypeContext, index: number): string | undefined {
  const fn = call.childForFieldName("function");
  if (fn?.type === "identifier") return ctx.scope.has(fn.text) ? undefined : callOrigin(fn.text, undefined, index, false);
  if (fn?.type !== "selector_expression") return undefined;
  const operand = fn.childForFieldName("operand");
  const field = fn.childForFieldName("field")?.text;
  if (operand?.type !== "identifier" || field === undefined || ctx.scope.has(operand.text)) return undefined;
  return ctx.facts.imports.has(operand.text) ? callOrigin(field, operand.text, index, false) : undefined;
}

/** `for _, v := range x.items` (items []*T, map[K]*T): v is a T. Loop variables share the function's scope. */
function goRange(clause: Node, ctx: TypeContext): void {
  const names = clause.childForFieldName("left")?.namedChildren ?? [];
  const declares = clause.children.some((child) => child.type === ":=");
  const right = clause.childForFieldName("right");
  names.forEach((name, i) => {
    if (name.type !== "identifier" || name.text === "_") return;
    let type: string | undefined;
    if (i === 1 && right?.type === "selector_expression") {
      const operand = right.childForFieldName("operand");
      const field = right.childForFieldName("field")?.text;
      if (operand !== null && field !== undefined) type = fieldType(go.typeOf(operand, ctx), elementsOf(field), ctx.facts);
    } else if (i === 1 && right?.type === "identifier") type = ctx.scope.typeOf(elementsOf(right.text));
    if (declares) {
      ctx.scope.declare(name.text, type);
      ctx.scope.declare(elementsOf(name.text), undefined);
    } else ctx.scope.assign(name.text, type);
  });
}

function goReceiverType(method: Node): string | undefined {
  const receiver = method.childForFieldName("receiver")?.namedChildren.find((child) => child.type === "parameter_declaration");
  return goTypeName(receiver?.childForFieldName("type"));
}

function goImports(root: Node, imports: Map<string, ImportBinding>): void {
  for (const spec of root.descendantsOfType("import_spec")) {
    const path = spec.childForFieldName("path")?.text.replace(/^["`]|["`]$/g, "");
    const name = spec.childForFieldName("name")?.text;
    // Dot imports put the package's names in scope unqualified; blank imports bind nothing.
    if (path === undefined || name === "." || name === "_") continue;
    imports.set(name ?? lastOf(path, "/"), { module: path });
  }
}

function goStructs(root: Node, facts: FileFacts): void {
  for (const spec of root.descendantsOfType("type_spec")) {
    const name = spec.childForFieldName("name")?.text;
    const struct = spec.childForFieldName("type");
    if (name === undefined || struct?.type !== "struct_type") continue;
    const { fields, bases } = classFacts(facts, name);
    for (const field of struct.descendantsOfType("field_declaration")) {
      const type = goTypeName(field.childForFieldName("type"));
      const names = field.childrenForFieldName("name");
      const elements = goElementTypeName(field.childForFieldName("type"));
      for (const fieldName of names) {
        fields.declare(fieldName.text, type);
        if (elements !== undefined) fields.declare(elementsOf(fieldName.text), elements);
      }
      // An embedded struct is a field named after its type, and its methods are promoted.
      if (names.length === 0 && type !== undefined) {
        fields.declare(type, type);
        bases.push(type);
      }
    }
  }
}

/** `x := &T{...}`, `x := T{...}`, `var x T`, `var x = T{}`, `x = &T{}` (to the declared `x`). */
function goLocal(node: Node, ctx: TypeContext): void {
  if (node.type === "short_var_declaration" || node.type === "assignment_statement") {
    const names = node.childForFieldName("left")?.namedChildren ?? [];
    const values = node.childForFieldName("right")?.namedChildren ?? [];
    // `a, err := F()`: each name is one of F's results.
    const single = values.length === 1 && names.length > 1 && values[0]?.type === "call_expression" ? values[0] : undefined;
    names.forEach((name, i) => {
      if (name.type !== "identifier" || name.text === "_") return;
      const value = values.length === names.length ? values[i] : undefined;
      const type = single !== undefined ? goCallOrigin(single, ctx, i) : value === undefined ? undefined : go.typeOf(value, ctx);
      if (node.type === "short_var_declaration") {
        ctx.scope.declare(name.text, type);
        // A new variable hides an outer one's elements (a slice's are not followed through assignments).
        ctx.scope.declare(elementsOf(name.text), undefined);
      } else ctx.scope.assign(name.text, type);
    });
  } else if (node.type === "var_spec") {
    const names = node.childrenForFieldName("name");
    const declared = goTypeName(node.childForFieldName("type"));
    const values = node.childForFieldName("value")?.namedChildren ?? [];
    const elements = goElementTypeName(node.childForFieldName("type"));
    names.forEach((name, i) => {
      const value = values.length === names.length ? values[i] : undefined;
      ctx.scope.declare(name.text, declared ?? (value === undefined ? undefined : go.typeOf(value, ctx)), declared !== undefined || value !== undefined);
      ctx.scope.declare(elementsOf(name.text), elements);
    });
  } else if (node.type === "range_clause") goRange(node, ctx);
}

const go: Grammar = {
  collectFacts(root) {
    const facts = emptyFacts();
    goImports(root, facts.imports);
    goStructs(root, facts);
    const moduleContext: TypeContext = { facts, scope: facts.module };
    for (const node of descendants(root, (n) => go.definition(n, false) !== undefined)) goLocal(node, moduleContext);
    return facts;
  },

  definition(node) {
    switch (node.type) {
      case "function_declaration":
        return named(node, "function", node);
      case "method_declaration": {
        const match = named(node, "method", node);
        const owner = goReceiverType(node);
        return match === undefined || owner === undefined ? match : { ...match, owner };
      }
      case "type_spec": {
        const type = node.childForFieldName("type")?.type;
        // Structs are Go's classes: they are what methods and composite literals belong to.
        return named(node, type === "struct_type" ? "class" : type === "interface_type" ? "interface" : "type");
      }
      case "type_alias":
        return named(node, "type");
      default:
        return undefined;
    }
  },

  functionContext(fn, outer) {
    const ctx: TypeContext = { ...outer, scope: new TypeTable(outer.scope) };
    const lists = [fn.childForFieldName("receiver"), fn.childForFieldName("parameters")];
    for (const parameter of lists.flatMap((list) => list?.namedChildren ?? [])) {
      const type = parameter.type === "parameter_declaration" ? goTypeName(parameter.childForFieldName("type")) : undefined;
      const elements = parameter.type === "parameter_declaration" ? goElementTypeName(parameter.childForFieldName("type")) : undefined;
      for (const name of parameter.childrenForFieldName("name")) {
        ctx.scope.declare(name.text, type);
        ctx.scope.declare(elementsOf(name.text), elements);
      }
    }
    for (const node of bodyNodes(go, fn)) goLocal(node, ctx);
    return ctx;
  },

  call(node) {
    if (node.type === "composite_literal") {
      // `T{...}` and `pkg.T{...}` construct a T.
      const type = node.childForFieldName("type");
      const name = type?.type === "generic_type" ? type.childForFieldName("type") : type;
      if (name?.type === "type_identifier") return { callee: name.text, nameNode: name };
      const qualified = name?.type === "qualified_type" ? name.childForFieldName("name") : null;
      const pkg = name?.childForFieldName("package");
      return qualified == null || pkg == null ? undefined : { callee: qualified.text, nameNode: qualified, receiver: pkg };
    }
    if (node.type !== "call_expression") return undefined;
    const fn = node.childForFieldName("function");
    if (fn?.type === "identifier") return { callee: fn.text, nameNode: fn };
    const field = fn?.type === "selector_expression" ? fn.childForFieldName("field") : null;
    const receiver = fn?.childForFieldName("operand");
    return field == null || receiver == null ? undefined : { callee: field.text, nameNode: field, receiver };
  },

  /**
   * A name: the method receiver's type, a parameter's type, or `x := &T{}` / `var x T`;
   * `r.f`: the struct field `f`'s type (embedded structs count as fields named after their
   * type); `T{}` and `&T{}`: T; `for _, v := range r.f` (`f []*T`, `map[K]*T`): T;
   * `F()`, `pkg.F()` and `a, err := F()`: F's result, resolved by the index. Package names stay untyped.
   */
  typeOf(node, ctx) {
    switch (node.type) {
      case "identifier":
        return nameType(node.text, ctx, false);
      case "selector_expression": {
        const operand = node.childForFieldName("operand");
        const field = node.childForFieldName("field")?.text;
        return operand === null || field === undefined ? undefined : fieldType(go.typeOf(operand, ctx), field, ctx.facts);
      }
      case "composite_literal":
        return goTypeName(node.childForFieldName("type"));
      case "call_expression":
        return goCallOrigin(node, ctx, 0);
      case "unary_expression":
      case "parenthesized_expression": {
        const operand = node.childForFieldName("operand") ?? node.firstNamedChild;
        return operand === null ? undefined : go.typeOf(operand, ctx);
      }
      default:
        return undefined;
    }
  },

  /** `T`, `*T`, or each of `(T, error)`; not for generic functions. */
  returns(fn) {
    if (fn.childForFieldName("type_parameters") !== null) return undefined;
    const result = fn.childForFieldName("result");
    if (result === null) return undefined;
    if (result.type !== "parameter_list") {
      const type = goResultTypeName(result);
      return type === undefined ? undefined : { plain: [type] };
    }
    const plain: (string | undefined)[] = [];
    for (const parameter of result.namedChildren) {
      if (parameter.type !== "parameter_declaration") return undefined;
      const type = goResultTypeName(parameter.childForFieldName("type"));
      for (let n = Math.max(1, parameter.childrenForFieldName("name").length); n > 0; n--) plain.push(type);
    }
    return plain.some((type) => type !== undefined) ? { plain } : undefined;
  },
};

const GRAMMARS: Readonly<Record<InferredFamily, Grammar>> = { python, ecmascript, go };

// ---------------------------------------------------------------------------------------------
// Extraction

/** What one file tells the index; plain data, so that a worker thread can send it. */
export interface FileAnalysis {
  readonly symbols: FileSymbols;
  readonly family: LanguageFamily;
  readonly imports: ReadonlyMap<string, ImportBinding>;
  /** Names passed on from other modules (see `FileFacts.exports`). */
  readonly exports: ReadonlyMap<string, ImportBinding>;
  readonly exportsAllFrom: readonly string[];
  readonly bases: ReadonlyMap<string, readonly string[]>;
  /** Python `@overload` stubs and the implementation each one announces (when the file has it). */
  readonly overloads: ReadonlyMap<Definition, Definition>;
  /** Declared results of top-level functions (and Python's `__enter__` methods). */
  readonly returns: ReadonlyMap<Definition, ReturnType>;
  /** Call sites whose receiver type depends on other files: the deferred type (see `ORIGIN`). */
  readonly deferred: ReadonlyMap<CallSite, string>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface WalkState {
  /** The innermost enclosing definition: qualifies names, tells a method from a function. */
  readonly container: Definition | undefined;
  /** The innermost enclosing function or method: a call's `enclosing`. */
  readonly fn: Definition | undefined;
  readonly types: TypeContext;
}

function extract(path: string, language: InferredLanguage, root: Node, text: string): FileAnalysis {
  const family = INFERRED_FAMILIES[language];
  const grammar = GRAMMARS[family];
  const lines = text.split("\n");
  const lineText = (row: number): string => clip((lines[row] ?? "").trim());
  const facts = grammar.collectFacts(root);
  const definitions: Definition[] = [];
  const stubs: Definition[] = [];
  const calls: CallSite[] = [];
  const returns = new Map<Definition, ReturnType>();
  const deferred = new Map<CallSite, string>();

  // An explicit stack rather than recursion: generated code can nest deeper than the JS stack.
  const stack: Array<{ node: Node; state: WalkState }> = [
    { node: root, state: { container: undefined, fn: undefined, types: { facts, scope: facts.module } } },
  ];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node } = item;
    let { state } = item;
    const inClass = state.container?.kind === "class";
    const match = grammar.definition(node, inClass);
    if (match !== undefined) {
      const startRow = match.startRow ?? node.startPosition.row;
      const end = node.endPosition;
      const definition: Definition = {
        name: match.name,
        qualifiedName:
          match.owner !== undefined
            ? `${match.owner}.${match.name}`
            : state.container !== undefined
              ? `${state.container.qualifiedName}.${match.name}`
              : match.name,
        kind: match.kind,
        path,
        startLine: startRow + 1,
        // A node that ends at column 0 ends with the previous line's newline.
        endLine: end.column === 0 && end.row > startRow ? end.row : end.row + 1,
        signature: lineText(startRow),
      };
      definitions.push(definition);
      if (match.overload === true) stubs.push(definition);
      let types = state.types;
      if (match.kind === "class") types = { ...types, ownClass: match.name };
      else if (match.owner !== undefined) types = { ...types, ownClass: match.owner };
      const topLevel = match.kind === "function" && state.container === undefined;
      if (match.fn !== undefined && (topLevel || (family === "python" && match.kind === "method" && match.name === "__enter__"))) {
        const declared = grammar.returns(match.fn, types);
        if (declared !== undefined) returns.set(definition, declared);
      }
      if (match.fn !== undefined) types = grammar.functionContext(match.fn, types, match.kind === "method");
      state = { container: definition, fn: match.fn !== undefined ? definition : state.fn, types };
    }

    const call = grammar.call(node);
    if (call !== undefined) {
      const row = call.nameNode.startPosition.row;
      const site: Mutable<CallSite> = { path, line: row + 1, callee: call.callee, text: lineText(row) };
      if (call.receiver !== undefined) {
        site.receiver = clip(call.receiver.text.replace(/\s+/g, " "));
        const receiverType = grammar.typeOf(call.receiver, state.types);
        const known = receiverType !== undefined && isDeferred(receiverType) ? eagerType(receiverType) : receiverType;
        if (known !== undefined) site.receiverType = known;
        if (receiverType !== undefined && isDeferred(receiverType)) deferred.set(site, receiverType);
      }
      if (state.fn !== undefined) site.enclosing = state.fn.qualifiedName;
      calls.push(site);
    }

    const children = node.namedChildren; // cached by web-tree-sitter: read only
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i] as Node, state });
  }

  // Chained calls over several lines are visited outer first; report them in line order.
  calls.sort((a, b) => a.line - b.line);
  const bases = new Map<string, readonly string[]>();
  for (const [name, cls] of facts.classes) if (cls.bases.length > 0) bases.set(name, cls.bases);
  const overloads = overloadImplementations(definitions, stubs);
  return {
    symbols: { path, language, definitions, calls },
    family,
    imports: facts.imports,
    exports: facts.exports,
    exportsAllFrom: facts.exportsAllFrom,
    bases,
    overloads,
    returns,
    deferred,
  };
}

/** Each overload stub's implementation: the next definition of the same name that is no stub. */
function overloadImplementations(definitions: readonly Definition[], stubs: readonly Definition[]): Map<Definition, Definition> {
  const found = new Map<Definition, Definition>();
  if (stubs.length === 0) return found;
  const isStub = new Set(stubs);
  const byName = new Map<string, Definition[]>();
  for (const definition of definitions) if (!isStub.has(definition)) addTo(byName, definition.qualifiedName, definition);
  for (const stub of stubs) {
    const implementation = byName.get(stub.qualifiedName)?.find((d) => d.startLine > stub.startLine);
    if (implementation !== undefined) found.set(stub, implementation);
  }
  return found;
}

/** Parses and reads one file (in a worker thread: parse-worker.ts); undefined when no grammar reads it. */
export async function analyzeFile(path: string, text: string): Promise<FileAnalysis | undefined> {
  const language = languageOf(path);
  if (language === undefined) return undefined;
  const tags = isTagged(language) ? await tagsQueryFor(language) : undefined;
  const parser = await parserFor(language);
  const tree = parser.parse(text);
  // parse() only returns null without a language or when cancelled; neither happens here.
  if (tree === null) throw new Error(`tree-sitter returned no tree for ${path}`);
  try {
    if (!isTagged(language)) return extract(path, language, tree.rootNode, text);
    if (tags === undefined) throw new Error(`no tags query for ${language}`); // loaded above
    const { definitions, calls } = extractTags(tags, path, tree.rootNode, text);
    return { symbols: { path, language, definitions, calls }, family: language, imports: NO_IMPORTS, exports: NO_IMPORTS, exportsAllFrom: [], bases: NO_BASES, overloads: NO_OVERLOADS, returns: NO_RETURNS, deferred: NO_DEFERRED };
  } finally {
    tree.delete();
  }
}

const NO_IMPORTS: ReadonlyMap<string, ImportBinding> = new Map();
const NO_BASES: ReadonlyMap<string, readonly string[]> = new Map();
const NO_OVERLOADS: ReadonlyMap<Definition, Definition> = new Map();
const NO_RETURNS: ReadonlyMap<Definition, ReturnType> = new Map();
const NO_DEFERRED: ReadonlyMap<CallSite, string> = new Map();

/** Parses one file; undefined when its language is not supported. Never throws on bad syntax (tree-sitter recovers). */
export async function parseFileSymbols(path: string, text: string): Promise<FileSymbols | undefined> {
  return (await analyzeFile(path, text))?.symbols;
}

// ---------------------------------------------------------------------------------------------
// The index

/** Longest stretch the index takes on the main thread before it gives the event loop a turn. */
const SLICE_MS = 8;

export interface BuildOptions {
  /** Where files are parsed (default: the process-wide pool). */
  readonly pool?: ParsePool;
  /** Files known not to parse (default: process-wide). */
  readonly failures?: ParseFailures;
}

const sharedFailures = new ParseFailures();

type Verdict = "confirmed" | "possible" | undefined;

/** For one method's `callers()`: the receiver types that run it, and its class's ancestors. */
interface MethodHierarchy {
  readonly dispatching: ReadonlySet<string>;
  readonly ancestors: ReadonlySet<string>;
}

function isTaggedFamily(family: LanguageFamily): family is TaggedLanguage {
  return family !== "python" && family !== "ecmascript" && family !== "go";
}

/** "A.B.c" → "B.c" (the full name and the bare name are indexed already). */
function innerSuffixes(qualifiedName: string): string[] {
  const parts = qualifiedName.split(".");
  const suffixes: string[] = [];
  for (let i = 1; i < parts.length - 1; i++) suffixes.push(parts.slice(i).join("."));
  return suffixes;
}

function compareCalls(a: CallSite, b: CallSite): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.line - b.line || a.callee.localeCompare(b.callee);
}

function compareDefinitions(a: Definition, b: Definition): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.startLine - b.startLine;
}

function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** The class that owns a member: the qualified name's second-to-last part ("AI" in "AI.call"). */
function ownerOf(definition: Definition): string {
  const parent = definition.qualifiedName.slice(0, definition.qualifiedName.lastIndexOf("."));
  return lastOf(parent, ".");
}

const ECMASCRIPT_EXTENSION = /\.(d\.)?[mc]?[jt]sx?$/;

/**
 * The module a file is, named by its path without extension: "agent/ai.py" → "agent/ai",
 * "pkg/__init__.py" → "pkg", "web/index.js" → "web"; Go: the package, i.e. the directory. A
 * TypeScript source and its emitted or declaration file ("api.ts", "api.js", "api.d.ts") are one
 * module, which is how `./api.js` reaches api.ts in ESM TypeScript (so are "api.ts" and
 * "api/index.ts", which resolution would tell apart: rare enough to accept).
 */
function moduleOf(path: string, family: LanguageFamily): string {
  if (family === "go") return directoryOf(path);
  if (family === "python") return path.replace(/\.py$/, "").replace(/(^|\/)__init__$/, "");
  return path.replace(ECMASCRIPT_EXTENSION, "").replace(/(^|\/)index$/, "");
}

/**
 * A relative import as a path from the importing file's directory: "./x.js", "../y" as written;
 * Python's ".x.y" → "./x/y", "..pkg" → "../pkg", "." → ".". Undefined for other imports.
 */
function relativePath(specifier: string, family: LanguageFamily): string | undefined {
  if (family === "ecmascript") return /^\.\.?(\/|$)/.test(specifier) ? specifier : undefined;
  if (family !== "python" || !specifier.startsWith(".")) return undefined;
  const dots = specifier.length - specifier.replace(/^\.+/, "").length;
  const below = specifier.slice(dots).split(".").filter(Boolean);
  return [dots === 1 ? "." : "../".repeat(dots - 1), ...below].join("/");
}

/** `relative` from `directory`, normalized; undefined when it climbs out of the repository. */
function joinPath(directory: string, relative: string): string | undefined {
  const parts = directory === "" ? [] : directory.split("/");
  for (const part of relative.split("/")) {
    if (part === "..") {
      if (parts.pop() === undefined) return undefined;
    } else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

/** A non-relative import's path segments: "a.b.c" → a, b, c; "@/lib/util.js" → @, lib, util; Go's as written. */
function importSegments(specifier: string, family: LanguageFamily): string[] {
  if (family === "python") return specifier.split(".").filter(Boolean);
  return (family === "ecmascript" ? moduleOf(specifier, family) : specifier).split("/").filter(Boolean);
}

/** How many trailing segments two paths share. */
function sharedTail(a: readonly string[], b: readonly string[]): number {
  let shared = 0;
  while (shared < a.length && shared < b.length && a[a.length - 1 - shared] === b[b.length - 1 - shared]) shared++;
  return shared;
}

/** How many packages deep a re-exported name is followed to the module that defines it. */
const MAX_REEXPORTS = 3;

/**
 * The module a call's receiver names: an import alias (`ai` in `ai.AI()`, `filepath` in
 * `filepath.Walk()`), or in Python a dotted path below one (`flask.helpers` in
 * `flask.helpers.make_response()`, with `import flask`).
 */
function receiverModule(receiver: string, file: FileAnalysis): string | undefined {
  const binding = file.imports.get(receiver);
  if (binding !== undefined) return namespaceModule(binding, file.family);
  if (file.family !== "python") return undefined;
  const dot = receiver.indexOf(".");
  const head = dot > 0 ? file.imports.get(receiver.slice(0, dot)) : undefined;
  const base = head === undefined ? undefined : namespaceModule(head, file.family);
  return base === undefined ? undefined : `${base}${receiver.slice(dot)}`;
}

/** The module a receiver names, when it is an import alias: `ai` in `ai.AI()`, `filepath` in `filepath.Walk()`. */
function namespaceModule(binding: ImportBinding, family: LanguageFamily): string | undefined {
  if (binding.name === undefined) return binding.module;
  // `from agent import ai` may import a submodule; `from . import views` imports ".views", not "..views".
  if (family === "python") return binding.module.endsWith(".") ? binding.module + binding.name : `${binding.module}.${binding.name}`;
  // A default export used as an object, as CommonJS modules are.
  return binding.name === "default" ? binding.module : undefined;
}

/** Does the receiver's last name look like the class? `self.ai`, `ai`, `this.aiClient` for AI. */
function resembles(receiver: string, cls: string): boolean {
  const last = receiver.match(/[A-Za-z_$][\w$]*/g)?.at(-1);
  return last !== undefined && last.toLowerCase().includes(cls.toLowerCase());
}

function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

export class SymbolIndex {
  /** Files that were parsed. */
  readonly fileCount: number;
  readonly #files: ReadonlyMap<string, FileAnalysis>;
  readonly #byName = new Map<string, Definition[]>();
  readonly #byFoldedName = new Map<string, Definition[]>();
  /** Calls by the name they call: the callee, and for aliased imports also the original name. */
  readonly #callsByName = new Map<string, CallSite[]>();
  readonly #bases = new Map<string, Set<string>>();
  /** "Class.method" for every method, to see where an inherited call stops. */
  readonly #methods = new Set<string>();
  /** "path\u0000name" for every top-level definition. */
  readonly #topLevel = new Set<string>();
  /**
   * "family\u0000last segment" → the modules (moduleOf) of that name, for non-relative imports.
   * Made on first use: the constructor blocks the event loop in one piece.
   */
  #modulesByTail: Map<string, Set<string>> | undefined;
  /** Local names by the name they import or pass on (`h` for `import { helper as h }`); made on first use. */
  #aliases: Map<string, string[]> | undefined;
  /** Files by "family\u0000module" (moduleOf), for following re-exports; made on first use. */
  #filesByModule: Map<string, FileAnalysis[]> | undefined;
  /** What `#modulesNamed` found, by "family\u0000specifier". */
  readonly #modulesNamedCache = new Map<string, readonly string[]>();
  /** Classes by the bases they name; made on first use. */
  #subclassesOf: Map<string, string[]> | undefined;
  /** What `#resolveOrigin` found, by "path\u0000origin" (null: nothing). */
  readonly #originCache = new Map<string, string | null>();

  /** Files that could not be parsed (path → why, in words): their definitions and calls are missing. */
  readonly unparsed: ReadonlyMap<string, string>;
  /** Every definition, by path then line (`compareDefinitions`). */
  readonly #all: Definition[] = [];

  private constructor(files: ReadonlyMap<string, FileAnalysis>, unparsed: ReadonlyMap<string, string>) {
    this.#files = files;
    this.fileCount = files.size;
    this.unparsed = unparsed;
  }

  /**
   * Indexes the parsed files, in path order, giving the event loop a turn every
   * `SLICE_MS`: 30 MB of sources make millions of entries. Definitions go in by path and
   * line, so every list is in `compareDefinitions` order without sorting it; only the lists
   * holding Python overload stubs are sorted (a stub comes right after its implementation).
   */
  async #assemble(): Promise<void> {
    const slice = new TimeSlice(SLICE_MS);
    const implementations = new Map<Definition, Definition>();
    const withStubs = new Set<Definition[]>();
    const foldedWithStubs = new Set<Definition[]>();
    const add = (map: Map<string, Definition[]>, key: string, definition: Definition, stub: boolean, marked: Set<Definition[]>): void => {
      addTo(map, key, definition);
      if (stub) marked.add(map.get(key) as Definition[]);
    };
    for (const file of this.#files.values()) {
      for (const [stub, implementation] of file.overloads) implementations.set(stub, implementation);
      const tagged = isTaggedFamily(file.family);
      // Stable: definitions on one line keep the order they were found in.
      const ordered = [...file.symbols.definitions].sort((a, b) => a.startLine - b.startLine);
      for (const definition of ordered) {
        await slice.tick();
        const stub = file.overloads.has(definition);
        const keys = [definition.name];
        if (definition.qualifiedName !== definition.name) keys.push(definition.qualifiedName);
        // Ruby's modules (and Rust's) qualify names the code often leaves out: Billing.Invoice.finalize is also Invoice.finalize.
        if (tagged) keys.push(...innerSuffixes(definition.qualifiedName));
        for (const key of keys) {
          add(this.#byName, key, definition, stub, withStubs);
          add(this.#byFoldedName, key.toLowerCase(), definition, stub, foldedWithStubs);
        }
        this.#all.push(definition);
        if (definition.kind === "method") this.#methods.add(`${ownerOf(definition)}.${definition.name}`);
        if (definition.qualifiedName === definition.name) this.#topLevel.add(`${definition.path}\u0000${definition.name}`);
      }
      for (const call of file.symbols.calls) {
        await slice.tick();
        addTo(this.#callsByName, call.callee, call);
        const original = call.receiver === undefined ? file.imports.get(call.callee)?.name : undefined;
        if (original !== undefined && original !== call.callee) addTo(this.#callsByName, original, call);
      }
      for (const [cls, bases] of file.bases) {
        await slice.tick();
        const known = this.#bases.get(cls) ?? new Set<string>();
        for (const base of bases) known.add(base);
        this.#bases.set(cls, known);
      }
    }
    if (implementations.size === 0) return;
    // Overload stubs come right after their implementation: the first definition found is the one with a body.
    const anchor = (definition: Definition): Definition => implementations.get(definition) ?? definition;
    const lookupOrder = (a: Definition, b: Definition): number =>
      compareDefinitions(anchor(a), anchor(b)) || Number(implementations.has(a)) - Number(implementations.has(b)) || a.startLine - b.startLine;
    for (const list of [...withStubs, ...foldedWithStubs]) {
      await slice.tick();
      list.sort(lookupOrder);
    }
  }

  /**
   * Parses every supported file (others are skipped); a path given twice keeps its last text.
   *
   * Parsing runs in worker threads (`ParsePool`), one file per task, at most as many at once
   * as the pool has threads. A file that fails there (the parser throws, its worker dies, it
   * takes longer than its budget) is left out and listed in `unparsed`, and remembered in
   * `failures`, so that the next build of the same file does not try again: the rest of the
   * repository is indexed as usual.
   */
  static async build(files: Iterable<{ readonly path: string; readonly text: string }>, options: BuildOptions = {}): Promise<SymbolIndex> {
    const pool = options.pool ?? sharedParsePool();
    const failures = options.failures ?? sharedFailures;
    // Tens of thousands of files: listed and sorted in slices, not in one stretch.
    const slice = new TimeSlice(SLICE_MS);
    const byPath = new Map<string, string>();
    for (const { path, text } of files) {
      if (languageOf(path) !== undefined) byPath.set(path, text);
      await slice.tick();
    }
    const paths = await sortInSlices([...byPath.keys()], (a, b) => (a < b ? -1 : a > b ? 1 : 0), slice);
    const analyses = new Map<string, FileAnalysis>();
    const unparsed = new Map<string, string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < paths.length; i = next++) {
        const path = paths[i] as string;
        const text = byPath.get(path) as string;
        const known = failures.known(path, text);
        if (known !== undefined) {
          unparsed.set(path, known);
          continue;
        }
        const outcome = await pool.parse(path, text);
        if (outcome.ok) {
          if (outcome.analysis !== undefined) analyses.set(path, outcome.analysis);
        } else {
          unparsed.set(path, outcome.reason);
          failures.remember(path, text, outcome.reason);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(pool.threads, paths.length)) }, worker));
    // In path order, whatever order the workers finished in.
    const ordered = new Map<string, FileAnalysis>();
    for (const path of paths) {
      const analysis = analyses.get(path);
      if (analysis !== undefined) ordered.set(path, analysis);
      await slice.tick();
    }
    const sortedUnparsed = new Map([...unparsed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const index = new SymbolIndex(ordered, sortedUnparsed);
    await index.#assemble();
    return index;
  }

  allDefinitions(): readonly Definition[] {
    return this.#all;
  }

  /** All the index holds of one file (its definitions, call sites, imports…): what measuring its memory reads. */
  analysisOf(path: string): FileAnalysis | undefined {
    return this.#files.get(path);
  }

  definitionsIn(path: string): readonly Definition[] {
    return this.#files.get(path)?.symbols.definitions ?? [];
  }

  /** By simple name ("call") or qualified name ("AI.call"), exact case; falls back to case-insensitive when nothing matches exactly. */
  /** `owner.name` when `owner` does not define it: the definition of the nearest base class that does. */
  inheritedMember(owner: string, name: string): readonly Definition[] {
    const seen = new Set<string>([owner]);
    const queue = [...(this.#bases.get(owner) ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const cls = queue[i] as string;
      if (seen.has(cls)) continue;
      seen.add(cls);
      const found = (this.#byName.get(`${cls}.${name}`) ?? []).filter((d) => d.qualifiedName === `${cls}.${name}`);
      if (found.length > 0) return found;
      for (const base of this.#bases.get(cls) ?? []) if (!seen.has(base)) queue.push(base);
    }
    return [];
  }

  lookup(name: string): readonly Definition[] {
    return this.#byName.get(name) ?? this.#byFoldedName.get(name.toLowerCase()) ?? [];
  }

  /** The innermost definition containing that line. */
  enclosing(path: string, line: number): Definition | undefined {
    let innermost: Definition | undefined;
    for (const definition of this.definitionsIn(path)) {
      if (definition.startLine > line || definition.endLine < line) continue;
      if (innermost === undefined || definition.startLine > innermost.startLine || definition.endLine < innermost.endLine) {
        innermost = definition;
      }
    }
    return innermost;
  }

  callsIn(path: string): readonly CallSite[] {
    return this.#files.get(path)?.symbols.calls ?? [];
  }

  /**
   * Who calls this definition, from the call sites found. Confirmed: the receiver's inferred
   * type is the method's class (or a subclass that does not override it), or a class/function
   * is called by a name that resolves to it. Possible: a method called on a receiver of unknown
   * type whose name resembles the class, or typed as one of the class's bases or interfaces
   * (declared ones: Go's implicit interfaces are not seen); a top-level name called from another
   * module without an import of it. Only calls in the definition's own language family count.
   * Java, Rust, Ruby and C# calls are never confirmed, at most possible (`taggedVerdict`).
   */
  callers(definition: Definition): Callers {
    const language = languageOf(definition.path);
    if (language === undefined) return { confirmed: [], possible: [] };
    const home = FAMILIES[language];
    const tagged = isTaggedFamily(home);
    const confirmed = new Set<CallSite>();
    const possible = new Set<CallSite>();
    const candidates = tagged
      ? (this.#callsByName.get(definition.name) ?? [])
      : [...this.#namesFor(definition.name)].flatMap((name) => this.#callsByName.get(name) ?? []);
    // Ruby's `Cls.new` and Rust's `Cls::new()` are calls of `new`: see whether they make this class.
    const constructions = tagged && definition.kind !== "method" && definition.kind !== "function" ? (this.#callsByName.get("new") ?? []) : [];
    let hierarchy: MethodHierarchy | undefined;
    const hierarchyOf = (): MethodHierarchy =>
      (hierarchy ??= { dispatching: this.#dispatchingClasses(ownerOf(definition), definition.name), ancestors: this.#ancestors(ownerOf(definition)) });
    for (const call of constructions.length === 0 ? candidates : [...candidates, ...constructions]) {
      const file = this.#files.get(call.path);
      if (file === undefined || file.family !== home) continue;
      const verdict: Verdict = tagged ? taggedVerdict(definition, call) : this.#verdict(definition, call, file, hierarchyOf);
      if (verdict === "confirmed") confirmed.add(call);
      else if (verdict === "possible") possible.add(call);
    }
    return { confirmed: [...confirmed].sort(compareCalls), possible: [...possible].sort(compareCalls) };
  }

  /**
   * `name` and the names it is imported or passed on as (`import { helper as h }`,
   * `export { helper as assist } from`), a few renamings deep: the callees that may mean it.
   */
  #namesFor(name: string): ReadonlySet<string> {
    if (this.#aliases === undefined) {
      this.#aliases = new Map();
      for (const file of this.#files.values()) {
        for (const bindings of [file.imports, file.exports]) {
          for (const [local, binding] of bindings) {
            if (binding.name !== undefined && binding.name !== "default" && binding.name !== local) addTo(this.#aliases, binding.name, local);
          }
        }
      }
    }
    const names = new Set([name]);
    let frontier = [name];
    for (let depth = 0; depth < MAX_REEXPORTS && frontier.length > 0; depth++) {
      frontier = frontier.flatMap((n) => this.#aliases?.get(n) ?? []).filter((n) => !names.has(n));
      for (const n of frontier) names.add(n);
    }
    return names;
  }

  #verdict(definition: Definition, call: CallSite, file: FileAnalysis, hierarchy: () => MethodHierarchy): Verdict {
    if (definition.kind === "method") return this.#methodVerdict(definition, call, file, hierarchy());
    if (definition.qualifiedName !== definition.name) return nestedVerdict(definition, call);
    return this.#topLevelVerdict(definition, call, file);
  }

  #methodVerdict(method: Definition, call: CallSite, file: FileAnalysis, hierarchy: MethodHierarchy): Verdict {
    if (call.callee !== method.name || call.receiver === undefined) return undefined;
    const owner = ownerOf(method);
    const receiverType = this.#receiverType(call, file);
    if (receiverType !== undefined) {
      if (hierarchy.dispatching.has(receiverType)) return "confirmed";
      // Called through a base class or an interface, it may reach this class's override at run
      // time; a call through `super` never does.
      const viaSuper = call.receiver === "super" || call.receiver === "super()";
      return !viaSuper && hierarchy.ancestors.has(receiverType) ? "possible" : undefined;
    }
    // `filepath.Walk()`, `api.call()` with `import * as api`, Python's `flask.helpers.f()` with
    // `import flask`: a module's function, not a method.
    const head = file.family === "python" ? call.receiver.split(".")[0] ?? call.receiver : call.receiver;
    const binding = file.imports.get(call.receiver) ?? file.imports.get(head);
    if (binding !== undefined && binding.name === undefined) return undefined;
    return resembles(call.receiver, owner) ? "possible" : undefined;
  }

  /**
   * The call's receiver type, with what other files tell (see `ORIGIN`): when one of the
   * receiver's origins resolves, the type counts only if every one resolves, nothing of unknown
   * type was assigned too, and all agree. When none resolves, the file's own inference stands.
   */
  #receiverType(call: CallSite, file: FileAnalysis): string | undefined {
    const type = file.deferred.get(call);
    if (type === undefined) return call.receiverType;
    const { untyped, members } = deferredMembers(type);
    const types = new Set<string>();
    let resolved = false;
    let unresolved = false;
    for (const member of members) {
      if (!member.startsWith(ORIGIN)) types.add(member);
      else {
        const origin = this.#resolveOrigin(member, file);
        if (origin === undefined) unresolved = true;
        else {
          resolved = true;
          types.add(origin);
        }
      }
    }
    if (!resolved) return call.receiverType;
    return unresolved || untyped || types.size !== 1 ? undefined : types.values().next().value;
  }

  /** The class an origin (recorded in `file`) gives, cached. */
  #resolveOrigin(origin: string, file: FileAnalysis): string | undefined {
    const key = `${file.symbols.path}\u0000${origin}`;
    const cached = this.#originCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const [kind, ...parts] = origin.slice(ORIGIN.length).split(ORIGIN_PART);
    const found = kind === "call" ? this.#callResult(parts, file) : kind === "enter" ? this.#enterResult(parts[0] ?? "") : undefined;
    this.#originCache.set(key, found ?? null);
    return found;
  }

  /**
   * What calling a top-level function gives: the one definition the name resolves to from `file`
   * (as a top-level call is confirmed: its own module, its package, an import), by its declared result.
   */
  #callResult([awaited, index, receiver, callee]: readonly string[], file: FileAnalysis): string | undefined {
    if (callee === undefined || callee === "") return undefined;
    const names = new Set([callee]);
    if (receiver === "") {
      // A function nested here of that name may be the one called.
      if (file.symbols.definitions.some((d) => d.name === callee && d.qualifiedName !== callee)) return undefined;
      const original = file.imports.get(callee)?.name;
      if (original !== undefined && original !== "default") names.add(original);
    }
    const call: CallSite = { path: file.symbols.path, line: 0, callee, text: "", ...(receiver === "" ? {} : { receiver }) };
    const targets = new Set<Definition>();
    for (const name of names) {
      for (const definition of this.#byName.get(name) ?? []) {
        if (definition.kind !== "function" || definition.qualifiedName !== definition.name) continue;
        const home = this.#files.get(definition.path);
        if (home?.family !== file.family) continue;
        if (this.#topLevelVerdict(definition, call, file) === "confirmed") targets.add(definition);
      }
    }
    if (targets.size !== 1) return undefined;
    const target = [...targets][0];
    const declared = target === undefined ? undefined : this.#files.get(target.path)?.returns.get(target);
    if (declared === undefined) return undefined;
    return awaited === "1" ? declared.awaited : declared.plain[Number(index)];
  }

  /** What `with cls() as x` binds: `cls.__enter__`'s declared result, or `cls` when it returns `self`. */
  #enterResult(cls: string): string | undefined {
    const own = (this.#byName.get(`${cls}.__enter__`) ?? []).filter((d) => d.qualifiedName === `${cls}.__enter__`);
    const enters = own.length > 0 ? own : this.inheritedMember(cls, "__enter__");
    const types = new Set<string | undefined>();
    for (const enter of enters) {
      const declared = this.#files.get(enter.path)?.family === "python" ? this.#files.get(enter.path)?.returns.get(enter) : undefined;
      types.add(declared?.self === true ? cls : declared?.plain[0]);
    }
    return types.size === 1 ? types.values().next().value : undefined;
  }

  /**
   * The classes on which calling `method` runs `owner.method`: `owner` and its (transitive)
   * subclasses reached without passing one that defines `method` itself. Computed once per
   * `callers()` by walking down from `owner`, so each call site costs one set lookup: walking
   * up from every call's receiver type was quadratic in a long inheritance chain.
   */
  #dispatchingClasses(owner: string, method: string): ReadonlySet<string> {
    const found = new Set<string>([owner]);
    const queue = [owner];
    for (let i = 0; i < queue.length; i++) {
      for (const sub of this.#subclasses().get(queue[i] as string) ?? []) {
        if (found.has(sub) || this.#methods.has(`${sub}.${method}`)) continue;
        found.add(sub);
        queue.push(sub);
      }
    }
    return found;
  }

  /** Classes by the bases they name (the reverse of `#bases`); made on first use. */
  #subclasses(): ReadonlyMap<string, readonly string[]> {
    if (this.#subclassesOf === undefined) {
      this.#subclassesOf = new Map();
      for (const [cls, bases] of this.#bases) for (const base of bases) addTo(this.#subclassesOf, base, cls);
    }
    return this.#subclassesOf;
  }

  /** The (transitive) bases and implemented interfaces of `cls`, once per `callers()`. */
  #ancestors(cls: string): ReadonlySet<string> {
    const found = new Set<string>();
    const queue = [...(this.#bases.get(cls) ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const base = queue[i] as string;
      if (found.has(base)) continue;
      found.add(base);
      for (const next of this.#bases.get(base) ?? []) if (!found.has(next)) queue.push(next);
    }
    return found;
  }

  /**
   * Does `name` imported from `specifier` (in `importer`) mean `definition`: the module holds it,
   * or passes it on? Packages re-export what their modules define (`from .helpers import
   * make_response` in `__init__.py`, `export { x } from "./x"` in an index.ts), so `flask.make_response`
   * is a call of helpers.make_response. Followed `MAX_REEXPORTS` modules deep.
   */
  #reaches(specifier: string, importer: FileAnalysis, definition: Definition, name: string, depth = 0): boolean {
    if (name === definition.name && this.#imports(specifier, importer, definition)) return true;
    if (depth >= MAX_REEXPORTS) return false;
    for (const barrel of this.#filesOf(specifier, importer)) {
      const binding = (barrel.family === "python" ? barrel.imports : barrel.exports).get(name);
      if (binding?.name !== undefined) {
        const original = binding.name === "default" ? name : binding.name;
        if (this.#reaches(binding.module, barrel, definition, original, depth + 1)) return true;
      }
      if (barrel.exportsAllFrom.some((module) => this.#reaches(module, barrel, definition, name, depth + 1))) return true;
    }
    return false;
  }

  /** The repository's files that the import `specifier`, written in `importer`, can mean. */
  #filesOf(specifier: string, importer: FileAnalysis): readonly FileAnalysis[] {
    const { family } = importer;
    const relative = relativePath(specifier, family);
    let modules: readonly string[];
    if (relative === undefined) modules = this.#modulesNamed(specifier, family);
    else {
      const target = joinPath(directoryOf(importer.symbols.path), relative);
      modules = target === undefined ? [] : [moduleOf(target, family)];
    }
    if (this.#filesByModule === undefined) {
      this.#filesByModule = new Map();
      for (const file of this.#files.values()) addTo(this.#filesByModule, `${file.family}\u0000${moduleOf(file.symbols.path, file.family)}`, file);
    }
    return modules.flatMap((module) => this.#filesByModule?.get(`${family}\u0000${module}`) ?? []);
  }

  /** Does the import `specifier`, written in `importer`, name the module that holds `definition`? */
  #imports(specifier: string, importer: FileAnalysis, definition: Definition): boolean {
    const { family } = importer;
    const home = moduleOf(definition.path, family);
    const relative = relativePath(specifier, family);
    // A relative import says where its file is: a module elsewhere with the same name is not it.
    if (relative !== undefined) {
      const target = joinPath(directoryOf(importer.symbols.path), relative);
      return target !== undefined && moduleOf(target, family) === home;
    }
    return this.#modulesNamed(specifier, family).includes(home);
  }

  /**
   * The modules a non-relative import names: of those whose path ends like the import's, the
   * ones sharing the most trailing segments with it, then the shortest. Python's "m.ai" is m/ai.py
   * (or src/m/ai.py) and not n/ai.py; Go's "example.com/app/pkg/util" is pkg/util and not util; a
   * path alias "@/lib/util" is web/src/lib/util.ts. A package from outside the repository matches
   * only a module of the same name (as "yaml" does yaml.ts): its files are not there to tell.
   */
  #modulesNamed(specifier: string, family: LanguageFamily): readonly string[] {
    const cacheKey = `${family}\u0000${specifier}`;
    const cached = this.#modulesNamedCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const segments = importSegments(specifier, family);
    let best: string[] = [];
    let bestShared = 0;
    let bestLength = 0;
    for (const module of this.#moduleIndex().get(`${family}\u0000${segments.at(-1)}`) ?? []) {
      const parts = module.split("/");
      const shared = sharedTail(parts, segments);
      if (shared > bestShared || (shared === bestShared && parts.length < bestLength)) {
        best = [module];
        bestShared = shared;
        bestLength = parts.length;
      } else if (shared === bestShared && parts.length === bestLength) best.push(module);
    }
    this.#modulesNamedCache.set(cacheKey, best);
    return best;
  }

  #moduleIndex(): ReadonlyMap<string, ReadonlySet<string>> {
    if (this.#modulesByTail === undefined) {
      this.#modulesByTail = new Map();
      for (const file of this.#files.values()) {
        if (isTaggedFamily(file.family)) continue; // no imports to resolve
        const module = moduleOf(file.symbols.path, file.family);
        if (module === "") continue;
        const key = `${file.family}\u0000${lastOf(module, "/")}`;
        this.#modulesByTail.set(key, (this.#modulesByTail.get(key) ?? new Set()).add(module));
      }
    }
    return this.#modulesByTail;
  }

  #topLevelVerdict(definition: Definition, call: CallSite, file: FileAnalysis): Verdict {
    if (call.receiver !== undefined) {
      // `module.f()`, `pkg.F()`, `pkg.T{}` through an import of the definition's module (or of
      // a package that passes the name on).
      const module = receiverModule(call.receiver, file);
      return module !== undefined && this.#reaches(module, file, definition, call.callee) ? "confirmed" : undefined;
    }
    const binding = file.imports.get(call.callee);
    if (binding !== undefined) {
      if (binding.name === undefined) return undefined;
      const imported = binding.name === "default" ? call.callee : binding.name;
      return this.#reaches(binding.module, file, definition, imported) ? "confirmed" : undefined;
    }
    if (call.callee !== definition.name) return undefined;
    if (call.path === definition.path) return "confirmed";
    // Go: a bare name is the same package, i.e. the same directory; elsewhere it needs `pkg.`.
    if (file.family === "go") return directoryOf(call.path) === directoryOf(definition.path) ? "confirmed" : undefined;
    // Python and TS/JS need an import for another module's name. Without one, the call is to
    // the file's own definition of that name, or else to a global, builtin or star import.
    return this.#topLevel.has(`${call.path}\u0000${definition.name}`) ? undefined : "possible";
  }
}

/** A function or class nested in a function (or class): called by its bare name from inside its parent, or through the parent class. */
function nestedVerdict(definition: Definition, call: CallSite): Verdict {
  if (call.callee !== definition.name || call.path !== definition.path) return undefined;
  const parent = definition.qualifiedName.slice(0, definition.qualifiedName.lastIndexOf("."));
  if (call.receiver === undefined) {
    return call.enclosing === parent || call.enclosing?.startsWith(`${parent}.`) === true ? "confirmed" : undefined;
  }
  return call.receiverType === lastOf(parent, ".") ? "confirmed" : undefined;
}
