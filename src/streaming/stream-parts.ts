/** What a model stream yields, as a discriminated union (one place to switch on). */

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | (string & {});

/** A function call the model asked for, complete (the stream yields it only once it has ended). */
export interface ToolCall {
  /** The model's id for the call; a `tool` message answers it by this id. */
  readonly id: string;
  readonly name: string;
  /** The raw JSON text as the model sent it: untrusted, possibly invalid; the tool validates it. */
  readonly arguments: string;
}

/** A function the model may call. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export type StreamPart =
  | { readonly type: "text-delta"; readonly text: string }
  | { readonly type: "tool-call"; readonly call: ToolCall }
  | { readonly type: "finish"; readonly reason: FinishReason; readonly usage?: TokenUsage };

export type ChatMessage =
  | { readonly role: "system" | "user"; readonly content: string }
  | { readonly role: "assistant"; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  /** The result of one tool call, sent back to the model. */
  | { readonly role: "tool"; readonly toolCallId: string; readonly content: string };

export type ModelErrorKind =
  /** The service refused devbuddy's credentials (401/403). */
  | "auth"
  /** 429: too many requests, or the account's quota is spent. */
  | "rate-limit"
  /** 400/404/422: the request itself is wrong (unknown model, context too long). */
  | "bad-request"
  /** 408/409/5xx from the service. */
  | "server"
  /** Could not connect, or the connection failed before the response started. */
  | "connection"
  /** Neither text nor a tool call started within the first-token timeout. */
  | "first-token-timeout"
  /** Chunks stopped arriving for longer than the idle timeout. */
  | "stall"
  /** The whole answer took longer than the total timeout. */
  | "total-timeout"
  /** The stream ended, or the connection dropped, before a finish reason arrived. */
  | "cut"
  /** A chunk did not have the shape of a chat completion chunk, or a tool call had no name. */
  | "protocol"
  /** Cancelled by devbuddy (a stop command, shutdown). */
  | "aborted";

/**
 * A model failure whose `message` is safe to show in a public comment: it is written by
 * devbuddy, never copied from the service's response (which may echo request details).
 */
export class ModelError extends Error {
  override readonly name = "ModelError";
  readonly kind: ModelErrorKind;
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** Seconds the service asked to wait (retry-after), when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: ModelErrorKind,
    message: string,
    options: { retryable?: boolean; status?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
