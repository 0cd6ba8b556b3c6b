/**
 * Checks every file and symbol a plan names against the commit devbuddy read, after the
 * model has finished. Pure.
 *
 * A reference is an inline code span outside fenced blocks: `agent/ai.py`,
 * `agent/ai.py:12-20`, `AI.call`, `self.planner.refine()`, `plan_steps()`. Each becomes
 * - a permalink to the commit (`blob/<sha>/<path>#L<a>-L<b>`) when it exists there,
 * - left as written when the model marked it "(new)" and it does not exist yet,
 * - marked "⚠️ unverified" otherwise.
 *
 * Only additions are made: the model's words stay as they are, so nothing it wrote is lost.
 *
 * What counts as a symbol: dotted names, names called with `()`, and names with an
 * underscore or an inner capital (`plan_steps`, `CodeGenerator`). A bare lowercase word
 * (`stream`, `true`) is linked when it is a definition, and otherwise left alone: it is
 * as likely a value or a keyword as a claim about the code.
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
}

export type ReferenceStatus = "linked" | "new" | "unverified";

export interface CheckedReference {
  readonly text: string;
  readonly status: ReferenceStatus;
  readonly url?: string;
}

export interface VerifiedText {
  readonly text: string;
  readonly references: readonly CheckedReference[];
}

export const UNVERIFIED_MARK = "⚠️ *unverified*";

const BUILTINS = new Set([
  "None", "True", "False", "Any", "Optional", "List", "Dict", "Union", "Callable", "Exception", "ValueError",
  "TypeError", "KeyError", "RuntimeError", "NotImplementedError", "Promise", "Error", "Map", "Set", "Array", "Object",
  "String", "Number", "Boolean", "Record", "Partial", "Readonly", "AsyncIterable", "AsyncGenerator", "Iterator",
  "Generator", "JSON", "Math", "Date", "RegExp", "Buffer", "URL", "AbortController", "AbortSignal", "console.log",
  "__init__", "__main__", "__name__", "README", "TODO", "JSON.parse", "JSON.stringify", "process.env",
]);

const NEW_MARKER = /^\s*\(\s*new\b[^)]*\)/i;
/** `](target)` right after a code span that opens with `[`. */
const LINK_TARGET = /^\]\(([^()\s]*)\)/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const CODE_SPAN = /(?<!`)`([^`\n]+)`(?!`)/g;
const IDENTIFIER_PATH = /^[A-Za-z_$][\w$]*(?:(?:\.|::|#|->)[A-Za-z_$][\w$]*)*$/;
const PATH_LIKE = /^(?:\.\/)?[\p{L}\p{N}_@.+-]+(?:\/[\p{L}\p{N}_@.+-]*)*(?::(\d+)(?:-(\d+))?|#L(\d+)(?:-L(\d+))?)?$/u;
const COMMON_EXTENSIONS = new Set([
  "py", "ts", "tsx", "js", "jsx", "mjs", "cjs", "go", "rs", "java", "kt", "rb", "php", "cs", "c", "h", "cpp", "hpp",
  "swift", "md", "json", "yml", "yaml", "toml", "ini", "cfg", "txt", "html", "css", "scss", "sql", "sh", "lock", "xml",
]);

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function blobUrl(facts: CodeFacts, path: string, start?: number, end?: number): string {
  const base = `${facts.htmlUrl.replace(/\/+$/, "")}/blob/${facts.sha}/${encodePath(path)}`;
  if (start === undefined) return base;
  return end !== undefined && end !== start ? `${base}#L${start}-L${end}` : `${base}#L${start}`;
}

function extensionsOf(paths: ReadonlySet<string>): Set<string> {
  const extensions = new Set(COMMON_EXTENSIONS);
  for (const path of paths) {
    const dot = path.lastIndexOf(".");
    if (dot > path.lastIndexOf("/")) extensions.add(path.slice(dot + 1).toLowerCase());
  }
  return extensions;
}

type Resolution = { readonly url: string } | "missing" | "not-a-reference";

function resolvePath(span: string, facts: CodeFacts, extensions: ReadonlySet<string>): Resolution {
  const match = PATH_LIKE.exec(span);
  if (!match) return "not-a-reference";
  const bare = span.replace(/^\.\//, "").replace(/(?::\d+(?:-\d+)?|#L\d+(?:-L\d+)?)$/, "");
  const isDirectory = bare.endsWith("/");
  const name = bare.replace(/\/+$/, "");
  const dot = name.lastIndexOf(".");
  const extension = dot > name.lastIndexOf("/") ? name.slice(dot + 1).toLowerCase() : "";
  if (!isDirectory && !name.includes("/") && !extensions.has(extension)) return "not-a-reference";
  if (!isDirectory && name.includes("/") && extension === "" && IDENTIFIER_PATH.test(name)) return "not-a-reference";

  let path: string | undefined;
  if (facts.paths.has(name)) path = name;
  else if (!name.includes("/")) {
    const candidates = [...facts.paths].filter((p) => p === name || p.endsWith(`/${name}`));
    if (candidates.length === 1) path = candidates[0];
  }
  if (path === undefined) {
    const prefix = `${name}/`;
    for (const p of facts.paths) {
      if (p.startsWith(prefix)) return { url: `${facts.htmlUrl.replace(/\/+$/, "")}/tree/${facts.sha}/${encodePath(name)}` };
    }
    return "missing";
  }
  const start = Number(match[1] ?? match[3] ?? Number.NaN);
  const end = Number(match[2] ?? match[4] ?? Number.NaN);
  if (Number.isNaN(start)) return { url: blobUrl(facts, path) };
  const lines = facts.lineCount(path);
  const last = Number.isNaN(end) ? start : end;
  if (lines !== undefined && (start < 1 || last > lines || last < start)) return "missing";
  return { url: blobUrl(facts, path, start, Number.isNaN(end) ? undefined : end) };
}

function looksLikeCode(name: string, called: boolean): boolean {
  return called || /[.:#>]/.test(name) || name.includes("_") || /[a-z][A-Z]/.test(name) || /^[A-Z][a-z]+[A-Z]/.test(name);
}

function resolveSymbol(span: string, facts: CodeFacts): Resolution {
  const call = /^(.*?)\s*\((?:[^()]*)\)$/.exec(span);
  const name = (call?.[1] ?? span).trim();
  if (!IDENTIFIER_PATH.test(name) || BUILTINS.has(name)) return "not-a-reference";
  const segments = name
    .split(/\.|::|#|->/)
    .filter((s, i) => !(i === 0 && ["self", "this", "cls", "super"].includes(s)));
  const link = (found: readonly SymbolLocation[]): Resolution => {
    const first = found[0];
    return first ? { url: blobUrl(facts, first.path, first.startLine, first.endLine) } : "missing";
  };
  const last = segments[segments.length - 1];
  if (last === undefined) return "not-a-reference";
  if (segments.length === 1) {
    const found = facts.lookup(last);
    if (found.length > 0) return link(found);
    return looksLikeCode(name, call !== null) ? "missing" : "not-a-reference";
  }

  const owner = segments[segments.length - 2] as string;
  const qualified = facts.lookup(`${owner}.${last}`);
  if (qualified.length > 0) return link(qualified);
  // `owner` names a class (in any case): the member must be that class's own.
  const ownerIsClass = facts.lookup(owner).some((d) => d.kind === "class" || d.kind === "interface" || d.kind === "type");
  if (ownerIsClass || /^[A-Z]/.test(owner)) return "missing";
  // `owner` is a module or an instance attribute (`codegen.generate`, `self.planner.refine`):
  // accept a definition in a file named like it, or the only definition of that name.
  const candidates = facts.lookup(last).filter((d) => d.qualifiedName === last || d.qualifiedName.endsWith(`.${last}`));
  const inModule = candidates.filter((d) => (d.path.split("/").pop() ?? "").replace(/\.[^.]+$/, "") === owner);
  if (inModule.length > 0) return link(inModule);
  return candidates.length === 1 ? link(candidates) : "missing";
}

function resolve(span: string, facts: CodeFacts, extensions: ReadonlySet<string>): Resolution {
  const trimmed = span.trim();
  if (trimmed.length === 0 || trimmed.length > 200 || /\s/.test(trimmed.replace(/\(.*\)$/, ""))) return "not-a-reference";
  const asPath = resolvePath(trimmed, facts, extensions);
  if (asPath !== "not-a-reference") return asPath;
  return resolveSymbol(trimmed, facts);
}

/** Rewrites the references in one line of prose. */
function verifyLine(line: string, facts: CodeFacts, extensions: ReadonlySet<string>, out: CheckedReference[]): string {
  let result = "";
  let from = 0;
  for (const match of line.matchAll(CODE_SPAN)) {
    const start = match.index;
    const end = start + match[0].length;
    const span = match[1] as string;
    if (start < from) continue; // inside a link target handled below
    // Already a link (`[`x`](…)`), e.g. copied from an earlier answer: its target stays, but
    // the name is still checked, so a link cannot make a missing name look verified.
    const link = line[start - 1] === "[" ? LINK_TARGET.exec(line.slice(end)) : null;
    const spanEnd = link ? end + link[0].length : end;
    const resolution = resolve(span, facts, extensions);
    result += line.slice(from, start);
    from = spanEnd;
    const written = line.slice(start, spanEnd);
    if (resolution === "not-a-reference") {
      result += written;
    } else if (resolution === "missing") {
      const rest = line.slice(spanEnd);
      const markedNew = NEW_MARKER.test(rest);
      out.push({ text: span, status: markedNew ? "new" : "unverified" });
      // An earlier answer's mark may come back with the text: one mark is enough.
      result += markedNew || rest.trimStart().startsWith(UNVERIFIED_MARK) ? written : `${written} ${UNVERIFIED_MARK}`;
    } else {
      out.push({ text: span, status: "linked", url: link ? (link[1] as string) : resolution.url });
      result += link ? written : `[${written}](${resolution.url})`;
    }
  }
  return result + line.slice(from);
}

export function verifyReferences(text: string, facts: CodeFacts): VerifiedText {
  const extensions = extensionsOf(facts.paths);
  const references: CheckedReference[] = [];
  let fence: string | undefined;
  const lines = text.split("\n").map((line) => {
    const opener = FENCE.exec(line)?.[1];
    if (fence !== undefined) {
      if (opener && opener[0] === fence[0] && opener.length >= fence.length && line.trim() === opener) fence = undefined;
      return line;
    }
    if (opener) {
      fence = opener;
      return line;
    }
    return verifyLine(line, facts, extensions, references);
  });
  return { text: lines.join("\n"), references };
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
