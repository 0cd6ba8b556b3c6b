import type { Logger } from "../../src/util/logger.js";

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps every line, so tests can assert what an operator would read. */
export function recordingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at =
    (level: LogLine["level"]) =>
    (first: string | Record<string, unknown>, message?: string): void => {
      if (typeof first === "string") lines.push({ level, message: first, fields: { ...bindings } });
      else lines.push({ level, message: message ?? "", fields: { ...bindings, ...first } });
    };
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}
