import { describe, expect, it } from "vitest";
import { cappedNotice, configNotice, resolveRepoConfig, type RepoConfigDefaults } from "../../src/config/repo-config.js";

const DEFAULTS: RepoConfigDefaults = {
  tools: true,
  limits: { toolRounds: 8, files: 30, readBytes: 120_000, contextTokens: 64_000, runTokens: 500_000, requestsPerUser: 30 },
  allowedModels: [],
};

describe("resolveRepoConfig", () => {
  it("uses the defaults, without problems, when the repository has no config file", () => {
    const loaded = resolveRepoConfig(null, DEFAULTS);
    expect(loaded.problems).toEqual([]);
    expect(loaded.source).toBe("defaults");
    expect(loaded.config.limits).toEqual(DEFAULTS.limits);
    expect(loaded.config.tools).toBe(true);
    expect(loaded.config.triggers).toEqual({ users: [], teams: [], bots: [] });
  });

  it("applies every field of a valid file", () => {
    const loaded = resolveRepoConfig(
      {
        model: "gpt-4.1",
        temperature: 0.1,
        tools: false,
        instructions: "  Prefer small steps.  ",
        paths: { include: ["src/**"], exclude: ["src/generated/**"] },
        limits: { tool_rounds: 3, files: 10, read_bytes: 50_000, context_tokens: 32_000 },
        triggers: { users: ["octocat"], teams: ["acme/maintainers"], bots: ["renovate[bot]"] },
      },
      DEFAULTS,
    );
    expect(loaded.problems).toEqual([]);
    expect(loaded.source).toBe("file");
    expect(loaded.config).toEqual({
      model: "gpt-4.1",
      temperature: 0.1,
      tools: false,
      instructions: "Prefer small steps.",
      include: ["src/**"],
      exclude: ["src/generated/**"],
      limits: { toolRounds: 3, files: 10, readBytes: 50_000, contextTokens: 32_000, runTokens: 500_000, requestsPerUser: 30 },
      triggers: { users: ["octocat"], teams: ["acme/maintainers"], bots: ["renovate[bot]"] },
    });
    expect(loaded.capped).toEqual([]);
  });

  it("lets a repository lower every limit, including tokens per answer and requests per person", () => {
    const loaded = resolveRepoConfig({ limits: { tool_rounds: 0, run_tokens: 50_000, requests_per_user_hour: 5 } }, DEFAULTS);
    expect(loaded.config.limits).toEqual({ toolRounds: 0, files: 30, readBytes: 120_000, contextTokens: 64_000, runTokens: 50_000, requestsPerUser: 5 });
    expect(loaded.capped).toEqual([]);
  });

  it("never lets a repository raise a limit past the operator's: the operator's value is used, and the answer says so", () => {
    const loaded = resolveRepoConfig({ limits: { tool_rounds: 15, files: 10, run_tokens: 2_000_000, requests_per_user_hour: 1_000 } }, DEFAULTS);
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.limits).toEqual({ toolRounds: 8, files: 10, readBytes: 120_000, contextTokens: 64_000, runTokens: 500_000, requestsPerUser: 30 });
    expect(loaded.capped).toEqual([
      { field: "limits.tool_rounds", asked: 15, used: 8 },
      { field: "limits.run_tokens", asked: 2_000_000, used: 500_000 },
      { field: "limits.requests_per_user_hour", asked: 1_000, used: 30 },
    ]);
    expect(cappedNotice(loaded.capped)).toBe(
      [
        "⚙️ `.github/devbuddy.yml` asks for more than this devbuddy installation allows, so its maximum was used:",
        "- `limits.tool_rounds`: 15 asked, 8 used",
        "- `limits.run_tokens`: 2,000,000 asked, 500,000 used",
        "- `limits.requests_per_user_hour`: 1,000 asked, 30 used",
      ].join("\n"),
    );
    expect(cappedNotice([])).toBeUndefined();
  });

  it("fills the fields a partial file leaves out from the defaults", () => {
    const loaded = resolveRepoConfig({ limits: { files: 5 } }, DEFAULTS);
    expect(loaded.config.limits).toEqual({ ...DEFAULTS.limits, files: 5 });
    expect(loaded.config.tools).toBe(true);
  });

  it("reports each invalid field exactly, with what it found, and falls back to the defaults for the whole file but its paths", () => {
    const loaded = resolveRepoConfig(
      { temperature: "hot", limits: { tool_rounds: -1 }, triggers: { teams: ["maintainers"] }, paths: { exclude: ["secrets/**"] } },
      DEFAULTS,
    );
    expect(loaded.source).toBe("defaults");
    expect(loaded.config).toEqual({ ...resolveRepoConfig(null, DEFAULTS).config, exclude: ["secrets/**"] });
    expect(loaded.keptPaths).toBe(true);
    const fields = loaded.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(["temperature", "limits.tool_rounds", "triggers.teams.0"]));
    const rounds = loaded.problems.find((p) => p.field === "limits.tool_rounds");
    expect(rounds?.problem).toContain("found -1");
    const team = loaded.problems.find((p) => p.field === "triggers.teams.0");
    expect(team?.problem).toContain("org/team-slug");
    expect(team?.problem).toContain('found "maintainers"');
  });

  it("applies no paths from an invalid file whose paths are invalid too", () => {
    const loaded = resolveRepoConfig({ temperature: "hot", paths: { exclude: "secrets/**" } }, DEFAULTS);
    expect(loaded.config.exclude).toEqual([]);
    expect(loaded.keptPaths).toBeUndefined();
  });

  it("names unknown settings (a typo is a problem, not silently ignored)", () => {
    const loaded = resolveRepoConfig({ temprature: 0.3 }, DEFAULTS);
    expect(loaded.problems).toEqual([{ field: "", problem: "unknown setting `temprature`" }]);
  });

  it("reports a file that is not a mapping", () => {
    const loaded = resolveRepoConfig("just text", DEFAULTS);
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]?.problem).toContain('found "just text"');
  });

  // Issue 9, defect 7: this used to fall back to the defaults, which read every file.
  it("fails closed on a YAML error from context.config: unreadable, with its first line, and no tools", () => {
    const loaded = resolveRepoConfig(undefined, DEFAULTS, new Error("bad indentation of a mapping entry (3:5)\n\n 1 | x\n"));
    expect(loaded.unreadable).toBe("bad indentation of a mapping entry (3:5)");
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.tools).toBe(false);
    expect(loaded.source).toBe("defaults");
  });

  it("refuses a model the installation does not offer", () => {
    const loaded = resolveRepoConfig({ model: "o3-pro" }, { ...DEFAULTS, allowedModels: ["gpt-4.1-mini", "gpt-4.1"] });
    expect(loaded.source).toBe("defaults");
    expect(loaded.config.model).toBeUndefined();
    expect(loaded.problems[0]).toEqual({
      field: "model",
      problem: "`o3-pro` is not offered by this devbuddy installation (choose one of `gpt-4.1-mini`, `gpt-4.1`)",
    });
  });
});

describe("configNotice", () => {
  it("lists every problem under one heading that says the defaults were used", () => {
    const notice = configNotice([
      { field: "limits.tool_rounds", problem: "Too big: expected number to be <=20 (found 50)" },
      { field: "", problem: "unknown setting `x`" },
    ]);
    expect(notice).toBe(
      [
        "⚙️ `.github/devbuddy.yml` is invalid, so this answer used the default settings:",
        "- `limits.tool_rounds`: Too big: expected number to be <=20 (found 50)",
        "- unknown setting `x`",
      ].join("\n"),
    );
    expect(configNotice([])).toBeUndefined();
    expect(configNotice([{ field: "", problem: "x" }], true)).toContain("(its `paths` still applied: they only narrow what is read)");
  });
});
