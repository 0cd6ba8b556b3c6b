import { describe, expect, it } from "vitest";
import { extractTerms } from "../../src/planning/thread-terms.js";
import { FINAL_PLAN_INSTRUCTION, planKindOf } from "../../src/planning/plan-request.js";

describe("extractTerms", () => {
  it("finds code-like names, paths and short class names, weighting the request highest", () => {
    const terms = extractTerms([
      { text: "Enable response streaming in `agent/ai.py` so `AI.call` streams.", weight: 2 },
      { text: "@devbuddy which methods call the AI client? Also check self.planner.plan_steps and CodeGenerator.", weight: 3 },
    ]);
    const texts = terms.map((t) => t.text);
    expect(texts).toEqual(expect.arrayContaining(["agent/ai.py", "AI.call", "AI", "planner.plan_steps", "CodeGenerator", "streaming"]));
    expect(texts).not.toContain("devbuddy");
    expect(texts).not.toContain("which");
    const ai = terms.find((t) => t.text === "AI");
    expect(ai?.code).toBe(true);
    expect(terms.find((t) => t.text === "streaming")?.code).toBe(false);
    // "AI" appears in both texts; the request's weight counts more than the issue's.
    expect(ai?.weight).toBeGreaterThanOrEqual(5);
  });

  it("bounds the number of terms", () => {
    const text = Array.from({ length: 500 }, (_, i) => `name_${i}`).join(" ");
    expect(extractTerms([{ text, weight: 1 }], 60)).toHaveLength(60);
  });
});

describe("planKindOf", () => {
  it.each([
    ["@devbuddy summarize into a final plan", "final"],
    ["@devbuddy please summarise this", "final"],
    ["@devbuddy final plan please", "final"],
    ["@devbuddy be more specific about the AI class", "plan"],
    ["@devbuddy you forgot the AI class", "plan"],
  ])("%s → %s", (text, kind) => {
    expect(planKindOf(text)).toBe(kind);
  });

  it("asks for a complete, self-contained plan", () => {
    expect(FINAL_PLAN_INSTRUCTION).toContain("complete, self-contained plan");
    expect(FINAL_PLAN_INSTRUCTION).toContain("repeat every step in full");
  });
});
