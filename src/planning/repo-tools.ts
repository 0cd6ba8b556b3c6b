import { setImmediate as nextTurn } from "node:timers/promises";
import { GlobRules } from "../repository/glob.js";
import { z } from "zod";
import type { CallSite, Definition, SymbolIndex } from "../code-index/symbol-index.js";
import type { ToolCall, ToolSpec } from "../streaming/stream-parts.js";
import { TimeSlice } from "../util/time-slice.js";
import { shortSha, type RepoView } from "./repo-view.js";
import { lineNumbered, linesOf, UNSEEN } from "./starting-context.js";

/**
 * The tools the model may call while it plans, over the one commit devbuddy read:
 * `list_files`, `read_file`, `search_code`, `find_symbol`. Arguments are model output,
 * so they are validated; every failure becomes a plain-worded tool result the model can
 * act on (never an exception). Limits per run: distinct files read and bytes returned.
 *
 * `search_code` is a literal, case-insensitive search: a regular expression from the
 * model could take exponential time on one line. Searching, listing and looking up symbols
 * give the event loop a turn every few milliseconds (`TimeSlice`): a search reads every
 * loaded file, 30 MB in a large repository.
 *
 * The byte budget is looked at before a call runs: once it is spent, a call is answered
 * with that and not run at all: a search whose result cannot be returned would read every
 * loaded file for nothing.
 */

export interface ToolLimits {
  /** Distinct files `read_file` may return. */
  readonly files: number;
  /** Bytes all tool results together may return. */
  readonly readBytes: number;
}

export interface ToolResult {
  readonly content: string;
  readonly ok: boolean;
  /** Set when a run limit stopped this call. */
  readonly limit?: "files" | "bytes";
}

const MAX_LINES_PER_READ = 400;
const MAX_BYTES_PER_READ = 48_000;
const MAX_SEARCH_RESULTS = 40;
const MAX_LISTED = 200;
const MAX_DEFINITIONS = 10;
const MAX_SITES = 25;

export const TOOL_SPECS: readonly ToolSpec[] = [
  {
    name: "list_files",
    description:
      "List the repository's readable files (vendored, generated, binary and ignored files are left out). " +
      "Optional glob in .gitignore syntax, e.g. '*.py' or 'src/**/*.ts'.",
    parameters: {
      type: "object",
      properties: { glob: { type: "string", description: "Pattern in .gitignore syntax; omit for all files." } },
      additionalProperties: false,
    },
  },
  {
    name: "read_file",
    description: `Read a file with line numbers, at most ${MAX_LINES_PER_READ} lines per call. Give start_line/end_line for a range.`,
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "Path from the repository root, e.g. 'src/app.ts'." },
        start_line: { type: "integer", minimum: 1 },
        end_line: { type: "integer", minimum: 1 },
      },
      required: ["path"],
      additionalProperties: false,
    },
  },
  {
    name: "search_code",
    description: "Find lines containing a text (literal, case-insensitive) in the readable files. Optional glob to narrow the files.",
    parameters: {
      type: "object",
      properties: {
        query: { type: "string", description: "Literal text to find, e.g. 'chat.completions.create'." },
        glob: { type: "string", description: "Pattern in .gitignore syntax, e.g. '*.py'." },
      },
      required: ["query"],
      additionalProperties: false,
    },
  },
  {
    name: "find_symbol",
    description:
      "Find where a class, function or method is defined and every place that calls it, found by parsing the code. " +
      "Use 'Class.method' for a method. Use this to answer which code calls what.",
    parameters: {
      type: "object",
      properties: { name: { type: "string", description: "e.g. 'AI.call', 'Planner', 'generate'." } },
      required: ["name"],
      additionalProperties: false,
    },
  },
];

// Strict: an argument the tool does not know (`start` for `start_line`) is an error the
// model can correct, not silently dropped (which would read the whole file instead).
const argsSchemas = {
  list_files: z.strictObject({ glob: z.string().max(300).optional() }),
  read_file: z.strictObject({
    path: z.string().min(1).max(1_000),
    start_line: z.number().int().min(1).optional(),
    end_line: z.number().int().min(1).optional(),
  }),
  search_code: z.strictObject({ query: z.string().min(2).max(300), glob: z.string().max(300).optional() }),
  find_symbol: z.strictObject({ name: z.string().min(1).max(200) }),
} as const;

type ToolName = keyof typeof argsSchemas;

function isToolName(name: string): name is ToolName {
  return Object.hasOwn(argsSchemas, name);
}

/** Text from the model, made safe for a one-line status in the comment. */
function label(text: string): string {
  const clean = text.replace(/[`\r\n]+/g, " ").trim();
  return clean.length > 80 ? `${clean.slice(0, 77)}…` : clean;
}

function parseArgs(call: ToolCall): unknown {
  if (call.arguments.trim() === "") return {};
  return JSON.parse(call.arguments) as unknown;
}

/** A tool call in words for the live status: while it runs ("reading `src/ai.ts` …") and after ("read `src/ai.ts`"). */
export function describeCall(call: ToolCall): { readonly doing: string; readonly done: string } {
  let args: Record<string, unknown> = {};
  try {
    const parsed = parseArgs(call);
    if (parsed && typeof parsed === "object") args = parsed as Record<string, unknown>;
  } catch {
    // The call itself will report the bad arguments.
  }
  const text = (key: string): string => (typeof args[key] === "string" ? label(args[key]) : "");
  switch (call.name) {
    case "read_file": {
      const start = typeof args["start_line"] === "number" ? args["start_line"] : undefined;
      const end = typeof args["end_line"] === "number" ? args["end_line"] : undefined;
      const range = start !== undefined ? ` lines ${start}–${end ?? start + MAX_LINES_PER_READ - 1}` : "";
      return { doing: `reading \`${text("path")}\`${range} …`, done: `read \`${text("path")}\`${range}` };
    }
    case "search_code":
      return { doing: `searching for \`${text("query")}\` …`, done: `searched for \`${text("query")}\`` };
    case "list_files":
      return text("glob")
        ? { doing: `listing \`${text("glob")}\` …`, done: `listed \`${text("glob")}\`` }
        : { doing: "listing files …", done: "listed files" };
    case "find_symbol":
      return { doing: `looking up \`${text("name")}\` …`, done: `looked up \`${text("name")}\`` };
    default:
      return { doing: "working …", done: "used a tool" };
  }
}

/** The live-progress line while a tool call runs. */
export function activityFor(call: ToolCall): string {
  return describeCall(call).doing;
}

function siteText(site: CallSite): string {
  return `${site.path}:${site.line}${site.enclosing ? ` in ${site.enclosing}` : ""}: ${site.text}`;
}

const BUDGET_USED_UP: ToolResult = {
  content: "Error: not run: this run's reading budget is used up. Write the plan with what you have.",
  ok: false,
  limit: "bytes",
};

export class RepoTools {
  readonly specs = TOOL_SPECS;
  readonly #view: RepoView;
  readonly #index: SymbolIndex;
  readonly #limits: ToolLimits;
  readonly #filesRead = new Set<string>();
  #bytes = 0;

  constructor(view: RepoView, index: SymbolIndex, limits: ToolLimits) {
    this.#view = view;
    this.#index = index;
    this.#limits = limits;
  }

  get filesRead(): ReadonlySet<string> {
    return this.#filesRead;
  }

  get bytesReturned(): number {
    return this.#bytes;
  }

  async execute(call: ToolCall): Promise<ToolResult> {
    if (!isToolName(call.name)) {
      return this.#fail(`There is no tool named "${label(call.name)}". Available: ${TOOL_SPECS.map((t) => t.name).join(", ")}.`);
    }
    let raw: unknown;
    try {
      raw = parseArgs(call);
    } catch {
      return this.#fail(`The arguments of ${call.name} were not valid JSON: ${label(call.arguments)}`);
    }
    if (this.#bytes >= this.#limits.readBytes) return BUDGET_USED_UP;
    switch (call.name) {
      case "list_files": {
        const args = argsSchemas.list_files.safeParse(raw);
        return args.success ? this.#charge(await this.#listFiles(args.data.glob)) : this.#invalid(call.name, args.error);
      }
      case "read_file": {
        const args = argsSchemas.read_file.safeParse(raw);
        return args.success ? this.#readFile(args.data.path, args.data.start_line, args.data.end_line) : this.#invalid(call.name, args.error);
      }
      case "search_code": {
        const args = argsSchemas.search_code.safeParse(raw);
        return args.success ? this.#charge(await this.#search(args.data.query, args.data.glob)) : this.#invalid(call.name, args.error);
      }
      case "find_symbol": {
        const args = argsSchemas.find_symbol.safeParse(raw);
        return args.success ? this.#charge(await this.#findSymbol(args.data.name)) : this.#invalid(call.name, args.error);
      }
    }
  }

  #fail(content: string): ToolResult {
    return { content: `Error: ${content}`, ok: false };
  }

  #invalid(name: ToolName, error: z.ZodError): ToolResult {
    const known = Object.keys(argsSchemas[name].shape).join(", ");
    const problems = error.issues
      .map((i) => (i.code === "unrecognized_keys" ? `unknown argument${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")} (${name} takes: ${known})` : `${i.path.join(".") || "arguments"}: ${i.message}`))
      .join("; ");
    return this.#fail(`Invalid arguments for ${name}: ${problems}.`);
  }

  /** Counts a result against the byte budget, cutting it to what is left. */
  #charge(result: ToolResult): ToolResult {
    const left = this.#limits.readBytes - this.#bytes;
    if (left <= 0) return BUDGET_USED_UP;
    const bytes = Buffer.byteLength(result.content);
    if (bytes <= left) {
      this.#bytes += bytes;
      return result;
    }
    const cut = Buffer.from(result.content).subarray(0, left).toString("utf8").replace(/\uFFFD$/, "");
    this.#bytes = this.#limits.readBytes;
    return {
      content: `${cut}\n[… cut here: this run's reading budget (${this.#limits.readBytes} bytes) is used up. Write the plan with what you have.]`,
      ok: result.ok,
      limit: "bytes",
    };
  }

  #matcher(glob: string | undefined): (path: string) => boolean {
    if (!glob) return () => true;
    // Linear-time, and an unusable glob (invalid, over the caps) matches nothing.
    const rules = new GlobRules([glob], "glob");
    return (path) => rules.ignores(path);
  }

  async #listFiles(glob: string | undefined): Promise<ToolResult> {
    const matches = this.#matcher(glob);
    const slice = new TimeSlice();
    const paths: string[] = [];
    for (const file of this.#view.eligible) {
      await slice.tick();
      if (matches(file.path)) paths.push(file.path);
    }
    const shown = paths.slice(0, MAX_LISTED);
    const head = `${paths.length} readable file${paths.length === 1 ? "" : "s"}${glob ? ` matching ${glob}` : ""} at commit ${shortSha(this.#view.sha)}`;
    const more = paths.length > shown.length ? `\n… and ${paths.length - shown.length} more; narrow the glob.` : "";
    return { content: `${head}:\n${shown.join("\n")}${more}`, ok: true };
  }

  #suggest(path: string): string {
    const name = path.split("/").pop()?.toLowerCase() ?? "";
    const similar = [...this.#view.allPaths].filter((p) => p.toLowerCase().endsWith(`/${name}`) || p.toLowerCase() === name).slice(0, 5);
    return similar.length > 0 ? ` Similar paths: ${similar.join(", ")}.` : "";
  }

  async #readFile(rawPath: string, start: number | undefined, end: number | undefined): Promise<ToolResult> {
    const path = rawPath.replace(/^\.?\/+/, "");
    const sha = shortSha(this.#view.sha);
    const reason = this.#view.skipReason(path);
    if (reason === "missing") return this.#fail(`There is no file ${path} at commit ${sha}.${this.#suggest(path)}`);
    if (reason !== undefined && reason !== "over-budget") {
      return this.#fail(`${path} is not readable: devbuddy skips ${reason} files.`);
    }
    if (!this.#filesRead.has(path) && this.#filesRead.size >= this.#limits.files) {
      return {
        content: `Error: this run may read at most ${this.#limits.files === 1 ? "1 file" : `${this.#limits.files} files`} and has read ${this.#limits.files === 1 ? "it" : "them all"}. Write the plan with what you have.`,
        ok: false,
        limit: "files",
      };
    }
    let text: string | undefined;
    try {
      text = await this.#view.read(path);
    } catch (error) {
      return this.#fail(`${path} could not be fetched from GitHub (${error instanceof Error ? error.message : String(error)}).`);
    }
    if (text === undefined) return this.#fail(`${path} is not a readable text file at commit ${sha}.`);
    const total = linesOf(text).length;
    if (start !== undefined && start > total) return this.#fail(`${path} has ${total} lines; start_line ${start} is past its end.`);
    if (start !== undefined && end !== undefined && end < start) return this.#fail(`end_line ${end} is before start_line ${start}.`);
    this.#filesRead.add(path);
    const first = start ?? 1;
    let last = Math.min(end ?? first + MAX_LINES_PER_READ - 1, total, first + MAX_LINES_PER_READ - 1);
    let body = lineNumbered(text, first, last);
    while (Buffer.byteLength(body) > MAX_BYTES_PER_READ && last > first) {
      last = first + Math.floor((last - first) / 2);
      body = lineNumbered(text, first, last);
    }
    const rest = last < total ? `\n[${path} has ${total} lines; read more with start_line=${last + 1}.]` : "";
    return this.#charge({ content: `${path} lines ${first}-${last} of ${total} (commit ${sha}):\n${body}${rest}`, ok: true });
  }

  async #search(query: string, glob: string | undefined): Promise<ToolResult> {
    const matches = this.#matcher(glob);
    const needle = query.toLowerCase();
    const hits: string[] = [];
    let total = 0;
    const slice = new TimeSlice();
    for (const [path, text] of this.#view.loaded) {
      await slice.tick();
      if (!matches(path)) continue;
      const lines = linesOf(text);
      for (let i = 0; i < lines.length; i++) {
        await slice.tick();
        const line = lines[i] as string;
        if (!line.toLowerCase().includes(needle)) continue;
        total++;
        if (hits.length < MAX_SEARCH_RESULTS) {
          const where = this.#index.enclosing(path, i + 1);
          const trimmed = line.trim();
          hits.push(`${path}:${i + 1}${where ? ` in ${where.qualifiedName}` : ""}: ${trimmed.length > 200 ? `${trimmed.slice(0, 197)}…` : trimmed}`);
        }
      }
    }
    const scope = this.#view.loaded.size < this.#view.eligible.length ? ` (searched the ${this.#view.loaded.size} files devbuddy loaded)` : "";
    if (total === 0) return { content: `No lines contain "${query}"${glob ? ` in ${glob}` : ""}${scope}.`, ok: true };
    const more = total > hits.length ? `\n… ${total - hits.length} more; make the query more specific.` : "";
    return { content: `${total === 1 ? "1 line contains" : `${total} lines contain`} "${query}"${scope}:\n${hits.join("\n")}${more}`, ok: true };
  }

  /** The first definitions whose name contains `needle`, found a slice at a time. */
  async #similarNames(needle: string): Promise<Definition[]> {
    const found: Definition[] = [];
    const slice = new TimeSlice();
    for (const d of this.#index.allDefinitions()) {
      await slice.tick();
      if (d.name.toLowerCase().includes(needle) && found.push(d) >= 12) break;
    }
    return found;
  }

  async #findSymbol(name: string): Promise<ToolResult> {
    // Rust's `Type::f`, PHP's `->`, Ruby's `Class#method` are the index's `Type.f`.
    const clean = name
      .trim()
      .replace(/\(\)$/, "")
      .replace(/^(?:self|this)\./, "")
      .replace(/::|->/g, ".")
      .replace(/(?<=\w)#(?=\w)/g, ".");
    let found: readonly Definition[] = this.#index.lookup(clean);
    const segments = clean.split(/\.|::/);
    if (found.length === 0 && segments.length > 2) found = this.#index.lookup(segments.slice(-2).join("."));
    if (found.length === 0) {
      const needle = (segments[segments.length - 1] ?? clean).toLowerCase();
      const owner = segments.length > 1 ? segments[segments.length - 2] : undefined;
      const owners = owner === undefined ? [] : this.#index.lookup(owner).filter((d) => d.kind === "class" || d.kind === "interface");
      const members = owners.flatMap((o) =>
        this.#index.definitionsIn(o.path).filter((d) => d.qualifiedName.startsWith(`${o.qualifiedName}.`)),
      );
      const similar = (members.length > 0 ? members : await this.#similarNames(needle)).slice(0, 12).map((d) => `${d.qualifiedName} (${d.path}:${d.startLine})`);
      const hint = similar.length === 0 ? "" : members.length > 0 ? ` ${owner} has: ${similar.join(", ")}.` : ` Similar names: ${similar.join(", ")}.`;
      return {
        content: `No definition named ${clean} in the ${this.#index.fileCount} files devbuddy parsed at commit ${shortSha(this.#view.sha)}.${hint}`,
        ok: true,
      };
    }
    const blocks: string[] = [];
    for (const d of found.slice(0, MAX_DEFINITIONS)) {
      // Each definition's callers are a pass over the calls of its name: a turn of the loop between them.
      if (blocks.length > 0) await nextTurn();
      const { confirmed, possible } = this.#index.callers(d);
      const lines = [`${d.kind} ${d.qualifiedName} defined at ${d.path}:${d.startLine}-${d.endLine}: ${d.signature}`];
      const verb = d.kind === "class" ? "instantiated" : "called";
      const none = possible.length === 0 ? `${verb}: no call found in the parsed files${UNSEEN}.` : `${verb}: no call confirmed in the parsed files.`;
      lines.push(confirmed.length === 0 ? none : `${verb} from ${confirmed.length} place(s):`);
      for (const site of confirmed.slice(0, MAX_SITES)) lines.push(`- ${siteText(site)}`);
      if (possible.length > 0) {
        lines.push("possibly here (devbuddy could not tell the receiver's type; check before relying on it):");
        for (const site of possible.slice(0, MAX_SITES)) lines.push(`- ${siteText(site)}`);
      }
      blocks.push(lines.join("\n"));
    }
    const more = found.length > MAX_DEFINITIONS ? `\n… ${found.length - MAX_DEFINITIONS} more definitions; qualify the name.` : "";
    return { content: `${blocks.join("\n\n")}${more}`, ok: true };
  }
}
