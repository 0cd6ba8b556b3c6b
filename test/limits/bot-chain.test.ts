import { describe, expect, it } from "vitest";
import { renderComment } from "../../src/comments/comment-format.js";
import { answersSinceLastPerson } from "../../src/limits/bot-chain.js";

const BOT = "devbuddy[bot]";
const answer = (run: string, part = 1) => ({
  author: BOT,
  authorType: "Bot",
  body: renderComment({ text: "plan", meta: { v: 1, run, part, state: "done" } }),
});
const other = { author: "helper[bot]", authorType: "Bot", body: "@devbuddy again" };
const person = { author: "maint", authorType: "User", body: "thanks" };

describe("answersSinceLastPerson", () => {
  it("counts devbuddy's answers since a person last wrote, other bots' comments in between", () => {
    expect(answersSinceLastPerson([], BOT)).toBe(0);
    expect(answersSinceLastPerson([person, other], BOT)).toBe(0);
    expect(answersSinceLastPerson([person, other, answer("a"), other, answer("b"), other], BOT)).toBe(2);
    // A thread where no person ever commented counts from its start.
    expect(answersSinceLastPerson([other, answer("a"), other, answer("b"), other, answer("c"), other], BOT)).toBe(3);
  });

  it("a person's comment ends the chain", () => {
    expect(answersSinceLastPerson([other, answer("a"), other, answer("b"), person, other], BOT)).toBe(0);
  });

  it("counts a long answer's parts once, and the login without regard to case", () => {
    expect(answersSinceLastPerson([person, other, answer("a", 1), answer("a", 2), other], BOT)).toBe(1);
    expect(answersSinceLastPerson([person, { ...answer("a"), author: "DevBuddy[bot]" }], BOT)).toBe(1);
  });
});
