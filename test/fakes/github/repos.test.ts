/** Repositories, permissions on them, and team memberships. */
import { describe, expect, it } from "vitest";
import type { RepoPermission } from "../fake-github.js";
import { api, gh, withFakeGitHub } from "./harness.js";

withFakeGitHub();

describe("fake GitHub: repositories", () => {
  it("answers GET /repos/{owner}/{repo} with the full repository: the payload's repository plus its watcher and network counts", async () => {
    const seeded = gh.seedRepo({ owner: "acme", repo: "widgets" });
    const res = await api("/repos/acme/widgets");
    expect(res.status).toBe(200);
    // https://docs.github.com/rest/repos/repos#get-a-repository (schema "full-repository")
    expect(res.json).toEqual({ ...seeded, subscribers_count: 0, network_count: 0 });
  });
});

describe("fake GitHub: permissions", () => {
  const cases: Array<[RepoPermission, string, string]> = [
    ["admin", "admin", "admin"],
    ["maintain", "write", "maintain"],
    ["write", "write", "write"],
    ["triage", "read", "triage"],
    ["read", "read", "read"],
    ["none", "none", "none"],
  ];

  it.each(cases)("maps %s to permission %s / role_name %s", async (level, permission, roleName) => {
    gh.seedRepo({ owner: "acme", repo: "widgets" });
    gh.setPermission("acme", "widgets", "carol", level);
    const res = await api("/repos/acme/widgets/collaborators/carol/permission");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ permission, role_name: roleName, user: { login: "carol", type: "User" } });
  });

  it("defaults unknown users to read, the owner to admin, and 404s for unknown repositories", async () => {
    gh.seedRepo({ owner: "acme", repo: "widgets" });
    expect((await api("/repos/acme/widgets/collaborators/stranger/permission")).json).toMatchObject({ permission: "read", role_name: "read" });
    expect((await api("/repos/acme/widgets/collaborators/acme/permission")).json).toMatchObject({ permission: "admin" });
    expect((await api("/repos/acme/nope/collaborators/stranger/permission")).status).toBe(404);
  });
});

describe("fake GitHub: team memberships", () => {
  it("answers team memberships: active, pending, and 404 for non-members and unknown teams", async () => {
    gh.setTeamMember("acme", "core", "alice");
    gh.setTeamMember("acme", "core", "bob", { state: "pending", role: "maintainer" });
    gh.setTeamMember("acme", "core", "carol");
    gh.setTeamMember("acme", "core", "carol", null);
    expect((await api("/orgs/acme/teams/core/memberships/Alice")).json).toMatchObject({ state: "active", role: "member" });
    expect((await api("/orgs/acme/teams/core/memberships/bob")).json).toMatchObject({ state: "pending", role: "maintainer" });
    expect((await api("/orgs/acme/teams/core/memberships/carol")).status).toBe(404);
    expect((await api("/orgs/acme/teams/nope/memberships/alice")).status).toBe(404);
  });
});
