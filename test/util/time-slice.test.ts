import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sortInSlices } from "../../src/util/time-slice.js";
import { expectLoopFree } from "../helpers/loop-delay.js";

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe("sorting in slices", () => {
  it("sorts as Array.prototype.sort does, keeping equal items in their order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.nat()), { maxLength: 3_000 }), async (items) => {
        const compare = (a: [number, number], b: [number, number]): number => a[0] - b[0];
        expect(await sortInSlices(items, compare)).toEqual([...items].sort(compare));
      }),
      { numRuns: 60 },
    );
  });

  it("sorts 200,000 paths without holding the loop (one sort() of them holds it ~100 ms)", async () => {
    const paths = Array.from({ length: 200_000 }, (_, i) => `pkg${(i * 7919) % 200_000}/module/file.py`);
    const sorted = await expectLoopFree(() => sortInSlices(paths, byText));
    expect(sorted).toEqual([...paths].sort(byText));
  });
});
