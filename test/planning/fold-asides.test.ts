import { describe, expect, it } from "vitest";
import { foldAsides } from "../../src/planning/plan-loop.js";
import { growthRatio, linearBound } from "../helpers/growth.js";
import { expectLoopFree } from "../helpers/loop-delay.js";

describe("folding the model's asides under its plan (issue 9)", () => {
  // The plan is the model's text: a run of white space that does not end it made the old
  // trailing-space pattern (/\s+$/) retry from every position of the run, quadratically.
  const plan = (size: number): string => `Plan.${" ".repeat(size)}x\n\n`;

  it("keeps the plan, drops only its trailing white space, and folds the asides below it", () => {
    expect(foldAsides("Plan.  \n\n", ["Let me look."])).toBe(
      "Plan.\n\n<details><summary>Notes devbuddy made while reading</summary>\n\nLet me look.\n\n</details>",
    );
  });

  it("is linear on a long run of white space inside the plan, and does not hold the loop", async () => {
    const folded = await expectLoopFree(() => foldAsides(plan(60_000), ["aside"]));
    expect(folded.startsWith(plan(60_000).trimEnd())).toBe(true);
    expect(growthRatio((text) => foldAsides(text, ["aside"]), plan, 8_000)).toBeLessThan(linearBound());
  });
});
