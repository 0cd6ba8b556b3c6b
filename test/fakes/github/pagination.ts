/**
 * GitHub's two kinds of list pagination, with the `link` header clients follow.
 * https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api
 */
import type { RequestContext } from "./http.js";
import { positiveInt } from "./wire-format.js";

export interface Page<T> {
  items: T[];
  /** The `link` header, when there is another page to link to. */
  headers?: { link: string };
}

/** `per_page` defaults to 30 and is capped at 100. */
function perPageOf(ctx: RequestContext): number {
  return Math.min(positiveInt(ctx.query["per_page"]) ?? 30, 100);
}

/**
 * Page-number pagination (`?page=N`): links to the prev, next, last and first pages repeat the
 * request's own query with only `page` changed, as GitHub does.
 */
export function numberedPage<T>(all: readonly T[], ctx: RequestContext, listUrl: string): Page<T> {
  const perPage = perPageOf(ctx);
  const page = positiveInt(ctx.query["page"]) ?? 1;
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  const pageUrl = (n: number) => {
    const search = new URLSearchParams(ctx.rawSearch);
    search.set("page", String(n));
    return `${listUrl}?${search.toString()}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, lastPage))}>; rel="prev"`);
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
  return links.length > 0 ? { items, headers: { link: links.join(", ") } } : { items };
}

/** Cursor pagination (`?cursor=…`), as GitHub pages webhook deliveries: only a `next` link. The cursor here is an offset. */
export function cursorPage<T>(all: readonly T[], ctx: RequestContext, listUrl: string): Page<T> {
  const perPage = perPageOf(ctx);
  const from = Number(ctx.query["cursor"] ?? 0) || 0;
  const next = from + perPage < all.length ? from + perPage : undefined;
  const items = all.slice(from, from + perPage);
  return next === undefined ? { items } : { items, headers: { link: `<${listUrl}?per_page=${perPage}&cursor=${next}>; rel="next"` } };
}
