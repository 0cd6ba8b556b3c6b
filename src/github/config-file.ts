import type { ProbotOctokit } from "probot";
import type { RepoRef } from "./refs.js";

/**
 * An App's configuration file in a repository, read the way every Probot app reads it
 * (Probot's `context.config`), through the config plugin Probot's Octokit carries: from the
 * repository's default branch, else from the owner's `.github` repository, following
 * `_extends` to other repositories. https://github.com/probot/octokit-plugin-config
 */

type Configuration = Record<string, unknown>;

function isPlainObject(value: unknown): value is Configuration {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Two layers of YAML as Probot's `context.config` merges them (the deepmerge package's
 * defaults): lists are joined, mappings merged key by key, anything else replaced by the
 * later layer. So a repository extending its organisation's file adds to the org's
 * `paths.exclude` rather than dropping it.
 */
function merged(base: unknown, layer: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(layer)) return [...base, ...layer];
  if (!isPlainObject(base) || !isPlainObject(layer)) return layer;
  // Built with fromEntries: a key such as `__proto__` stays a plain key, which validation
  // then reports (deepmerge drops such keys silently).
  return Object.fromEntries([
    ...Object.entries(base).map(([key, value]) => [key, Object.hasOwn(layer, key) ? merged(value, layer[key]) : value]),
    ...Object.entries(layer).filter(([key]) => !Object.hasOwn(base, key)),
  ]);
}

/**
 * The file at `path` (such as `.github/devbuddy.yml`) with what it extends merged in, or
 * null when neither the repository nor the owner's `.github` repository has one. Throws
 * what the read threw, as `context.config` does (invalid YAML, a 403, a 5xx, an `_extends`
 * loop): the caller decides how to fail.
 */
export async function readConfigFile(octokit: ProbotOctokit, repo: RepoRef, path: string): Promise<unknown> {
  const { config, files } = await octokit.config.get({
    owner: repo.owner,
    repo: repo.repo,
    path,
    // The plugin hands the files' contents over base first, the repository's own last.
    defaults: (layers) => layers.reduce<Configuration>((all, layer) => merged(all, layer) as Configuration, {}),
  });
  return files.some((file) => file.config !== null) ? config : null;
}
