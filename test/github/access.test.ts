import { describe, expect, it } from "vitest";
import type { InstallationGitHub } from "../../src/github/installation.js";
import type { SlotRequest } from "../../src/scheduler/write-scheduler.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import { freshFakeEachTest } from "../helpers/adapter-on-fake.js";

/** Who someone is to a repository, against the loopback GitHub with a real Probot Octokit. */

let gh: FakeGitHub;
let api: InstallationGitHub<SlotRequest>;
freshFakeEachTest((github, adapter) => ([gh, api] = [github, adapter]));

describe("InstallationGitHub reads", () => {
  it("reports active team members only: pending invitations and 404s are not members", async () => {
    gh.setTeamMember("acme", "core", "alice");
    gh.setTeamMember("acme", "core", "bob", { state: "pending" });
    expect(await api.teamMember("acme", "core", "alice")).toBe(true);
    expect(await api.teamMember("acme", "core", "bob")).toBe(false);
    expect(await api.teamMember("acme", "core", "mallory")).toBe(false);
    expect(await api.teamMember("acme", "ghosts", "alice")).toBe(false);
    gh.failNext({ path: /memberships/, status: 500, body: { message: "boom" } });
    await expect(api.teamMember("acme", "core", "alice")).rejects.toMatchObject({ kind: "transient" });
  });
});
