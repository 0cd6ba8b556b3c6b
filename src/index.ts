import type { ApplicationFunction, Context, ProbotOctokit } from "probot";
import { Devbuddy, type MentionSources } from "./app.js";
import { REPO_CONFIG_PATH } from "./config/repo-config.js";
import { loadSettings, SettingsError, type Settings } from "./config/settings.js";
import { fetchAppSlug } from "./github/app-calls.js";
import { readConfigFile } from "./github/config-file.js";
import type { RepoRef } from "./github/refs.js";
import { toMentionEvent, type MentionContext } from "./handlers/mention-event.js";
import type { MentionEvent, RunJournal } from "./state/run-journal.js";
import { SqliteJournal } from "./state/sqlite-journal.js";
import { OpenAIModelClient, type ModelClient } from "./streaming/model-client.js";
import { systemClock, type Clock } from "./util/clock.js";
import type { Logger } from "./util/logger.js";
import { watchLoop } from "./util/loop-watch.js";

/**
 * The Probot app function: wires webhook events to devbuddy and nothing more. Also the
 * default export, so `probot run ./lib/index.js` works; `lib/main.js` adds graceful
 * shutdown on top.
 */

export interface DevbuddyAppOptions {
  readonly settings?: Settings;
  readonly clock?: Clock;
  readonly model?: ModelClient;
  /** Default: the SQLite file at DEVBUDDY_STATE_PATH. */
  readonly journal?: RunJournal;
  /** Receives the instance, e.g. to shut it down on SIGTERM. */
  readonly onReady?: (devbuddy: Devbuddy) => void;
  /** Warn when the event loop is held past the liveness bound (the production entry sets it). */
  readonly watchLoop?: boolean;
}

/** The liveness bound (README, "Security model"): no stretch of the event loop longer than this. */
export const LOOP_BOUND_MS = 50;
const LOOP_WINDOW_MS = 10_000;

export function devbuddyApp(options: DevbuddyAppOptions = {}): ApplicationFunction {
  return (app) => {
    const settings = options.settings ?? loadSettings(process.env);
    const clock = options.clock ?? systemClock;
    const log = app.log.child({ name: "devbuddy" });
    const apiKey = settings.openai.apiKey;
    if (!options.model && !apiKey) {
      throw new SettingsError(
        "OPENAI_API_KEY is not set. devbuddy needs a key for an OpenAI-compatible API (any value for servers that ignore it, such as Ollama).",
      );
    }
    const model =
      options.model ??
      new OpenAIModelClient({
        apiKey: apiKey as string,
        ...(settings.openai.baseURL ? { baseURL: settings.openai.baseURL } : {}),
        model: settings.openai.model,
        timeouts: settings.model,
        retries: settings.model.retries,
        retryBaseMs: settings.model.retryBaseMs,
        retryAfterBaseMs: settings.retryAfterBaseMs,
        clock,
        log: log.child({ name: "model" }),
      });

    // The App answers mentions of its own slug, learned from GitHub (GET /app) once.
    let slug: Promise<string> | undefined;
    const resolveSlug = (): Promise<string> => {
      slug ??= app
        .auth()
        .then(fetchAppSlug)
        .then((value) => {
          log.info({ slug: value }, `answering mentions of @${value}`);
          return value;
        })
        .catch((error: unknown) => {
          slug = undefined;
          throw error;
        });
      return slug;
    };
    resolveSlug().catch((error: unknown) => log.error({ err: error }, "could not learn the App's slug; will retry on the next event"));

    const journal = options.journal ?? openJournal(settings.statePath, clock, log);
    const appOctokit = () => app.auth() as Promise<ProbotOctokit>;
    const devbuddy = new Devbuddy({ settings, clock, log, model, slug: resolveSlug, journal, appOctokit });
    options.onReady?.(devbuddy);
    if (options.watchLoop) watchLoop({ log: log.child({ name: "loop" }), windowMs: LOOP_WINDOW_MS * settings.timeScale, boundMs: LOOP_BOUND_MS });

    // .github/devbuddy.yml from the default branch, following `_extends` and falling back
    // to the owner's .github repository, as every Probot app reads its config.
    const sourcesFor = (octokit: ProbotOctokit, repo: RepoRef): MentionSources => ({ loadConfig: () => readConfigFile(octokit, repo, REPO_CONFIG_PATH) });
    const onEvent = async (context: MentionContext): Promise<void> => {
      const event = toMentionEvent(context);
      if (event) await devbuddy.onMention(event, context.octokit, sourcesFor(context.octokit, event.repo));
    };

    // Runs an earlier process left unfinished (a crash, a kill) are closed or resumed, as
    // their installation, from what the journal kept of the event.
    const contextFor = async ({ event }: { event: MentionEvent }) => {
      const octokit = (await app.auth(event.installationId)) as ProbotOctokit;
      return { octokit, sources: sourcesFor(octokit, event.repo) };
    };
    void devbuddy.recover(contextFor);
    app.on("issue_comment.created", (context: Context<"issue_comment.created">) => onEvent(context));
    app.on("issues.opened", (context: Context<"issues.opened">) => onEvent(context));
  };
}

function openJournal(path: string, clock: Clock, log: Logger): RunJournal {
  try {
    return new SqliteJournal(path, { clock, log: log.child({ name: "journal" }) });
  } catch (error) {
    throw new SettingsError(`DEVBUDDY_STATE_PATH: cannot open the run journal at ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export default devbuddyApp();
