/** Every request the fake received, as tests inspect it. */

export interface RecordedRequest {
  method: string;
  /** Path without the API prefix and without the query string, e.g. `/repos/o/r/issues/1/comments`. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when there was none (or it was not valid JSON). */
  body: unknown;
  /** `performance.now()` when the request arrived. */
  at: number;
  /** Status that was answered; 0 while the request is still in flight (e.g. held). */
  status: number;
  /** Response body bytes written so far (streamed bodies grow while they are sent). */
  bytesSent: number;
}

/**
 * A request that writes: not a read, not the installation-token exchange (authentication, not
 * content), and not a GraphQL query (a read sent as POST) unless it holds a mutation.
 */
export function isWrite(request: RecordedRequest, graphqlPath: string): boolean {
  return (
    request.method !== "GET" &&
    request.method !== "HEAD" &&
    !(request.method === "POST" && /^\/app\/installations\/[^/]+\/access_tokens\/?$/.test(request.path)) &&
    !(request.method === "POST" && request.path === graphqlPath && !/\bmutation\b/.test(JSON.stringify(request.body ?? "")))
  );
}
