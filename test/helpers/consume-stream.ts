import { ModelError, type StreamPart } from "../../src/streaming/stream-parts.js";

export interface StreamOutcome {
  parts: StreamPart[];
  text: string;
  error?: ModelError;
}

/**
 * Consumes a model stream in the background, keeping what arrived and how it ended; `seen`
 * can be inspected while it is still running. Errors other than `ModelError` fail the test.
 */
export function consumeStream(stream: AsyncIterable<StreamPart>, stopAfterParts?: number): { outcome: Promise<StreamOutcome>; seen: StreamOutcome } {
  const seen: StreamOutcome = { parts: [], text: "" };
  const outcome = (async () => {
    try {
      for await (const part of stream) {
        seen.parts.push(part);
        if (part.type === "text-delta") seen.text += part.text;
        if (stopAfterParts !== undefined && seen.parts.length >= stopAfterParts) break;
      }
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      seen.error = error;
    }
    return seen;
  })();
  return { outcome, seen };
}
