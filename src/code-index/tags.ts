import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { Query, type Node, type QueryMatch } from "web-tree-sitter";
import { parserFor, type TaggedLanguage } from "./languages.js";
import type { CallSite, Definition, DefinitionKind } from "./symbol-index.js";

/**
 * Definitions and call sites of the languages read only through tree-sitter's tags queries
 * (queries/tags.scm in each grammar's npm package, the captures GitHub's code navigation uses:
 * `@definition.class`, `@definition.method`, `@name`, `@reference.call`, ...), plus a few
 * patterns of our own where a package's query misses something common (`EXTRA`).
 *
 * Nothing here infers types, so no call of these languages is ever *confirmed*: `taggedVerdict`
 * can only answer "possible" (the receiver names the class, looks like it, or is `self`/`this`
 * inside it) or nothing.
 */

interface TagsConfig {
  /** The package's tags query, as a module path. */
  readonly tags: string;
  /** The package's locals query, for tags patterns that say `(#is-not? local)`. */
  readonly locals?: string;
  /** Patterns of our own, appended to the package's. */
  readonly extra?: string;
  /**
   * What `@definition.module` is: a definition of kind class that qualifies its members (Ruby's
   * modules), a name that only qualifies them (Rust's `mod`), or nothing (C# namespaces, like
   * Java packages, are not part of qualified names).
   */
  readonly modules: "class" | "scope" | "none";
}

const CONFIG: Readonly<Record<TaggedLanguage, TagsConfig>> = {
  java: {
    tags: "tree-sitter-java/queries/tags.scm",
    extra: `
      (enum_declaration name: (identifier) @name) @definition.enum
      (record_declaration name: (identifier) @name) @definition.class`,
    modules: "none",
  },
  rust: {
    tags: "tree-sitter-rust/queries/tags.scm",
    // `Indexer::new()`, `util::walk()`; and `impl [Trait for] Type { ... }` qualifies its functions.
    extra: `
      (call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
      (impl_item type: [
        (type_identifier) @name
        (generic_type type: (type_identifier) @name)
        (scoped_type_identifier name: (type_identifier) @name)
      ]) @scope.class`,
    modules: "scope",
  },
  ruby: {
    tags: "tree-sitter-ruby/queries/tags.scm",
    locals: "tree-sitter-ruby/queries/locals.scm",
    modules: "class",
  },
  csharp: {
    tags: "tree-sitter-c-sharp/queries/tags.scm",
    // The package tags only `x.M()` (as @reference.send): add `M()`, structs, enums and records.
    extra: `
      (invocation_expression function: (identifier) @name) @reference.call
      (struct_declaration name: (identifier) @name) @definition.class
      (record_declaration name: (identifier) @name) @definition.class
      (enum_declaration name: (identifier) @name) @definition.enum`,
    modules: "none",
  },
};

/** `@reference.class` on these nodes is an instantiation (`new UserService()`), reported as a call of the class. */
const CREATIONS = new Set(["object_creation_expression"]);
/** Calls of macros (Rust's `println!`) name no function or method the index has. */
const NOT_CALLS = new Set(["macro_invocation"]);
/** Fields that hold a call's receiver: Java `object`, Ruby `receiver`, Rust `value`/`path`, C# `expression`. */
const RECEIVER_FIELDS = ["object", "receiver", "value", "expression", "path", "scope"];
/** Parts of a definition node before its first line: annotations, attributes, comments. */
const PREAMBLE = new Set(["annotation", "marker_annotation", "attribute_list", "attribute_item", "comment", "line_comment", "block_comment"]);

/** A tagged language's query, ready to run on its trees. */
export interface TagsQuery {
  readonly config: TagsConfig;
  readonly query: Query;
  /** Patterns whose names are calls only when they are no local variable: `(#is-not? local)`. */
  readonly unlessLocal: ReadonlySet<number>;
}

const require = createRequire(import.meta.url);
const queries = new Map<TaggedLanguage, Promise<TagsQuery>>();

async function loadQuery(language: TaggedLanguage): Promise<TagsQuery> {
  const config = CONFIG[language];
  const grammar = (await parserFor(language)).language;
  if (grammar === null) throw new Error(`The ${language} parser has no grammar`);
  let source: string;
  try {
    source = await readFile(require.resolve(config.tags), "utf8");
    if (config.locals !== undefined) source += `\n${await readFile(require.resolve(config.locals), "utf8")}`;
  } catch (cause) {
    throw new Error(`Could not read the tree-sitter tags query for ${language} (${config.tags})`, { cause });
  }
  source += `\n${config.extra ?? ""}`;
  const query = new Query(grammar, source);
  const unlessLocal = new Set<number>();
  for (let pattern = 0; pattern < query.patternCount(); pattern++) {
    const text = source.slice(query.startIndexForPattern(pattern), query.endIndexForPattern(pattern));
    // Every identifier is a local.reference: only definitions and scopes are needed.
    if (text.includes("@local.reference")) query.disablePattern(pattern);
    if (query.refutedProperties[pattern]?.local !== undefined) unlessLocal.add(pattern);
  }
  return { config, query, unlessLocal };
}

/** The language's tags query (its grammar loaded too), read on first use. */
export function tagsQueryFor(language: TaggedLanguage): Promise<TagsQuery> {
  let query = queries.get(language);
  if (query === undefined) {
    query = loadQuery(language);
    query.catch(() => queries.delete(language));
    queries.set(language, query);
  }
  return query;
}

// ---------------------------------------------------------------------------------------------
// Extraction

/** A node that qualifies the names inside it: a definition, or an `impl`/`mod` that is none. */
interface Container {
  readonly start: number;
  readonly end: number;
  readonly name: string;
  /** Prefix for the names inside, e.g. "Billing.Invoice"; set when the container is placed. */
  qualified: string;
  readonly role: "class" | "scope" | "function" | "other";
  /** The definition it is; undefined for impl blocks and Rust modules. */
  readonly definition?: { readonly node: Node; readonly kind: DefinitionKind | "function-or-method" };
  result?: Definition;
}

interface CallCandidate {
  readonly name: Node;
  readonly receiver?: Node;
}

const MAX_TEXT = 200;

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}

function captureOf(match: QueryMatch, name: string): Node | undefined {
  return match.captures.find((capture) => capture.name === name)?.node;
}

/** The match's tag: its `@definition.*`, `@reference.*`, `@scope.*` or `@local.*` capture. */
function tagOf(match: QueryMatch): { tag: string; node: Node } | undefined {
  for (const capture of match.captures) {
    if (capture.name !== "name" && capture.name !== "doc" && capture.name !== "ignore") return { tag: capture.name, node: capture.node };
  }
  return undefined;
}

function definitionKind(tag: string, node: Node, modules: TagsConfig["modules"]): DefinitionKind | "function-or-method" | "scope" | undefined {
  switch (tag) {
    case "definition.class":
      // Rust's tags call enums and type aliases classes too.
      return node.type === "enum_item" ? "enum" : node.type === "type_item" ? "type" : "class";
    case "definition.interface":
      return "interface";
    case "definition.enum":
      return "enum";
    case "definition.type":
      return "type";
    case "definition.method":
    case "definition.function":
      // Which one depends on the container: Rust's tags call every function in a `mod` a method.
      return "function-or-method";
    case "definition.module":
      return modules === "class" ? "class" : modules === "scope" ? "scope" : undefined;
    default:
      return undefined; // macros, constants, fields: no DefinitionKind of the index
  }
}

/** The row of a definition's first line, after its annotations and attributes. */
function firstRow(node: Node): number {
  for (const child of node.children) {
    if (PREAMBLE.has(child.type)) continue;
    if (child.type === "modifiers") {
      // Java keeps annotations among the modifiers: `@Override public void save()`.
      const modifier = child.children.find((part) => !PREAMBLE.has(part.type));
      if (modifier === undefined) continue;
      return modifier.startPosition.row;
    }
    return child.startPosition.row;
  }
  return node.startPosition.row;
}

/** `class A::B` (Ruby) is B qualified by A. */
function writtenQualifier(name: Node): string | undefined {
  const parent = name.parent;
  if (parent?.type !== "scope_resolution" || parent.childForFieldName("name")?.id !== name.id) return undefined;
  const scope = parent.childForFieldName("scope");
  return scope === null ? undefined : scope.text.replaceAll("::", ".");
}

function receiverOf(name: Node): Node | undefined {
  const parent = name.parent;
  if (parent === null) return undefined;
  for (const field of RECEIVER_FIELDS) {
    const receiver = parent.childForFieldName(field);
    if (receiver !== null && receiver.endIndex <= name.startIndex) return receiver;
  }
  return undefined;
}

interface LocalScopes {
  readonly scopes: Array<{ start: number; end: number; inherits: boolean }>;
  readonly definitions: Array<{ start: number; name: string }>;
}

/**
 * Which of the candidates are no local variable, per the grammar's locals query: no definition of
 * the name (assignment, parameter) before it in its scope or, through scopes that inherit (Ruby's
 * blocks, not its methods), the enclosing ones.
 */
function notLocal(candidates: readonly Node[], locals: LocalScopes): Node[] {
  type Event =
    | { at: number; order: 0; scope: { end: number; inherits: boolean } }
    | { at: number; order: 1; defines: string }
    | { at: number; order: 2; candidate: Node };
  const events: Event[] = [
    ...locals.scopes.map((scope) => ({ at: scope.start, order: 0 as const, scope })),
    ...locals.definitions.map((d) => ({ at: d.start, order: 1 as const, defines: d.name })),
    ...candidates.map((candidate) => ({ at: candidate.startIndex, order: 2 as const, candidate })),
  ];
  events.sort((a, b) => a.at - b.at || a.order - b.order || ("scope" in a && "scope" in b ? b.scope.end - a.scope.end : 0));
  const root = { end: Number.POSITIVE_INFINITY, inherits: false, names: new Set<string>() };
  const stack = [root];
  const kept: Node[] = [];
  for (const event of events) {
    while (stack.length > 1 && (stack.at(-1) as (typeof stack)[number]).end <= event.at) stack.pop();
    if (event.order === 0) stack.push({ ...event.scope, names: new Set() });
    else if (event.order === 1) (stack.at(-1) as (typeof stack)[number]).names.add(event.defines);
    else {
      let local = false;
      for (let i = stack.length - 1; i >= 0; i--) {
        const scope = stack[i] as (typeof stack)[number];
        if (scope.names.has(event.candidate.text)) {
          local = true;
          break;
        }
        if (!scope.inherits) break;
      }
      if (!local) kept.push(event.candidate);
    }
  }
  return kept;
}

export interface TaggedSymbols {
  readonly definitions: Definition[];
  readonly calls: CallSite[];
}

/** Definitions and calls of one file of a tagged language, parsed with that language's grammar. */
export function extractTags(tags: TagsQuery, path: string, root: Node, text: string): TaggedSymbols {
  const { config, query, unlessLocal } = tags;
  const lines = text.split("\n");
  const lineText = (row: number): string => clip((lines[row] ?? "").trim());

  const containers: Container[] = [];
  const seenDefinitions = new Set<number>();
  const calls: CallCandidate[] = [];
  /** Name nodes some pattern already tagged: a pattern that tags any identifier must not tag them again. */
  const tagged = new Set<number>();
  const bareNames: Node[] = [];
  const locals: LocalScopes = { scopes: [], definitions: [] };

  for (const match of query.matches(root)) {
    const found = tagOf(match);
    const name = captureOf(match, "name");
    const ignored = captureOf(match, "ignore");
    if (ignored !== undefined) tagged.add(ignored.id);
    if (found === undefined) continue;
    const { tag, node } = found;
    if (tag === "local.scope") {
      locals.scopes.push({ start: node.startIndex, end: node.endIndex, inherits: match.setProperties?.["local.scope-inherits"] !== "false" });
      continue;
    }
    if (tag === "local.definition") {
      locals.definitions.push({ start: node.startIndex, name: node.text });
      continue;
    }
    if (name === undefined) continue;
    if (unlessLocal.has(match.patternIndex)) {
      // Ruby's "any identifier is a call unless it is a local": constants are references, not calls.
      if (name.type === "identifier") bareNames.push(name);
      continue;
    }
    if (tag.startsWith("definition.")) {
      const kind = definitionKind(tag, node, config.modules);
      if (kind === undefined || seenDefinitions.has(node.id)) continue;
      seenDefinitions.add(node.id);
      tagged.add(name.id);
      const qualifier = writtenQualifier(name);
      const written = qualifier === undefined ? name.text : `${qualifier}.${name.text}`;
      if (kind === "scope") {
        containers.push({ start: node.startIndex, end: node.endIndex, name: written, qualified: "", role: "scope" });
      } else {
        const role = kind === "function-or-method" ? "function" : kind === "type" ? "other" : "class";
        containers.push({ start: node.startIndex, end: node.endIndex, name: written, qualified: "", role, definition: { node, kind } });
      }
    } else if (tag === "scope.class") {
      containers.push({ start: node.startIndex, end: node.endIndex, name: name.text, qualified: "", role: "class" });
    } else if (tag === "reference.call" || tag === "reference.send" || (tag === "reference.class" && CREATIONS.has(node.type))) {
      if (NOT_CALLS.has(node.type) || tagged.has(name.id)) continue;
      tagged.add(name.id);
      const receiver = tag === "reference.class" ? undefined : receiverOf(name);
      calls.push(receiver === undefined ? { name } : { name, receiver });
    }
  }
  for (const name of notLocal(bareNames.filter((n) => !tagged.has(n.id)), locals)) calls.push({ name });

  // Place every container in its parent (they nest: sorted by start, outer first) for the qualified names.
  containers.sort((a, b) => a.start - b.start || b.end - a.end);
  const stack: Container[] = [];
  const definitions: Definition[] = [];
  for (const container of containers) {
    while (stack.length > 0 && (stack.at(-1) as Container).end <= container.start) stack.pop();
    const parent = stack.at(-1);
    container.qualified = parent === undefined ? container.name : `${parent.qualified}.${container.name}`;
    stack.push(container);
    const { definition: found } = container;
    if (found === undefined) continue;
    const kind = found.kind === "function-or-method" ? (parent?.role === "class" ? "method" : "function") : found.kind;
    const startRow = firstRow(found.node);
    const end = found.node.endPosition;
    const definition: Definition = {
      name: container.name.slice(container.name.lastIndexOf(".") + 1),
      qualifiedName: container.qualified,
      kind,
      path,
      startLine: startRow + 1,
      // A node that ends at column 0 ends with the previous line's newline.
      endLine: end.column === 0 && end.row > startRow ? end.row : end.row + 1,
      signature: lineText(startRow),
    };
    container.result = definition;
    definitions.push(definition);
  }

  // Each call's enclosing function: the innermost function around its name (they nest, sorted by start).
  const functions = containers.filter((c) => c.role === "function");
  calls.sort((a, b) => a.name.startIndex - b.name.startIndex);
  const open: Container[] = [];
  let next = 0;
  const sites: CallSite[] = [];
  for (const call of calls) {
    const at = call.name.startIndex;
    for (; next < functions.length && (functions[next] as Container).start <= at; next++) {
      const fn = functions[next] as Container;
      while (open.length > 0 && (open.at(-1) as Container).end <= fn.start) open.pop();
      open.push(fn);
    }
    while (open.length > 0 && (open.at(-1) as Container).end <= at) open.pop();
    const enclosing = open.at(-1)?.result;
    const row = call.name.startPosition.row;
    const site: { -readonly [K in keyof CallSite]: CallSite[K] } = { path, line: row + 1, callee: call.name.text, text: lineText(row) };
    if (call.receiver !== undefined) site.receiver = clip(call.receiver.text.replace(/\s+/g, " "));
    if (enclosing !== undefined) site.enclosing = enclosing.qualifiedName;
    sites.push(site);
  }
  sites.sort((a, b) => a.line - b.line);
  return { definitions, calls: sites };
}

// ---------------------------------------------------------------------------------------------
// Callers

const SELF_RECEIVERS = new Set(["this", "self", "Self"]);

/** The receiver's last name: "Invoice" in "Billing::Invoice", "userService" in "this.userService". */
function lastName(receiver: string): string | undefined {
  return receiver.match(/[A-Za-z_$][\w$]*/g)?.at(-1);
}

/** Does the receiver's last name look like the class, case and underscores aside? `user_service`, `this.userService` for UserService. */
function resembles(receiver: string, cls: string): boolean {
  const last = lastName(receiver);
  const fold = (name: string): string => name.replaceAll("_", "").toLowerCase();
  return last !== undefined && fold(last).includes(fold(cls));
}

function parentOf(qualifiedName: string): string | undefined {
  const dot = qualifiedName.lastIndexOf(".");
  return dot < 0 ? undefined : qualifiedName.slice(0, dot);
}

/** The file's name without extension, or its directory's for Rust's mod.rs/lib.rs: what `util::walk()` names. */
function moduleName(path: string): string {
  const parts = path.split("/");
  const file = (parts.at(-1) ?? "").replace(/\.[^.]+$/, "");
  return (file === "mod" || file === "lib") && parts.length > 1 ? (parts.at(-2) as string) : file;
}

/**
 * Whether a call of a tagged language may reach the definition (both in that language). Never
 * "confirmed": without types, `invoice.finalize` could be any class's `finalize`.
 *
 * - A method (defined in a class, module, trait or impl): called on a receiver that names its
 *   class (`UserService.save`, `Indexer::walk`, `Billing::Invoice.build`) or looks like it
 *   (`userService`, `@user_service`); or on `this`/`self`, or without receiver, inside that class.
 * - A class: `new Cls()`, `Cls.new`, `Cls::new()`, and `new` inside the class itself.
 * - A function: called by its bare name, or through its module (`indexer::normalize()`).
 */
export function taggedVerdict(definition: Definition, call: CallSite): "possible" | undefined {
  const parent = parentOf(definition.qualifiedName);
  if (definition.kind === "class" || definition.kind === "enum" || definition.kind === "interface" || definition.kind === "type") {
    if (call.callee === definition.name) return "possible";
    if (call.callee !== "new") return undefined;
    if (call.receiver !== undefined) return lastName(call.receiver) === definition.name ? "possible" : undefined;
    // A bare `new` in one of the class's own methods (Ruby's `def self.build; new(...)`).
    return call.enclosing !== undefined && parentOf(call.enclosing) === definition.qualifiedName ? "possible" : undefined;
  }
  if (call.callee !== definition.name) return undefined;
  if (definition.kind === "method" && parent !== undefined) {
    const owner = parent.slice(parent.lastIndexOf(".") + 1);
    if (call.receiver === undefined || SELF_RECEIVERS.has(call.receiver)) {
      return call.enclosing?.startsWith(`${parent}.`) === true ? "possible" : undefined;
    }
    return resembles(call.receiver, owner) ? "possible" : undefined;
  }
  if (call.receiver === undefined) return "possible";
  const module = lastName(call.receiver);
  return module === moduleName(definition.path) || (parent !== undefined && module === parent.slice(parent.lastIndexOf(".") + 1))
    ? "possible"
    : undefined;
}
