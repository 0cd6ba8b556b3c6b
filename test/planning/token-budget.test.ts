import { readFileSync } from "node:fs";
import { countTokens as exactCount } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { countTokens, countTokensPausing, fitConversation, messageTokens, truncateMiddle } from "../../src/planning/token-budget.js";
import { TimeSlice } from "../../src/util/time-slice.js";
import type { ChatMessage } from "../../src/streaming/stream-parts.js";
import { growthRatio, linearBound } from "../helpers/growth.js";
import { expectLoopFree } from "../helpers/loop-delay.js";

const words = (n: number, word = "token"): string => Array.from({ length: n }, (_, i) => `${word}${i % 10}`).join(" ");

describe("countTokens", () => {
  it("counts text that contains special-token markers as plain text instead of throwing", async () => {
    expect(countTokens("a <|endoftext|> b")).toBeGreaterThan(3);
    expect(countTokens("hello world")).toBe(2);
  });
});

describe("truncateMiddle", () => {
  it("keeps the start and the end, says how much is missing, and fits the target", async () => {
    const text = `START ${words(3000)} END`;
    const cut = await truncateMiddle(text, 500, "issue");
    expect(cut.startsWith("START ")).toBe(true);
    expect(cut.endsWith(" END")).toBe(true);
    expect(cut).toMatch(/\[… \d+ tokens of this issue left out to fit the context …\]/);
    expect(countTokens(cut)).toBeLessThanOrEqual(560);
  });

  it("returns short text unchanged", async () => {
    expect(await truncateMiddle("short", 100)).toBe("short");
  });
});

describe("fitConversation", () => {
  const system: ChatMessage = { role: "system", content: "SYSTEM" };
  const issue: ChatMessage = { role: "user", content: `Issue #1: title\nOpened by alice:\n\n${words(200)}` };
  const turn = (i: number, role: "user" | "assistant" = "user"): ChatMessage => ({
    role,
    content: role === "user" ? `Comment by bob:\n\nturn ${i} ${words(300)}` : `PLAN ${i} ${words(300)}`,
  });

  it("keeps everything, in order, when it fits", async () => {
    const turns = [issue, turn(1), turn(2, "assistant"), turn(3)];
    const fit = await fitConversation({ system, context: [], turns }, 100_000);
    expect(fit.messages).toEqual([system, ...turns]);
    expect(fit.omittedTurns).toBe(0);
    expect(fit.tokens).toBe([system, ...turns].reduce((s, m) => s + messageTokens(m), 0));
  });

  it("keeps the issue, the latest plan, the request and the newest turns; leaves out older turns with a marker in their place", async () => {
    const turns = [issue, turn(1), turn(2, "assistant"), turn(3), turn(4), turn(5), turn(6, "assistant"), turn(7), turn(8)];
    const budget = 3_000;
    const fit = await fitConversation({ system, context: [{ role: "user", content: "CONTEXT" }], turns }, budget);
    const contents = fit.messages.map((m) => m.content.slice(0, 30));
    expect(fit.messages[0]).toEqual(system);
    expect(fit.messages[1]?.content).toBe("CONTEXT");
    expect(fit.messages[2]).toEqual(issue);
    expect(contents).toContain(turn(6, "assistant").content.slice(0, 30));
    expect(contents).toContain(turn(8).content.slice(0, 30));
    expect(contents).not.toContain(turn(1).content.slice(0, 30));
    const marker = fit.messages.find((m) => m.content.startsWith("[devbuddy:"));
    expect(marker?.content).toMatch(/^\[devbuddy: \d+ earlier messages? of this thread left out here to fit the model's context\.\]$/);
    expect(fit.omittedTurns).toBeGreaterThan(0);
    expect(fit.tokens).toBeLessThanOrEqual(budget);
    // The marker sits where the turns were: right after the issue.
    expect(fit.messages[3]).toBe(marker);
  });

  it("cuts a huge issue in the middle instead of dropping it, and keeps the closing instruction", async () => {
    const huge: ChatMessage = { role: "user", content: `Issue #1: big\nOpened by alice:\n\nSTART ${words(40_000)} END` };
    const closing: ChatMessage = { role: "user", content: "WRITE THE FINAL PLAN" };
    const fit = await fitConversation({ system, context: [], turns: [huge, turn(1)], closing }, 4_000);
    expect(fit.truncatedTurns).toBe(1);
    expect(fit.messages[1]?.content).toContain("START");
    expect(fit.messages[1]?.content).toContain("END");
    expect(fit.messages[1]?.content).toContain("tokens of this issue left out");
    expect(fit.messages.at(-1)).toEqual(closing);
    expect(fit.tokens).toBeLessThanOrEqual(4_000);
  });
});

describe("truncateMiddle on a person's quoted turn", () => {
  const turn = (body: string) => `Comment by mallory:\n\`\`\`\`\n${body}\n\`\`\`\``;

  it("cuts inside the block, keeps the heading and both fences, and puts devbuddy's marker after the block", async () => {
    const cut = await truncateMiddle(turn(`START ${words(3000)} \`\`\` END`), 400, "comment");
    const lines = cut.split("\n");
    expect(lines[0]).toBe("Comment by mallory:");
    expect(lines[1]).toBe("````");
    expect(lines.at(-2)).toBe("````");
    expect(lines.at(-1)).toMatch(/^\[devbuddy: \d+ tokens of this comment left out to fit the context, where "\[…\]" stands\.\]$/);
    expect(cut).toContain("START ");
    expect(cut).toContain(" END");
    expect(lines.slice(2, -2)).toContain("[…]");
    expect(countTokens(cut)).toBeLessThanOrEqual(440);
  });

  it("keeps the frame even when almost nothing of the text fits", async () => {
    const cut = await truncateMiddle(turn(words(3000)), 5, "comment");
    expect(cut.split("\n").slice(0, 2)).toEqual(["Comment by mallory:", "````"]);
    expect(cut).toMatch(/\n````\n\[devbuddy: \d+ tokens of this comment left out/);
  });
});

describe("token counting on hostile text (issue 9, defect 17)", () => {
  const exact = (text: string): number => exactCount(text, { disallowedSpecial: new Set<string>() });
  const cjk = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join("");
  const zeroWidth = (n: number): string => "\u200b".repeat(n);
  const combining = (n: number): string => Array.from({ length: n }, (_, i) => ["a", "я", "ع", "\u0301", "字", "\u0308"][i % 6]).join("");

  it("grows linearly in the length of one run with no space", () => {
    for (const make of [cjk, zeroWidth, combining]) {
      expect(growthRatio(countTokens, make, 4_000)).toBeLessThan(linearBound());
    }
  });

  it("counts 62 KB of each shape without holding the loop", async () => {
    await expectLoopFree(async () => {
      for (const make of [cjk, zeroWidth, combining]) expect(await countTokensPausing(make(62_000), new TimeSlice())).toBeGreaterThan(0);
    });
  });

  it("stays within a few % of the exact count on ordinary text, and never below it", () => {
    const english = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const code = readFileSync(new URL("../../src/planning/token-budget.ts", import.meta.url), "utf8");
    for (const text of [english, code]) {
      const counted = countTokens(text);
      expect(counted).toBeGreaterThanOrEqual(exact(text));
      expect(counted / exact(text)).toBeLessThan(1.03);
    }
    const long = cjk(5_000);
    expect(countTokens(long)).toBeGreaterThanOrEqual(exact(long));
  });

  it("fits a thread of 500 comments of 65 KB without holding the loop", async () => {
    const shapes = [cjk, zeroWidth, combining, (n: number) => words(Math.floor(n / 6))];
    const turns: ChatMessage[] = Array.from({ length: 500 }, (_, i) => ({ role: "user", content: (shapes[i % shapes.length] as (n: number) => string)(65_000) }));
    const system: ChatMessage = { role: "system", content: "SYSTEM" };
    const fit = await expectLoopFree(() => fitConversation({ system, context: [], turns }, 32_000));
    expect(fit.tokens).toBeLessThanOrEqual(32_000);
    expect(fit.omittedTurns).toBeGreaterThan(400);
  }, 120_000);
});
