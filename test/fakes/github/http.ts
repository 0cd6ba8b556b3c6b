/** What a route sees of a request and what it answers, with GitHub's error bodies. */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { Schemas } from "./schemas.js";

const DOCS_ROOT = "https://docs.github.com/rest";

export interface Auth {
  /** Lower-cased: `token` or `bearer`. */
  scheme: string;
  credential: string;
}

export interface RequestContext {
  method: string;
  /** Without the API prefix and without the query string. */
  path: string;
  query: Record<string, string>;
  rawSearch: string;
  body: unknown;
  auth: Auth | undefined;
  /** The `accept` header ("" when absent): media types such as `application/vnd.github.raw` change the answer. */
  accept: string;
  requestId: string;
}

export interface Reply {
  status: number;
  /** JSON, unless `raw` is set. */
  body?: unknown;
  /** A non-JSON body (give its `content-type` in `headers`): bytes, or a stream made when the response starts. */
  raw?: Buffer | (() => Readable);
  headers?: Record<string, string>;
  /** Runs once the response has been flushed (used for echo webhooks). */
  afterSend?: () => void;
}

export type Params = Record<string, string>;

/** One entry of a 422 "Validation Failed" answer's `errors`. */
export type ValidationErrorItem = NonNullable<Schemas["validation-error"]["errors"]>[number];

/** GitHub's error body: `message`, then the `errors` of a validation failure, then `documentation_url`. */
export function errorReply(status: number, message: string, documentationUrl: string, errors?: ValidationErrorItem[]): Reply {
  const body: Schemas["basic-error"] | Schemas["validation-error"] =
    errors === undefined ? { message, documentation_url: documentationUrl } : { message, errors, documentation_url: documentationUrl };
  return { status, body };
}

export function notFound(documentationUrl: string = DOCS_ROOT): Reply {
  return errorReply(404, "Not Found", documentationUrl);
}

/** GitHub's answer to a request body that is not JSON. */
export function invalidJson(): Reply {
  return errorReply(400, "Problems parsing JSON", DOCS_ROOT);
}

/**
 * Whether the request asks for a custom media type such as `application/vnd.github.raw`.
 * https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#media-types
 */
export function wantsMediaType(ctx: RequestContext, format: "raw" | "sha"): boolean {
  return new RegExp(`application/vnd\\.github(?:\\.v3)?\\.${format}\\b`).test(ctx.accept);
}

/** The request body's field `name`, when the body is a JSON object. */
export function bodyField(ctx: RequestContext, name: string): unknown {
  const input = ctx.body;
  return typeof input === "object" && input !== null ? (input as Record<string, unknown>)[name] : undefined;
}

export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function parseAuth(header: string | undefined): Auth | undefined {
  if (header === undefined) return undefined;
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { scheme: match[1].toLowerCase(), credential: match[2] };
}

/** A JWT is three non-empty base64url segments. We don't verify the signature. */
function isJwtShaped(token: string): boolean {
  const parts = token.split(".");
  return parts.length === 3 && parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part));
}

/** App endpoints take the App's JWT (`Authorization: Bearer <jwt>`), not an installation token. */
export function requireJwt(ctx: RequestContext, docs: string, allowToken: boolean): Reply | undefined {
  if (ctx.auth?.scheme === "bearer" && isJwtShaped(ctx.auth.credential)) return undefined;
  if (allowToken && ctx.auth?.scheme === "token") return undefined;
  return errorReply(401, "A JSON web token could not be decoded", docs);
}

export function requiresAuthentication(docs: string): Reply {
  return errorReply(401, "Requires authentication", docs);
}
