import { resolveRepoConfig, type LoadedRepoConfig, type RepoConfig, type RepoConfigDefaults } from "../config/repo-config.js";
import type { RepoPermission } from "../github/access.js";
import type { InstallationReads } from "../github/installation.js";
import type { RepoRef } from "../github/refs.js";
import { sameBot, sameLogin } from "../github/logins.js";
import type { Logger } from "../util/logger.js";

/**
 * Who may spend the App's budget, for an answer and for stopping one alike: people who
 * could push the change themselves (write, maintain, admin), plus the users and teams the
 * repository's config names. Bots only when the config names them: two bots mentioning
 * each other must not loop.
 */

export type Authorization = "allowed" | "denied" | "ignored";

export interface Requester {
  readonly repo: RepoRef;
  readonly sender: string;
  /** "Bot" for GitHub Apps and other bot accounts. */
  readonly senderType?: string;
}

const WRITERS: ReadonlySet<RepoPermission> = new Set(["admin", "maintain", "write"]);

function mayTrigger(permission: RepoPermission): boolean {
  return WRITERS.has(permission);
}

export async function authorize(api: Pick<InstallationReads, "permission" | "teamMember">, who: Requester, config: RepoConfig, log: Logger): Promise<Authorization> {
  if (who.senderType === "Bot") {
    // GitHub Apps comment as `<slug>[bot]`; a config may name them either way.
    const allowed = config.triggers.bots.some((bot) => sameBot(bot, who.sender));
    log.info({ sender: who.sender, allowed }, "mention by a bot");
    return allowed ? "allowed" : "ignored";
  }
  if (config.triggers.users.some((user) => sameLogin(user, who.sender))) return "allowed";
  const permission = await api.permission(who.repo, who.sender);
  if (mayTrigger(permission)) return "allowed";
  for (const team of config.triggers.teams) {
    const [org, slug] = team.split("/") as [string, string];
    try {
      if (await api.teamMember(org, slug, who.sender)) return "allowed";
    } catch (error) {
      // Without the "members: read" permission GitHub answers 403; the team cannot grant access then.
      log.warn({ err: error, team }, "could not check team membership");
    }
  }
  log.info({ sender: who.sender, permission }, "mention by a user without write access ignored");
  return "denied";
}

/** `.github/devbuddy.yml` through `load` (`readConfigFile`), validated; problems are logged. */
export async function loadRepoConfig(load: () => Promise<unknown>, defaults: RepoConfigDefaults, log: Logger): Promise<LoadedRepoConfig> {
  let raw: unknown = null;
  let error: unknown;
  try {
    raw = await load();
  } catch (caught) {
    error = caught;
    log.warn({ err: caught }, "could not read the repository's devbuddy config");
  }
  const loaded = resolveRepoConfig(raw, defaults, error);
  if (loaded.unreadable !== undefined) log.warn({ reason: loaded.unreadable }, "repository config unreadable; answering without the repository");
  if (loaded.problems.length > 0) log.warn({ problems: loaded.problems }, "invalid repository config; using defaults");
  return loaded;
}
