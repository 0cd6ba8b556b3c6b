import { ProbotOctokit } from "probot";
import { afterEach, beforeEach } from "vitest";
import { InstallationGitHub } from "../../src/github/installation.js";
import type { SlotRequest } from "../../src/scheduler/write-scheduler.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { ManualClock } from "./manual-clock.js";
import { testScheduler } from "./memory-github.js";
import { recordingLogger } from "./recording-logger.js";

/** A real Probot Octokit pointed at the loopback fake, without retries or throttling. */
export function octokitOnFake(github: FakeGitHub, token = "ghs_test"): ProbotOctokit {
  return new ProbotOctokit({
    auth: { token },
    baseUrl: github.apiBase,
    retry: { enabled: false },
    throttle: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** The production GitHub adapter on a real Probot Octokit pointed at the loopback fake, without retries or throttling. */
export function adapterOnFake(github: FakeGitHub, log = recordingLogger()): InstallationGitHub<SlotRequest> {
  return new InstallationGitHub(octokitOnFake(github), testScheduler(new ManualClock(), log));
}

/** An Octokit authenticated as the App itself (a JWT-shaped token: the fake checks the shape, not the signature). */
export function appOctokitOnFake(github: FakeGitHub): ProbotOctokit {
  return octokitOnFake(github, "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl");
}

/**
 * Before each test of the file, a fresh loopback GitHub and the production adapter on it
 * (handed to `use`, for the file's own variables); the fake is closed after the test.
 */
export function freshFakeEachTest(use: (github: FakeGitHub, api: InstallationGitHub<SlotRequest>) => void): void {
  let github: FakeGitHub | undefined;
  beforeEach(async () => {
    github = await startFakeGitHub();
    use(github, adapterOnFake(github));
  });
  afterEach(async () => {
    await github?.close();
  });
}
