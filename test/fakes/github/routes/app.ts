/** The App itself and its installation tokens; both authenticate with the App's JWT. */
import { randomBytes } from "node:crypto";
import { bodyField, notFound, requireJwt } from "../http.js";
import type { Router } from "../router.js";
import type { Schemas } from "../schemas.js";
import type { GitHubStore } from "../store.js";
import { clone, isoNow, positiveInt } from "../wire-format.js";

const DOCS = {
  getApp: "https://docs.github.com/rest/apps/apps#get-the-authenticated-app",
  createToken: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app",
} as const;

/** Installation tokens expire after one hour. */
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/** `allowTokenForApp`: accept a plain token on `GET /app`, as Probot's unit tests send one. */
export function appRoutes(router: Router, store: GitHubStore, allowTokenForApp: boolean): void {
  router.route("GET", "/app", (ctx) => requireJwt(ctx, DOCS.getApp, allowTokenForApp) ?? { status: 200, body: clone(store.app) });

  router.route("POST", "/app/installations/:installation_id/access_tokens", (ctx, params) => {
    const denied = requireJwt(ctx, DOCS.createToken, false);
    if (denied) return denied;
    if (positiveInt(params["installation_id"]) === undefined) return notFound(DOCS.createToken);
    // The token has the permissions asked for (the fake grants any), else all of the App's.
    const requested = bodyField(ctx, "permissions");
    const permissions = typeof requested === "object" && requested !== null ? requested : clone(store.app.permissions);
    const body: Schemas["installation-token"] = {
      token: `ghs_fake${randomBytes(16).toString("hex")}`,
      expires_at: isoNow(TOKEN_LIFETIME_MS),
      permissions: permissions as Schemas["app-permissions"],
      repository_selection: "all",
    };
    return { status: 201, body };
  });
}
