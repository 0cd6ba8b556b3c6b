import type { RepoView } from "../../src/planning/repo-view.js";
import { loadFixtureRepo } from "./fixture-repo.js";

export const FIXTURE_SHA = "f1e2d3c4b5a6978877665544332211ffeeddccbb";

/**
 * A `RepoView` held in memory: `files` are read and loaded; `skipped` paths exist in the
 * tree but are not readable, for the reason given. For planner tests that do not need
 * GitHub at all.
 */
export function memoryRepoView(
  files: Readonly<Record<string, string>>,
  skipped: Readonly<Record<string, string>> = {},
  sha = FIXTURE_SHA,
): RepoView & { reads: string[] } {
  const loaded = new Map(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  const counts = new Map<string, number>();
  for (const reason of Object.values(skipped)) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const reads: string[] = [];
  return {
    repo: { owner: "acme", repo: "tinyagent" },
    sha,
    defaultBranch: "main",
    htmlUrl: "https://github.com/acme/tinyagent",
    allPaths: new Set([...loaded.keys(), ...Object.keys(skipped)]),
    eligible: [...loaded].map(([path, text]) => ({ path, size: Buffer.byteLength(text) })),
    loaded,
    skipped: counts,
    treeTruncated: false,
    pinned: new Map(),
    reads,
    skipReason: (path) => skipped[path] ?? (loaded.has(path) ? undefined : "missing"),
    read: async (path) => {
      reads.push(path);
      return loaded.get(path);
    },
  };
}

/** The agent fixture's readable source files, with its traps listed as skipped, as devbuddy's filter decides. */
export function fixtureRepoView(): RepoView & { reads: string[] } {
  const all = loadFixtureRepo();
  const skipped: Record<string, string> = {
    "vendor/shim/client.py": "vendored",
    "dist/bundle.min.js": "generated",
    "docs/api/index.html": "generated",
    "debug.log": "ignored",
    "assets/logo.png": "binary",
  };
  const files: Record<string, string> = {};
  for (const [path, content] of Object.entries(all)) if (!(path in skipped)) files[path] = content.toString("utf8");
  return memoryRepoView(files, skipped);
}
