import { scanMarkdown, type LinkToken, type MarkdownDocument, type ProseBlock } from "../markdown/document.js";
import { extensionOf } from "../repository/extension.js";

/**
 * Checks every file and symbol a plan names against the commit devbuddy read, in every live
 * edit and in the final comment. Pure.
 *
 * A reference is an inline code span, found as CommonMark finds them (src/markdown), outside
 * code blocks (fenced or indented, also inside list items), HTML and link text:
 * `agent/ai.py`, `agent/ai.py:12-20`, `AI.call`, `self.planner.refine()`, `plan_steps()`.
 * Each becomes
 * - a permalink to the commit (`blob/<sha>/<path>#L<a>-L<b>`) when it exists there,
 * - left as written when it exists in several places (a bare `__init__.py`): nothing to link to,
 * - left as written when the model marked it "(new)" and it does not exist yet,
 * - marked "⚠️ unverified" otherwise.
 *
 * Only additions are made: the model's words stay as they are, so nothing it wrote is lost.
 *
 * What counts as a symbol: dotted names, names called with `()`, and names with an
 * underscore or an inner capital (`plan_steps`, `CodeGenerator`). A bare lowercase word
 * (`stream`, `true`) is linked when it is a definition, and otherwise left alone: it is
 * as likely a value or a keyword as a claim about the code. Names of the languages' own
 * libraries (`json.loads`, `Promise.all`, `print()`) and environment variables or constants
 * (`OPENAI_API_KEY`) are linked when the repository defines them, and otherwise left alone.
 */

export interface SymbolLocation {
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly kind: string;
  readonly qualifiedName: string;
}

/** What the plan is checked against: one commit of the repository. */
export interface CodeFacts {
  /** `https://github.com/<owner>/<repo>` (or the GHE equivalent). */
  readonly htmlUrl: string;
  readonly sha: string;
  /** Every file path in the commit's tree. */
  readonly paths: ReadonlySet<string>;
  /** Line count of files whose text was read, for `path:line` references. */
  lineCount(path: string): number | undefined;
  /** Definitions by simple or qualified name (exact case first, then case-insensitive). */
  lookup(name: string): readonly SymbolLocation[];
  /** What `owner.name` runs when the class does not define it itself: the nearest base class's. */
  inherited?(owner: string, name: string): readonly SymbolLocation[];
}

export type ReferenceStatus = "linked" | "new" | "unverified";

export interface CheckedReference {
  readonly text: string;
  readonly status: ReferenceStatus;
  /** Absent for a name that exists in several places, or a reference link kept as written. */
  readonly url?: string;
}

export interface VerifiedText {
  readonly text: string;
  readonly references: readonly CheckedReference[];
}

export const UNVERIFIED_MARK = "⚠️ *unverified*";

/**
 * First segments (or whole names) that belong to Python, JavaScript/TypeScript/Node or Go
 * themselves. Curated, not exhaustive: a name missing here is only marked, never hidden.
 */
const PLATFORM_NAMES = new Set([
  // Python: standard modules, builtins, exceptions, typing.
  "json", "os", "sys", "re", "pathlib", "typing", "asyncio", "logging", "datetime", "collections", "itertools",
  "functools", "subprocess", "math", "time", "random", "shutil", "tempfile", "io", "abc", "dataclasses", "enum", "uuid",
  "hashlib", "base64", "argparse", "threading", "multiprocessing", "socket", "urllib", "unittest", "pickle", "csv",
  "glob", "textwrap", "traceback", "inspect", "contextlib", "operator", "struct", "heapq", "bisect", "decimal",
  "statistics", "secrets", "hmac", "gzip", "zipfile", "tarfile", "sqlite3", "pprint", "warnings", "weakref", "shlex",
  "importlib", "codecs", "concurrent", "builtins",
  "print", "len", "range", "open", "isinstance", "issubclass", "str", "int", "float", "bool", "bytes", "list", "dict",
  "set", "tuple", "frozenset", "type", "super", "object", "enumerate", "zip", "map", "filter", "sorted", "reversed",
  "sum", "min", "max", "abs", "any", "all", "getattr", "setattr", "hasattr", "delattr", "repr", "iter", "next", "input",
  "id", "hash", "round", "vars", "dir", "callable", "exec", "eval", "chr", "ord", "divmod", "format", "property",
  "staticmethod", "classmethod", "None", "True", "False",
  "Exception", "BaseException", "ValueError", "TypeError", "KeyError", "IndexError", "AttributeError", "RuntimeError",
  "NotImplementedError", "StopIteration", "OSError", "IOError", "FileNotFoundError", "TimeoutError", "ImportError",
  "AssertionError", "PermissionError", "ConnectionError", "KeyboardInterrupt",
  "Any", "Optional", "List", "Dict", "Union", "Callable", "Tuple", "Iterable", "Iterator", "Generator", "Awaitable",
  "AsyncIterator", "AsyncIterable", "AsyncGenerator", "Sequence", "Mapping", "Literal", "TypeVar", "Protocol",
  "NamedTuple", "TypedDict",
  // JavaScript and TypeScript: globals, web platform, utility types; Node's modules.
  "Promise", "Array", "Object", "Math", "JSON", "console", "process", "Date", "Number", "String", "Boolean", "Symbol",
  "BigInt", "Buffer", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "RegExp", "Error", "RangeError", "SyntaxError",
  "AggregateError", "Reflect", "Proxy", "Intl", "globalThis", "window", "document", "navigator", "localStorage",
  "sessionStorage", "URL", "URLSearchParams", "AbortController", "AbortSignal", "TextEncoder", "TextDecoder", "Blob",
  "FormData", "Headers", "ReadableStream", "WritableStream", "EventTarget", "performance", "structuredClone",
  "queueMicrotask", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "fetch", "require",
  "module", "exports", "parseInt", "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent",
  "atob", "btoa", "null", "undefined", "NaN", "Infinity", "Record", "Partial", "Required", "Readonly", "Pick", "Omit",
  "ReturnType", "Parameters", "Awaited", "NonNullable",
  "fs", "path", "http", "https", "crypto", "util", "events", "child_process", "net", "dns", "zlib", "assert",
  "readline", "url", "vm", "worker_threads", "timers", "querystring",
  // Go: standard packages and builtins.
  "fmt", "strings", "strconv", "errors", "context", "bufio", "bytes", "sync", "atomic", "log", "slog", "filepath",
  "sort", "slices", "maps", "regexp", "reflect", "runtime", "testing", "ioutil", "exec", "rand", "sql", "template",
  "utf8", "flag", "make", "append", "cap", "panic", "recover", "nil", "println",
]);

/** `OPENAI_API_KEY`, `MAX_RETRIES`: an environment variable or a constant, not a definition to find. */
const CONSTANT = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
/** `__init__`, `__main__`: a protocol; many classes define one, so a bare one points at none. */
const DUNDER = /^__\w+__$/;

const NEW_MARKER = /^\s*(?:\(\s*(?:new\b[^)]*|to be (?:created|added)|added|create)\s*\)|[—–]\s*new\b)/i;
// TypeScript's private members are named `#x` (`Ky.#cancelBody`); a `#` between two names is
// Ruby's `Class#method`.
const IDENTIFIER_PATH = /^#?[A-Za-z_$][\w$]*(?:(?:\.#?|::|#|->)[A-Za-z_$][\w$]*)*$/;
const SEGMENT_SEPARATOR = /\.|::|->|(?<=[\w$])#(?=[A-Za-z_$])/;
const PATH_LIKE = /^(?:\.\/)?[\p{L}\p{N}_@.+-]+(?:\/[\p{L}\p{N}_@.+-]*)*(?::(\d+)(?:-(\d+))?|#L(\d+)(?:-L(\d+))?)?$/u;
const COMMON_EXTENSIONS = new Set([
  "py", "ts", "tsx", "js", "jsx", "mjs", "cjs", "go", "rs", "java", "kt", "rb", "php", "cs", "c", "h", "cpp", "hpp",
  "swift", "md", "json", "yml", "yaml", "toml", "ini", "cfg", "txt", "html", "css", "scss", "sql", "sh", "lock", "xml",
]);


/** What a name says its file is: its extension, or a dotfile's name (`.env` names a file as `app.env` does). */
function fileKind(name: string): string {
  return extensionOf(name, { dotfile: "name" });
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function blobUrl(facts: CodeFacts, path: string, start?: number, end?: number): string {
  const base = `${facts.htmlUrl.replace(/\/+$/, "")}/blob/${facts.sha}/${encodePath(path)}`;
  if (start === undefined) return base;
  return end !== undefined && end !== start ? `${base}#L${start}-L${end}` : `${base}#L${start}`;
}

/** The commit's tree, keyed case-insensitively, built once per text checked. */
interface Tree {
  readonly facts: CodeFacts;
  readonly extensions: ReadonlySet<string>;
  /** Lowercased path → files. */
  readonly files: ReadonlyMap<string, readonly string[]>;
  /** Lowercased last segment → files. */
  readonly fileNames: ReadonlyMap<string, readonly string[]>;
  /** Lowercased path → directories. */
  readonly directories: ReadonlyMap<string, readonly string[]>;
}

function treeOf(facts: CodeFacts): Tree {
  const extensions = new Set(COMMON_EXTENSIONS);
  const files = new Map<string, string[]>();
  const fileNames = new Map<string, string[]>();
  const directories = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, path: string): void => {
    const found = map.get(key.toLowerCase());
    if (!found) map.set(key.toLowerCase(), [path]);
    else if (!found.includes(path)) found.push(path);
  };
  for (const path of facts.paths) {
    const extension = fileKind(path);
    if (extension !== "") extensions.add(extension);
    add(files, path, path);
    add(fileNames, path.slice(path.lastIndexOf("/") + 1), path);
    for (let slash = path.indexOf("/"); slash > 0; slash = path.indexOf("/", slash + 1)) {
      add(directories, path.slice(0, slash), path.slice(0, slash));
    }
  }
  return { facts, extensions, files, fileNames, directories };
}

/** The paths a name means: the exact path, else the exact file name, else either in another case. */
function located(name: string, pool: readonly string[]): readonly string[] {
  if (pool.includes(name)) return [name];
  const exact = pool.filter((p) => p.endsWith(`/${name}`));
  return exact.length > 0 ? exact : pool;
}

/** "exists": found in several places, so there is no one place to link to. */
type Resolution = { readonly url: string } | "exists" | "missing" | "not-a-reference";

function resolvePath(span: string, tree: Tree): Resolution {
  const match = PATH_LIKE.exec(span);
  if (!match) return "not-a-reference";
  const bare = span.replace(/^\.\//, "").replace(/(?::\d+(?:-\d+)?|#L\d+(?:-L\d+)?)$/, "");
  const isDirectory = bare.endsWith("/");
  const name = bare.replace(/\/+$/, "");
  if (!isDirectory && !name.includes("/") && !tree.extensions.has(fileKind(name))) return "not-a-reference";

  const key = name.toLowerCase();
  const files = isDirectory ? [] : located(name, (name.includes("/") ? tree.files : tree.fileNames).get(key) ?? []);
  const path = files[0];
  if (files.length > 1) return "exists";
  if (path === undefined) {
    const directories = located(name, tree.directories.get(key) ?? []);
    const directory = directories[0];
    if (directories.length > 1) return "exists";
    if (directory === undefined) return "missing";
    return { url: `${tree.facts.htmlUrl.replace(/\/+$/, "")}/tree/${tree.facts.sha}/${encodePath(directory)}` };
  }
  const start = Number(match[1] ?? match[3] ?? Number.NaN);
  const end = Number(match[2] ?? match[4] ?? Number.NaN);
  if (Number.isNaN(start)) return { url: blobUrl(tree.facts, path) };
  const lines = tree.facts.lineCount(path);
  const last = Number.isNaN(end) ? start : end;
  if (lines !== undefined && (start < 1 || last > lines || last < start)) return "missing";
  return { url: blobUrl(tree.facts, path, start, Number.isNaN(end) ? undefined : end) };
}

function looksLikeCode(name: string, called: boolean): boolean {
  return called || /[.:#>]/.test(name) || name.includes("_") || /[a-z][A-Z]/.test(name) || /^[A-Z][a-z]+[A-Z]/.test(name);
}

function isPlatformName(name: string): boolean {
  return PLATFORM_NAMES.has(name.split(SEGMENT_SEPARATOR)[0] as string) || CONSTANT.test(name);
}

const CLASS_KINDS: ReadonlySet<string> = new Set(["class", "interface", "type", "enum"]);

/** `name` is an identifier path, without the call's parentheses. */
function resolveSymbol(name: string, called: boolean, platform: boolean, facts: CodeFacts): Exclude<Resolution, "exists"> {
  // A platform name counts only as the repository spells it: `Map` is not its `map()`.
  const lookup = (key: string): readonly SymbolLocation[] =>
    platform
      ? facts.lookup(key).filter((d) => d.qualifiedName === key || d.qualifiedName.endsWith(`.${key}`))
      : facts.lookup(key);
  const segments = name
    .split(SEGMENT_SEPARATOR)
    .filter((s, i) => !(i === 0 && ["self", "this", "cls", "super"].includes(s)));
  const link = (found: readonly SymbolLocation[]): Exclude<Resolution, "exists"> => {
    const first = found[0];
    return first ? { url: blobUrl(facts, first.path, first.startLine, first.endLine) } : "missing";
  };
  const last = segments[segments.length - 1];
  if (last === undefined) return "not-a-reference";
  if (segments.length === 1) {
    const found = lookup(last);
    if (found.length > 0) return link(found);
    // A bare `#name` that the repository does not define is as likely `#include` or a CSS id.
    return looksLikeCode(name, called) && !name.startsWith("#") ? "missing" : "not-a-reference";
  }

  // A chain of classes (`TypeSpec.Builder.addJavadoc`): from the first class the repository
  // defines, the whole chain must end one definition's name, or a member of another `Builder`
  // would do. Segments before it are package or namespace names (`com.squareup.`, `Acme.Orders.`).
  const isClass = (segment: string): boolean =>
    lookup(segment).some((d) => CLASS_KINDS.has(d.kind) && (d.qualifiedName === segment || d.qualifiedName.endsWith(`.${segment}`)));
  const firstClass = segments.findIndex((segment, i) => i < segments.length - 1 && isClass(segment));
  if (firstClass >= 0 && segments.length - firstClass >= 3) {
    const chain = segments.slice(firstClass).join(".");
    return link(lookup(last).filter((d) => d.qualifiedName === chain || d.qualifiedName.endsWith(`.${chain}`)));
  }

  const owner = segments[segments.length - 2] as string;
  const qualified = lookup(`${owner}.${last}`);
  if (qualified.length > 0) return link(qualified);
  // `Session.resolve_redirects`, defined by a base class of Session.
  const inherited = platform ? [] : (facts.inherited?.(owner, last) ?? []);
  if (inherited.length > 0) return link(inherited);
  // `owner` names a class (in any case): the member must be that class's own.
  const ownerIsClass = lookup(owner).some((d) => d.kind === "class" || d.kind === "interface" || d.kind === "type");
  if (ownerIsClass || /^[A-Z]/.test(owner)) return "missing";
  // `owner` is a module or an instance attribute (`codegen.generate`, `self.planner.refine`):
  // accept a definition in a file named like it, or the only definition of that name. Not for
  // a platform module: `console.error` is not the repository's one `error` method.
  const candidates = lookup(last).filter((d) => d.qualifiedName === last || d.qualifiedName.endsWith(`.${last}`));
  const inModule = candidates.filter((d) => (d.path.split("/").pop() ?? "").replace(/\.[^.]+$/, "") === owner);
  if (inModule.length > 0) return link(inModule);
  return candidates.length === 1 && !platform ? link(candidates) : "missing";
}

function resolve(span: string, tree: Tree): Resolution {
  const trimmed = span.trim();
  if (trimmed.length === 0 || trimmed.length > 200 || /\s/.test(trimmed.replace(/\(.*\)$/, ""))) return "not-a-reference";
  const asPath = resolvePath(trimmed, tree);
  if (asPath !== "missing" && asPath !== "not-a-reference") return asPath;
  const call = /^(.*?)\s*\((?:[^()]*)\)$/.exec(trimmed);
  const name = (call?.[1] ?? trimmed).trim();
  if (!IDENTIFIER_PATH.test(name) || DUNDER.test(name)) return asPath;
  const platform = isPlatformName(name);
  // `Tee.go`, `Lock.json`: a missing file may be a method that exists.
  const asSymbol = resolveSymbol(name, call !== null, platform, tree.facts);
  if (typeof asSymbol === "object") return asSymbol;
  // A file of a well-known kind is a claim about a file, whatever module shares its stem (`path.ts`).
  if (asPath === "missing" && COMMON_EXTENSIONS.has(fileKind(name))) return "missing";
  if (platform) return "not-a-reference";
  return asPath === "missing" ? "missing" : asSymbol;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** How far past a reference its "(new)" or an earlier mark is looked for. */
const LOOK_AHEAD = 300;

/** Finds the references in one paragraph (or heading) of prose, as edits of the source. */
function verifyInline(document: MarkdownDocument, block: ProseBlock, tree: Tree, out: CheckedReference[], edits: Edit[]): void {
  const source = document.source;
  const content = block.joined.text;
  const links = block.tokens.filter((t): t is LinkToken => t.kind === "link" && !t.image).sort((a, b) => a.start - b.start);
  const spans = block.tokens.filter((t) => t.kind === "code").sort((a, b) => a.start - b.start);
  let next = 0;
  for (const span of spans) {
    // ``a `b` `` quotes code rather than naming something.
    if (span.kind !== "code" || span.ticks !== 1) continue;
    while (next < links.length && (links[next] as LinkToken).end <= span.start) next++;
    const candidate = links[next];
    const around = candidate && candidate.start < span.start && span.end <= candidate.close ? candidate : undefined;
    // Already a link (`[`x`](…)`), e.g. copied from an earlier answer: its target stays, but
    // the name is still checked, so a link cannot make a missing name look verified. A span
    // that is only part of a link's text is the author's wording, and a link cannot nest.
    const link = around && around.start + 1 === span.start && around.close === span.end ? around : undefined;
    if (around && !link) continue;
    const name = content.slice(span.start + 1, span.end - 1);
    const resolution = resolve(name, tree);
    if (resolution === "not-a-reference") continue;
    const { start } = document.sourceRange(block, span);
    const end = document.sourceRange(block, link ?? span).end;
    if (resolution === "missing") {
      const rest = source.slice(end, end + LOOK_AHEAD);
      const markedNew = NEW_MARKER.test(rest);
      out.push({ text: name, status: markedNew ? "new" : "unverified" });
      // An earlier answer's mark may come back with the text: one mark is enough.
      if (!markedNew && !rest.trimStart().startsWith(UNVERIFIED_MARK)) edits.push({ start: end, end, text: ` ${UNVERIFIED_MARK}` });
    } else if (link || resolution === "exists") {
      const url = link?.destination ? content.slice(link.destination.start, link.destination.end) : undefined;
      out.push({ text: name, status: "linked", ...(url === undefined ? {} : { url }) });
    } else {
      out.push({ text: name, status: "linked", url: resolution.url });
      edits.push({ start, end: start, text: "[" }, { start: end, end, text: `](${resolution.url})` });
    }
  }
}

/**
 * Checks the references of a text, read with the one Markdown reader (src/markdown): only
 * additions are made, so the rest of the text is as it was.
 */
export function verifyReferences(text: string, facts: CodeFacts): VerifiedText {
  const tree = treeOf(facts);
  const references: CheckedReference[] = [];
  const document = scanMarkdown(text);
  const edits: Edit[] = [];
  for (const block of document.prose) verifyInline(document, block, tree, references, edits);
  if (edits.length === 0) return { text, references };
  const parts: string[] = [];
  let from = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    parts.push(text.slice(from, edit.start), edit.text);
    from = Math.max(from, edit.end);
  }
  parts.push(text.slice(from));
  return { text: parts.join(""), references };
}

/** One line for the answer's footer: what was checked, against which commit. */
export function referenceSummary(references: readonly CheckedReference[], sha: string): string | undefined {
  if (references.length === 0) return undefined;
  const count = (status: ReferenceStatus): number => references.filter((r) => r.status === status).length;
  const bits = [`${count("linked")} linked`];
  if (count("new") > 0) bits.push(`${count("new")} new`);
  if (count("unverified") > 0) bits.push(`${count("unverified")} ⚠️ not found`);
  return `References checked against \`${sha.slice(0, 7)}\`: ${bits.join(", ")}`;
}
