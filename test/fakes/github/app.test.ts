/** The App (`GET /app`) and its installation tokens. */
import { generateKeyPairSync } from "node:crypto";
import { Probot } from "probot";
import { describe, expect, it } from "vitest";
import { startFakeGitHub } from "../fake-github.js";
import { api, gh, JWT, seedIssue, withFakeGitHub } from "./harness.js";

withFakeGitHub();

describe("fake GitHub: the App and its installation tokens", () => {
  it("requires a JWT for GET /app and the token endpoint (plain tokens allowed on /app by default)", async () => {
    expect((await api("/app", { auth: null })).status).toBe(401);
    expect((await api("/app", { auth: "bearer not-a-jwt" })).json).toEqual({
      message: "A JSON web token could not be decoded",
      documentation_url: "https://docs.github.com/rest/apps/apps#get-the-authenticated-app",
    });
    const app = await api("/app", { auth: `bearer ${JWT}` });
    expect(app.status).toBe(200);
    expect(app.json).toMatchObject({ id: 1, slug: "devbuddy", owner: { login: expect.any(String) }, node_id: expect.any(String) });
    expect((await api("/app", { auth: "token anything" })).status).toBe(200);

    expect((await api("/app/installations/7/access_tokens", { method: "POST", auth: "token anything" })).status).toBe(401);
    const token = await api("/app/installations/7/access_tokens", { method: "POST", auth: `Bearer ${JWT}` });
    expect(token.status).toBe(201);
    expect(token.json.token).toMatch(/^ghs_fake[0-9a-f]+$/);
    expect(token.json.repository_selection).toBe("all");
    const expiresIn = Date.parse(token.json.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(59 * 60 * 1000);
    expect(expiresIn).toBeLessThanOrEqual(60 * 60 * 1000);
  });

  it("lets a real Probot authenticate as an installation (JWT → installation token → write)", async () => {
    seedIssue();
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const probot = new Probot({
      appId: 1,
      privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      baseUrl: gh.apiBase,
      logLevel: "fatal",
    });
    const octokit = await probot.auth(42);
    await octokit.rest.issues.createComment({ owner: "acme", repo: "widgets", issue_number: 1, body: "hello from Probot" });

    const [tokenRequest, commentRequest] = gh.requests;
    expect(tokenRequest).toMatchObject({ method: "POST", path: "/app/installations/42/access_tokens", status: 201 });
    expect(tokenRequest?.headers["authorization"]).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(commentRequest).toMatchObject({ method: "POST", status: 201 });
    expect(commentRequest?.headers["authorization"]).toMatch(/^token ghs_fake/);
    expect(gh.comments("acme", "widgets", 1)[0]?.user.login).toBe("devbuddy[bot]");
  });

  it("rejects plain tokens on GET /app when allowTokenForApp is false", async () => {
    const strict = await startFakeGitHub({ allowTokenForApp: false, pathPrefix: "", appSlug: "other", appId: 99 });
    try {
      const res = await fetch(`${strict.apiBase}/app`, { headers: { authorization: "token x" } });
      expect(res.status).toBe(401);
      const ok = await fetch(`${strict.apiBase}/app`, { headers: { authorization: `bearer ${JWT}` } });
      expect(await ok.json()).toMatchObject({ id: 99, slug: "other" });
    } finally {
      await strict.close();
    }
  });
});
