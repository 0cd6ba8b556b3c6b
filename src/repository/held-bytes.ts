import { serialize } from "node:v8";
import { TimeSlice } from "../util/time-slice.js";

/**
 * How many bytes some plain data holds, measured as V8 serializes it (the bytes a
 * structured clone would copy): a measure of what was built, not an estimate from its
 * inputs. Items are serialized one by one and the event loop gets a turn every
 * 5 ms, so measuring a large symbol index never holds it for long
 * (https://nodejs.org/api/v8.html#v8serializevalue).
 */

export async function serializedBytes(items: Iterable<unknown>): Promise<number> {
  const slice = new TimeSlice(5);
  let total = 0;
  for (const item of items) {
    total += serialize(item).byteLength;
    await slice.due();
  }
  return total;
}
