import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A fixture repository under `test/fixtures/<name>` as a files record: every file
 * (dotfiles and traps included), keyed by its POSIX path relative to the fixture's root,
 * ready for `FakeGitHub.seedRepoFiles` or `MemoryGitHub.seedFiles`.
 */
export function loadFixtureRepo(name = "agent-repo"): Record<string, Buffer> {
  const root = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const files: Record<string, Buffer> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const absolute = join(entry.parentPath, entry.name);
    files[relative(root, absolute).split(sep).join("/")] = readFileSync(absolute);
  }
  return files;
}
