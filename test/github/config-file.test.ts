import { Context } from "probot";
import { describe, expect, it } from "vitest";
import { REPO_CONFIG_PATH } from "../../src/config/repo-config.js";
import { readConfigFile } from "../../src/github/config-file.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import { freshFakeEachTest, octokitOnFake } from "../helpers/adapter-on-fake.js";

/**
 * `.github/devbuddy.yml` read as Probot's `context.config` reads an App's config, against
 * the loopback GitHub with a real Probot Octokit: the fallback to the owner's `.github`
 * repository, `_extends`, and errors thrown for the caller to fail closed on. Each result
 * is also compared with what `context.config` itself returns for the same files.
 */

const REPO = { owner: "acme", repo: "widgets" } as const;

let gh: FakeGitHub;
freshFakeEachTest((github) => (gh = github));

const read = () => readConfigFile(octokitOnFake(gh), REPO, REPO_CONFIG_PATH);

/** What Probot's own `context.config("devbuddy.yml")` returns for the repository. */
async function probotReads(): Promise<unknown> {
  const payload = { repository: { owner: { login: REPO.owner }, name: REPO.repo }, installation: { id: 1 } };
  const context = new Context({ id: "d-1", name: "issue_comment", payload } as never, octokitOnFake(gh), {} as never);
  return context.config("devbuddy.yml");
}

const configPaths = () => gh.requests.map((r) => [r.path, r.status]);

describe("readConfigFile", () => {
  it("reads the repository's own file from its default branch", async () => {
    gh.seedRepoFiles("acme", "widgets", { ".github/devbuddy.yml": "model: gpt-x\npaths:\n  exclude: [secret/**]\n" }, { defaultBranch: "trunk" });
    expect(await read()).toEqual({ model: "gpt-x", paths: { exclude: ["secret/**"] } });
    expect(configPaths()).toEqual([["/repos/acme/widgets/contents/.github%2Fdevbuddy.yml", 200]]);
    expect(gh.requests[0]?.query).toEqual({});
    expect(await probotReads()).toEqual(await read());
  });

  it("falls back to the owner's .github repository, and answers null when neither has the file", async () => {
    gh.seedRepoFiles("acme", "widgets", { "README.md": "x" });
    expect(await read()).toBeNull();
    expect(configPaths()).toEqual([
      ["/repos/acme/widgets/contents/.github%2Fdevbuddy.yml", 404],
      ["/repos/acme/.github/contents/.github%2Fdevbuddy.yml", 404],
    ]);
    expect(await probotReads()).toBeNull();
    gh.seedRepoFiles("acme", ".github", { ".github/devbuddy.yml": "model: org-wide\n" });
    expect(await read()).toEqual({ model: "org-wide" });
    expect(await probotReads()).toEqual({ model: "org-wide" });
  });

  it("an empty file is a file: no settings, not the owner's", async () => {
    gh.seedRepoFiles("acme", "widgets", { ".github/devbuddy.yml": "" });
    gh.seedRepoFiles("acme", ".github", { ".github/devbuddy.yml": "model: org-wide\n" });
    expect(await read()).toEqual({});
    expect(await probotReads()).toEqual({});
  });

  it("follows _extends and merges as Probot does: lists joined, mappings merged, the rest replaced", async () => {
    gh.seedRepoFiles("acme", "widgets", {
      ".github/devbuddy.yml": "_extends: shared\nmodel: repo-model\npaths:\n  exclude: [fixtures/**]\nlimits:\n  files: 10\n",
    });
    gh.seedRepoFiles("acme", "shared", {
      ".github/devbuddy.yml": "_extends: other/base:.github/base.yml\nmodel: shared-model\npaths:\n  exclude: [secret/**]\n  include: [src/**]\nlimits:\n  tool_rounds: 3\n",
    });
    gh.seedRepoFiles("other", "base", { ".github/base.yml": "temperature: 0.2\npaths:\n  exclude: [vendor/**]\nlimits: 7\n" });
    const expected = {
      temperature: 0.2,
      paths: { exclude: ["vendor/**", "secret/**", "fixtures/**"], include: ["src/**"] },
      limits: { tool_rounds: 3, files: 10 },
      model: "repo-model",
    };
    const config = await read();
    expect(config).toEqual(expected);
    // Key order too: validation reports problems in the same order.
    expect(Object.keys(config as object)).toEqual(Object.keys(expected));
    expect(configPaths()).toEqual([
      ["/repos/acme/widgets/contents/.github%2Fdevbuddy.yml", 200],
      ["/repos/acme/shared/contents/.github%2Fdevbuddy.yml", 200],
      ["/repos/other/base/contents/.github%2Fbase.yml", 200],
    ]);
    const probot = await probotReads();
    expect(probot).toEqual(expected);
    expect(Object.keys(probot as object)).toEqual(Object.keys(expected));
  });

  it("throws what the read threw, for the caller to fail closed: invalid YAML, a 403, a 5xx", async () => {
    gh.seedRepoFiles("acme", "widgets", { ".github/devbuddy.yml": "limits: {tool_rounds: 3\n" });
    await expect(read()).rejects.toThrow(/invalid YAML/);
    for (const status of [403, 502]) {
      gh.failNext({ path: /\/contents\//, status, body: { message: "no" } });
      await expect(read()).rejects.toMatchObject({ status });
    }
  });
});
