import { z } from "zod";
import { LIMIT_CEILINGS, type RunLimits } from "./repo-config.js";

/**
 * devbuddy's settings, from environment variables (Probot reads its own: APP_ID,
 * PRIVATE_KEY, WEBHOOK_SECRET, GHE_HOST, …). Validated once at start-up; a bad value stops
 * the App with a message naming the variable.
 *
 * GitHub's numbers behind the write-budget defaults
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits):
 * at most 80 content-generating requests a minute and 500 an hour, one second apart. The
 * defaults keep a quarter of that as headroom for other writers (web UI actions count too).
 */

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const envSchema = z.object({
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText.pipe(z.url({ error: "must be a URL such as http://localhost:11434/v1" }).optional()),
  OPENAI_MODEL: optionalText.transform((v) => v ?? "gpt-4.1-mini"),
  DEVBUDDY_EDIT_INTERVAL_MS: int(1000, 600_000, 2000),
  DEVBUDDY_WRITES_PER_MINUTE: int(1, 80, 60),
  DEVBUDDY_WRITES_PER_HOUR: int(1, 500, 420),
  DEVBUDDY_WRITE_SPACING_MS: int(1000, 60_000, 1000),
  DEVBUDDY_FIRST_TOKEN_TIMEOUT_MS: int(1000, 3_600_000, 60_000),
  DEVBUDDY_IDLE_TIMEOUT_MS: int(1000, 3_600_000, 30_000),
  DEVBUDDY_TOTAL_TIMEOUT_MS: int(1000, 86_400_000, 600_000),
  DEVBUDDY_MODEL_RETRIES: int(0, 10, 2),
  DEVBUDDY_SHUTDOWN_GRACE_MS: int(0, 600_000, 10_000),
  DEVBUDDY_SHUTDOWN_FLUSH_MS: int(0, 600_000, 15_000),
  DEVBUDDY_MAX_THREAD_COMMENTS: int(1, 10_000, 500),
  DEVBUDDY_REQUESTS_PER_USER_HOUR: int(1, 10_000, 30),
  DEVBUDDY_RUN_TOKENS: int(10_000, 100_000_000, 500_000),
  DEVBUDDY_CONCURRENT_RUNS: int(1, 1_000, 4),
  DEVBUDDY_CONCURRENT_RUNS_TOTAL: int(1, 10_000, 16),
  DEVBUDDY_STRANGER_REACTIONS_PER_HOUR: int(0, 500, 10),
  DEVBUDDY_MODEL_TOOLS: z
    .enum(["true", "false"], { error: "must be true or false" })
    .default("true")
    .transform((v) => v === "true"),
  DEVBUDDY_ALLOWED_MODELS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((m) => m.trim()).filter((m) => m.length > 0)),
  DEVBUDDY_TOOL_ROUNDS: int(0, LIMIT_CEILINGS.toolRounds, 8),
  DEVBUDDY_TOOL_FILES: int(1, LIMIT_CEILINGS.files, 30),
  DEVBUDDY_TOOL_READ_BYTES: int(1_000, LIMIT_CEILINGS.readBytes, 120_000),
  DEVBUDDY_CONTEXT_TOKENS: int(4_000, LIMIT_CEILINGS.contextTokens, 64_000),
  DEVBUDDY_REPO_MAX_FILE_BYTES: int(1_000, 10_000_000, 512_000),
  DEVBUDDY_REPO_MAX_BYTES: int(100_000, 1_000_000_000, 30_000_000),
  DEVBUDDY_REPO_MAX_FILES: int(1, 100_000, 5_000),
  DEVBUDDY_REPO_CACHE_BYTES: int(0, 4_000_000_000, 200_000_000),
  DEVBUDDY_STATE_PATH: optionalText.transform((v) => v ?? ".devbuddy/state.sqlite"),
  // Hosts images in answers may load from, besides the GitHub host (src/comments/defuse-images.ts).
  DEVBUDDY_IMAGE_HOSTS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h.length > 0))
    .pipe(z.array(z.string().regex(/^(?:\*\.)?[a-z0-9.-]+$/, { error: "must be host names such as img.example.com or *.example.com, comma-separated" }))),
  /** Probot's GitHub Enterprise Server host; absent for github.com. */
  GHE_HOST: optionalText,
  DEVBUDDY_TIME_SCALE: z.coerce.number().positive().max(1).default(1),
  NODE_ENV: z.string().optional(),
});

export interface Settings {
  readonly openai: { readonly apiKey: string | undefined; readonly baseURL: string | undefined; readonly model: string };
  /** 1 in production. Tests shrink every duration by this factor, like plugin-throttling's retryAfterBaseValue. */
  readonly timeScale: number;
  readonly budget: {
    readonly perMinute: number;
    readonly perHour: number;
    readonly spacingMs: number;
    readonly progressShare: number;
    readonly minuteMs: number;
    readonly hourMs: number;
  };
  readonly editIntervalMs: number;
  /** One second of GitHub's `retry-after`, in clock milliseconds. */
  readonly retryAfterBaseMs: number;
  readonly secondaryPauseMs: number;
  readonly maxPauseMs: number;
  readonly model: {
    readonly firstTokenMs: number;
    readonly idleMs: number;
    readonly totalMs: number;
    readonly retries: number;
    readonly retryBaseMs: number;
  };
  readonly finalWrite: { readonly attempts: number; readonly backoffMs: number };
  readonly shutdown: { readonly graceMs: number; readonly flushMs: number };
  readonly maxThreadComments: number;
  /** Where images in answers may come from: the GitHub host, and these. */
  readonly images: { readonly githubHost: string; readonly allowedHosts: readonly string[] };
  /** Requests (answers and stops) one person may make of one installation in any hour. */
  readonly requests: { readonly perUser: number; readonly windowMs: number };
  /** Answers one installation may have running at once; more wait their turn. */
  readonly concurrentRuns: number;
  /** Answers the whole process may have running at once, over all installations; more wait their turn, shown as queued. */
  readonly concurrentRunsTotal: number;
  /** 😕 to people who may not ask: one per person and installation per `perPersonMs`, at most `perInstallation` per `windowMs`. */
  readonly strangerReactions: { readonly perPersonMs: number; readonly perInstallation: number; readonly windowMs: number };
  /** The run journal's SQLite file (relative to the working directory), or ":memory:" to keep nothing across restarts. */
  readonly statePath: string;
  readonly planner: {
    /** Whether the model supports function calling (a repository's config may say otherwise). */
    readonly tools: boolean;
    /** Each answer's limits; a repository's config may lower them, not raise them. */
    readonly limits: RunLimits;
    /** Models a repository's config may choose; empty = any. */
    readonly allowedModels: readonly string[];
  };
  readonly repository: {
    readonly maxFileBytes: number;
    /** Text held for one repository at one commit. */
    readonly maxTotalBytes: number;
    readonly maxFiles: number;
    /** The archive download is abandoned beyond this; files are then fetched one by one. */
    readonly maxDownloadBytes: number;
    readonly maxBlobFetches: number;
    /**
     * Memory, in bytes, that loaded repositories and their symbol indexes may hold over the
     * whole process (measured, not estimated); beyond it the least recently used one no run
     * is reading is dropped.
     */
    readonly cacheBytes: number;
  };
}

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

export function loadSettings(env: Record<string, string | undefined>): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new SettingsError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  // Scaled time exists for the test suite only; production always runs at scale 1.
  const scale = e.NODE_ENV === "test" ? e.DEVBUDDY_TIME_SCALE : 1;
  const ms = (value: number): number => value * scale;
  return {
    openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL },
    timeScale: scale,
    budget: {
      perMinute: e.DEVBUDDY_WRITES_PER_MINUTE,
      perHour: e.DEVBUDDY_WRITES_PER_HOUR,
      spacingMs: ms(e.DEVBUDDY_WRITE_SPACING_MS),
      progressShare: 0.75,
      minuteMs: ms(60_000),
      hourMs: ms(3_600_000),
    },
    editIntervalMs: ms(e.DEVBUDDY_EDIT_INTERVAL_MS),
    retryAfterBaseMs: ms(1000),
    secondaryPauseMs: ms(60_000),
    maxPauseMs: ms(15 * 60_000),
    model: {
      firstTokenMs: ms(e.DEVBUDDY_FIRST_TOKEN_TIMEOUT_MS),
      idleMs: ms(e.DEVBUDDY_IDLE_TIMEOUT_MS),
      totalMs: ms(e.DEVBUDDY_TOTAL_TIMEOUT_MS),
      retries: e.DEVBUDDY_MODEL_RETRIES,
      retryBaseMs: ms(1000),
    },
    finalWrite: { attempts: 5, backoffMs: ms(1000) },
    shutdown: { graceMs: ms(e.DEVBUDDY_SHUTDOWN_GRACE_MS), flushMs: ms(e.DEVBUDDY_SHUTDOWN_FLUSH_MS) },
    maxThreadComments: e.DEVBUDDY_MAX_THREAD_COMMENTS,
    images: { githubHost: (e.GHE_HOST ?? "github.com").replace(/^https?:\/\//, "").replace(/\/.*$/, ""), allowedHosts: e.DEVBUDDY_IMAGE_HOSTS },
    requests: { perUser: e.DEVBUDDY_REQUESTS_PER_USER_HOUR, windowMs: ms(3_600_000) },
    concurrentRuns: e.DEVBUDDY_CONCURRENT_RUNS,
    concurrentRunsTotal: e.DEVBUDDY_CONCURRENT_RUNS_TOTAL,
    strangerReactions: { perPersonMs: ms(600_000), perInstallation: e.DEVBUDDY_STRANGER_REACTIONS_PER_HOUR, windowMs: ms(3_600_000) },
    statePath: e.DEVBUDDY_STATE_PATH,
    planner: {
      tools: e.DEVBUDDY_MODEL_TOOLS,
      limits: {
        toolRounds: e.DEVBUDDY_TOOL_ROUNDS,
        files: e.DEVBUDDY_TOOL_FILES,
        readBytes: e.DEVBUDDY_TOOL_READ_BYTES,
        contextTokens: e.DEVBUDDY_CONTEXT_TOKENS,
        runTokens: e.DEVBUDDY_RUN_TOKENS,
        requestsPerUser: e.DEVBUDDY_REQUESTS_PER_USER_HOUR,
      },
      allowedModels: e.DEVBUDDY_ALLOWED_MODELS,
    },
    repository: {
      maxFileBytes: e.DEVBUDDY_REPO_MAX_FILE_BYTES,
      maxTotalBytes: e.DEVBUDDY_REPO_MAX_BYTES,
      maxFiles: e.DEVBUDDY_REPO_MAX_FILES,
      maxDownloadBytes: Math.max(e.DEVBUDDY_REPO_MAX_BYTES * 4, 50_000_000),
      maxBlobFetches: 300,
      cacheBytes: e.DEVBUDDY_REPO_CACHE_BYTES,
    },
  };
}
