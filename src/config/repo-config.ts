import { z } from "zod";

/**
 * Per-repository configuration: `.github/devbuddy.yml`, read as Probot apps read theirs
 * (`src/github/config-file.ts`: `_extends` and the owner's `.github` repository work as
 * in other Probot apps) and validated here. Pure: the caller loads the YAML.
 *
 * An invalid file is never half-applied: every problem is reported with its field, and
 * the run uses the defaults for the whole file. Half-applying could, for example, keep a
 * `triggers` list while dropping the `paths.exclude` that was meant to go with it.
 */

export const REPO_CONFIG_PATH = ".github/devbuddy.yml";
export const REPO_GUIDANCE_PATH = ".github/devbuddy.md";

/**
 * The hard ceilings of the operator's settings. A repository may lower a limit, never
 * raise it past the operator's value: the operator pays for the model and GitHub's budget.
 */
export const LIMIT_CEILINGS = {
  toolRounds: 20,
  files: 100,
  readBytes: 2_000_000,
  contextTokens: 400_000,
} as const;

const login = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/, { error: "must be a GitHub login, such as octocat or renovate[bot]" });
const team = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  error: "must be written org/team-slug, such as acme/maintainers",
});
const pattern = z.string().min(1).max(500);

const pathsSchema = z.strictObject({
  include: z.array(pattern).max(200).optional(),
  exclude: z.array(pattern).max(200).optional(),
});

const fileSchema = z.strictObject({
  _extends: z.string().optional(),
  model: z.string().min(1).max(100).optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** Whether the model supports function calling; without it, only the starting context is sent. */
  tools: z.boolean().optional(),
  instructions: z.string().max(8_000).optional(),
  paths: pathsSchema.optional(),
  limits: z
    .strictObject({
      // No upper bound here: more than the operator allows is not an error, it gets the operator's value.
      tool_rounds: z.number().int().min(0).optional(),
      files: z.number().int().min(1).optional(),
      read_bytes: z.number().int().min(1_000).optional(),
      context_tokens: z.number().int().min(4_000).optional(),
      run_tokens: z.number().int().min(10_000).optional(),
      requests_per_user_hour: z.number().int().min(1).optional(),
    })
    .optional(),
  triggers: z
    .strictObject({
      users: z.array(login).max(200).optional(),
      teams: z.array(team).max(50).optional(),
      bots: z.array(login).max(50).optional(),
    })
    .optional(),
});

export type RepoConfigFile = z.infer<typeof fileSchema>;

export interface PlannerLimits {
  /** Model rounds that may call tools; one more round without tools writes the plan. */
  readonly toolRounds: number;
  /** Distinct files the tools may return content of. */
  readonly files: number;
  /** Bytes of file content the tools may return in all. */
  readonly readBytes: number;
  /** Prompt tokens of any one model request, tool results included (the answer's room comes on top). */
  readonly contextTokens: number;
}

/** The limits of one answer: the planner's, and what it may cost and how often one person may ask. */
export interface RunLimits extends PlannerLimits {
  /** Tokens one answer may cost in all (every request's prompt and output). */
  readonly runTokens: number;
  /** Answers one person may ask for in this repository in any hour. */
  readonly requestsPerUser: number;
}

/** The `limits` fields, as written in the file, for each limit. */
const LIMIT_FIELDS = {
  toolRounds: "tool_rounds",
  files: "files",
  readBytes: "read_bytes",
  contextTokens: "context_tokens",
  runTokens: "run_tokens",
  requestsPerUser: "requests_per_user_hour",
} as const satisfies Record<keyof RunLimits, string>;

/** A limit the file set above the operator's: the operator's value is used. */
export interface CappedLimit {
  readonly field: string;
  readonly asked: number;
  readonly used: number;
}

export interface RepoConfig {
  readonly model: string | undefined;
  readonly temperature: number | undefined;
  readonly tools: boolean;
  readonly instructions: string | undefined;
  readonly include: readonly string[] | undefined;
  readonly exclude: readonly string[];
  readonly limits: RunLimits;
  readonly triggers: { readonly users: readonly string[]; readonly teams: readonly string[]; readonly bots: readonly string[] };
}

export interface RepoConfigDefaults {
  readonly tools: boolean;
  /** The operator's limits: the defaults, and the most a repository may ask for. */
  readonly limits: RunLimits;
  /** Models a repository may choose; empty = any. */
  readonly allowedModels: readonly string[];
}

export interface ConfigProblem {
  /** Dotted field path, e.g. "limits.tool_rounds"; "" for the file itself. */
  readonly field: string;
  readonly problem: string;
}

export interface LoadedRepoConfig {
  readonly config: RepoConfig;
  /** Empty when the file is valid or absent. */
  readonly problems: readonly ConfigProblem[];
  /** Limits the file asked to raise: they keep the operator's value. */
  readonly capped: readonly CappedLimit[];
  /** An invalid file's `paths`, applied all the same: they only narrow what is read. */
  readonly keptPaths?: true;
  /**
   * Why the file could not be read or parsed (a YAML syntax error, a 403, a 5xx, a
   * timeout). Its `paths.exclude` is then unknown, so no file of the repository may be
   * read: the answer is written without repository context. (A missing file, 404, is no
   * file: the defaults apply.)
   */
  readonly unreadable?: string;
  readonly source: "file" | "defaults";
}

export function defaultRepoConfig(defaults: RepoConfigDefaults): RepoConfig {
  return {
    model: undefined,
    temperature: undefined,
    tools: defaults.tools,
    instructions: undefined,
    include: undefined,
    exclude: [],
    limits: defaults.limits,
    triggers: { users: [], teams: [], bots: [] },
  };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  return json === undefined ? typeof value : json.length > 60 ? `${json.slice(0, 57)}…` : json;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function problemsOf(error: z.ZodError, raw: unknown): ConfigProblem[] {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => `\`${k}\``).join(", ");
      return { field, problem: `unknown setting${issue.keys.length > 1 ? "s" : ""} ${keys}` };
    }
    return { field, problem: `${issue.message} (found ${describe(valueAt(raw, issue.path))})` };
  });
}

/**
 * Validates what `readConfigFile` returned: null when there is no file. `loadError` is
 * the error it threw, e.g. for YAML that does not parse.
 */
export function resolveRepoConfig(raw: unknown, defaults: RepoConfigDefaults, loadError?: unknown): LoadedRepoConfig {
  const fallback = defaultRepoConfig(defaults);
  if (loadError !== undefined) {
    const message = (loadError instanceof Error ? loadError.message.split("\n")[0] : String(loadError))?.slice(0, 200) ?? "";
    // The tools are off too: without the file, nothing says which files they may show.
    return { config: { ...fallback, tools: false }, problems: [], capped: [], source: "defaults", unreadable: message };
  }
  if (raw === null || raw === undefined) return { config: fallback, problems: [], capped: [], source: "defaults" };
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    // Defaults for the whole file, except what a maintainer excluded (or limited reading to):
    // a typo elsewhere must not send the model files they meant to keep from it.
    const paths = pathsSchema.safeParse((raw as { paths?: unknown } | null)?.paths);
    const problems = problemsOf(parsed.error, raw);
    if (!paths.success || (paths.data.include === undefined && paths.data.exclude === undefined)) return { config: fallback, problems, capped: [], source: "defaults" };
    const config = { ...fallback, include: paths.data.include, exclude: paths.data.exclude ?? [] };
    return { config, problems, capped: [], source: "defaults", keptPaths: true };
  }
  const file = parsed.data;
  if (file.model !== undefined && defaults.allowedModels.length > 0 && !defaults.allowedModels.includes(file.model)) {
    const allowed = defaults.allowedModels.map((m) => `\`${m}\``).join(", ");
    return {
      config: fallback,
      problems: [{ field: "model", problem: `\`${file.model}\` is not offered by this devbuddy installation (choose one of ${allowed})` }],
      capped: [],
      source: "defaults",
    };
  }
  // Lower is always allowed; higher keeps the operator's value, and the answer says so.
  const capped: CappedLimit[] = [];
  const limit = (key: keyof RunLimits): number => {
    const field = LIMIT_FIELDS[key];
    const asked = file.limits?.[field];
    const most = defaults.limits[key];
    if (asked === undefined) return most;
    if (asked > most) capped.push({ field: `limits.${field}`, asked, used: most });
    return Math.min(asked, most);
  };
  return {
    config: {
      model: file.model,
      temperature: file.temperature,
      tools: file.tools ?? defaults.tools,
      instructions: file.instructions?.trim() || undefined,
      include: file.paths?.include,
      exclude: file.paths?.exclude ?? [],
      limits: {
        toolRounds: limit("toolRounds"),
        files: limit("files"),
        readBytes: limit("readBytes"),
        contextTokens: limit("contextTokens"),
        runTokens: limit("runTokens"),
        requestsPerUser: limit("requestsPerUser"),
      },
      triggers: {
        users: file.triggers?.users ?? [],
        teams: file.triggers?.teams ?? [],
        bots: file.triggers?.bots ?? [],
      },
    },
    problems: [],
    capped,
    source: "file",
  };
}

/** The note shown in the answer when the file asked for more than the operator allows. */
export function cappedNotice(capped: readonly CappedLimit[]): string | undefined {
  if (capped.length === 0) return undefined;
  const fmt = (n: number): string => n.toLocaleString("en-US");
  const lines = capped.map((c) => `- \`${c.field}\`: ${fmt(c.asked)} asked, ${fmt(c.used)} used`);
  return [`⚙️ \`${REPO_CONFIG_PATH}\` asks for more than this devbuddy installation allows, so its maximum was used:`, ...lines].join("\n");
}

/** The notice shown in the answer when the file could not be read or parsed: fail closed, and say so. */
export function unreadableNotice(reason: string): string {
  return `⚙️ \`${REPO_CONFIG_PATH}\` could not be read (${reason.replaceAll("`", "'")}), so devbuddy read no files of the repository for this answer: the paths it excludes are unknown.`;
}

/** The notice shown in the answer when the file was invalid: every problem, with its field. */
export function configNotice(problems: readonly ConfigProblem[], keptPaths = false): string | undefined {
  if (problems.length === 0) return undefined;
  const lines = problems.slice(0, 10).map((p) => `- ${p.field ? `\`${p.field}\`: ` : ""}${p.problem}`);
  if (problems.length > 10) lines.push(`- … and ${problems.length - 10} more`);
  const heading = keptPaths
    ? `⚙️ \`${REPO_CONFIG_PATH}\` is invalid, so this answer used the default settings (its \`paths\` still applied: they only narrow what is read):`
    : `⚙️ \`${REPO_CONFIG_PATH}\` is invalid, so this answer used the default settings:`;
  return [heading, ...lines].join("\n");
}
