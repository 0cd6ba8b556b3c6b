import { serialize } from "node:v8";

/**
 * How many bytes some plain data holds, measured as V8 serializes it (the bytes a
 * structured clone would copy): a measure of what was built, not an estimate from its
 * inputs. Items are serialized one by one and the event loop gets a turn every
 * `SLICE_MS`, so measuring a large symbol index never holds it for long
 * (https://nodejs.org/api/v8.html#v8serializevalue).
 */

const SLICE_MS = 5;

export async function serializedBytes(items: Iterable<unknown>): Promise<number> {
  let total = 0;
  let sliceStart = performance.now();
  for (const item of items) {
    total += serialize(item).byteLength;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return total;
}
