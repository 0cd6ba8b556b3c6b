import { describe, expect, it } from "vitest";
import { appLogin, sameBot, sameLogin } from "../../src/github/logins.js";

describe("logins", () => {
  it("compares logins as GitHub does, ignoring case", () => {
    expect(sameLogin("Octocat", "octocat")).toBe(true);
    expect(sameLogin("devbuddy[bot]", "DevBuddy[BOT]")).toBe(true);
    expect(sameLogin("octocat", "octocat2")).toBe(false);
    expect(sameLogin("devbuddy", "devbuddy[bot]")).toBe(false);
  });

  it("names an App's bot account after its slug", () => {
    expect(appLogin("devbuddy")).toBe("devbuddy[bot]");
    expect(sameLogin(appLogin("DevBuddy"), "devbuddy[bot]")).toBe(true);
  });

  it("matches a bot written with or without its [bot] suffix, and nothing else", () => {
    expect(sameBot("renovate", "renovate[bot]")).toBe(true);
    expect(sameBot("Renovate[Bot]", "renovate")).toBe(true);
    expect(sameBot("renovate[bot]", "renovate[bot]")).toBe(true);
    expect(sameBot("renovate", "renovate-helper[bot]")).toBe(false);
    expect(sameBot("renovate[bot]x", "renovate")).toBe(false);
  });
});
