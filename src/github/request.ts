import { GitHubError, toGitHubError } from "./errors.js";

/**
 * How the adapter's modules call Octokit: every failure becomes a `GitHubError` saying
 * what was being done, lists are read page by page with Octokit's own paginator, and a
 * raw response body is read as a stream.
 */

/** GitHub's largest page. */
export const PAGE = 100;

export async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw toGitHubError(error, what);
  }
}

/**
 * The pages `octokit.paginate.iterator` fetches, one request per page and only as far as
 * the caller reads (leaving the loop sends no further request), each failure a `GitHubError`.
 * The iterator follows the `link` header's rel="next".
 * https://github.com/octokit/plugin-paginate-rest.js#octokitpaginateiterator
 */
export async function* pages<R>(what: string, iterable: AsyncIterable<R>): AsyncGenerator<R, void, undefined> {
  const iterator = iterable[Symbol.asyncIterator]();
  for (;;) {
    const step = await call(what, () => iterator.next());
    if (step.done) return;
    yield step.value;
  }
}

/**
 * With `parseSuccessResponseBody: false` @octokit/request hands back fetch's `response.body`
 * (a web ReadableStream, async-iterable in Node) as `data` instead of reading it.
 * https://github.com/octokit/request.js#request
 */
export function bodyStream(data: unknown, what: string): AsyncIterable<Uint8Array> {
  if (typeof data === "object" && data !== null && Symbol.asyncIterator in data) return data as AsyncIterable<Uint8Array>;
  throw new GitHubError(`${what} failed: the response had no body`, { kind: "transient" });
}

/** Reads a response body, or answers undefined as soon as it grows past `maxBytes` (and stops reading). */
export async function readAtMost(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.byteLength;
    if (length > maxBytes) return undefined; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
