/** Matches a request to the route that answers it; each file under `routes/` adds its family. */
import { notFound, type Params, type Reply, type RequestContext } from "./http.js";

export type RouteHandler = (ctx: RequestContext, params: Params) => Reply;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handle: RouteHandler;
}

export class Router {
  readonly #routes: Route[] = [];

  /** `:name` is one path segment; `*name` is the rest of the path, slashes included. The first route added that matches wins. */
  route(method: string, template: string, handle: RouteHandler): void {
    const names: string[] = [];
    const source = template.replace(/([:*])(\w+)/g, (_, kind: string, name: string) => {
      names.push(name);
      return kind === ":" ? "([^/]+)" : "(.+)";
    });
    this.#routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handle });
  }

  /** Parameters arrive percent-decoded; one that does not decode is GitHub's plain 404. */
  dispatch(ctx: RequestContext): Reply {
    for (const r of this.#routes) {
      if (r.method !== ctx.method) continue;
      const match = r.pattern.exec(ctx.path);
      if (!match) continue;
      const params: Params = {};
      let decodable = true;
      r.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(match[i + 1] ?? "");
        } catch {
          decodable = false;
        }
      });
      if (!decodable) return notFound();
      return r.handle(ctx, params);
    }
    return notFound();
  }
}
