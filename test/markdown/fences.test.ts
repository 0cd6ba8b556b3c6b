import { describe, expect, it } from "vitest";
import { longestRun } from "../../src/markdown/fences.js";
import { growthRatio, linearBound } from "../helpers/growth.js";

describe("longestRun", () => {
  it("is the longest run of the character, 0 when it is absent", () => {
    expect(longestRun("a `b` ``c`` ```", "`")).toBe(3);
    expect(longestRun("no ticks", "`")).toBe(0);
    expect(longestRun("", "`")).toBe(0);
    expect(longestRun("<<a<<<", "<")).toBe(3);
    expect(longestRun("````", "`")).toBe(4);
  });

  it("counts a run across no other character, astral ones included", () => {
    expect(longestRun("``😀``", "`")).toBe(2);
  });

  it("takes one character only", () => {
    expect(() => longestRun("``", "``")).toThrow(RangeError);
    expect(() => longestRun("``", "")).toThrow(RangeError);
  });

  it("grows linearly with the text, on runs that keep restarting", () => {
    const ratio = growthRatio(
      (text: string) => longestRun(text, "`"),
      (size: number) => Array.from({ length: size }, (_, i) => "`".repeat(i % 50) + "x").join(""),
      2_000,
    );
    expect(ratio).toBeLessThan(linearBound());
  });
});
