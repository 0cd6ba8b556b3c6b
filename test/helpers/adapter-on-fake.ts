import { ProbotOctokit } from "probot";
import { InstallationGitHub } from "../../src/github/github-adapter.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import { ManualClock } from "./manual-clock.js";
import { testScheduler } from "./memory-github.js";
import { recordingLogger } from "./recording-logger.js";

/** The production GitHub adapter on a real Probot Octokit pointed at the loopback fake, without retries or throttling. */
export function adapterOnFake(github: FakeGitHub, log = recordingLogger()): InstallationGitHub {
  const octokit = new ProbotOctokit({
    auth: { token: "ghs_test" },
    baseUrl: github.apiBase,
    retry: { enabled: false },
    throttle: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  return new InstallationGitHub(octokit, testScheduler(new ManualClock(), log));
}
