/** Small conventions of GitHub's wire format that every part of the fake shares. */
import { randomBytes } from "node:crypto";

/** GitHub timestamps are ISO 8601 with second precision: `2011-04-14T16:00:49Z`. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function isoNow(offsetMs = 0): string {
  return isoTime(Date.now() + offsetMs);
}

/** GitHub's legacy global node ids are base64 of `0<len(type)>:<Type><id>`, e.g. `04:User1`. */
export function legacyNodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

/** Looks like GitHub's `X-GitHub-Request-Id`, e.g. `C0DE:1A2B:3C4D5E:6F7A8B:65A1B2C3`. */
export function newRequestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString("hex").toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}

/** A path or query parameter that must be a positive integer (ids, numbers, `per_page`, `page`). */
export function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number.parseInt(value, 10);
  return n > 0 ? n : undefined;
}

/** The fake hands out copies, so a test can never change its state by accident. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
