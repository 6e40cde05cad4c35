// The HTTP API (docs/openapi.yaml): JSON in and out, RFC 9457 problems turned into errors that name
// the fields, the access token as a Bearer header.
import * as session from "./session.js";

let base = "";

export function configure(apiUrl) {
  base = apiUrl.replace(/\/$/, "");
}

export class ApiError extends Error {
  constructor(status, body) {
    const fields = (body.errors || []).map((e) => e.field + ": " + e.message).join("; ");
    super([body.title || body.message || "HTTP " + status, body.detail, fields].filter(Boolean).join(" — "));
    this.status = status;
    this.type = body.type || "";
    this.body = body;
  }
}

// call sends one request. A 401 on an authenticated call refreshes the tokens once and tries again.
export async function call(method, path, body, { headers = {}, auth = true, retried = false } = {}) {
  const h = { ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (auth && session.accessToken()) h.Authorization = "Bearer " + session.accessToken();
  const res = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (res.status === 401 && auth && !retried && session.refreshToken()) {
    if (await refresh()) return call(method, path, body, { headers, auth, retried: true });
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path, opts) => call("GET", path, undefined, opts);
export const post = (path, body, opts) => call("POST", path, body, opts);
export const put = (path, body, opts) => call("PUT", path, body, opts);

// refresh trades the refresh token for new tokens (POST /auth/refresh); false if it is no longer good.
export async function refresh() {
  try {
    const t = await call("POST", "/auth/refresh", { username: session.username(), refreshToken: session.refreshToken() }, { auth: false, retried: true });
    session.set(t, refresh);
    return true;
  } catch {
    session.clear();
    return false;
  }
}

// login signs in; an admin's answer is the TOTP challenge, returned to the caller to answer with mfa.
export async function login(email, password) {
  const r = await post("/auth/login", { email, password }, { auth: false });
  if (r.challenge) return r;
  session.set(r, refresh);
  return null;
}

export async function mfa(email, challenge, code) {
  const r = await post("/auth/login/mfa", { email, username: challenge.username, session: challenge.session, code }, { auth: false });
  session.set(r, refresh);
}

export async function logout() {
  const rt = session.refreshToken();
  session.clear();
  if (rt) await post("/auth/logout", { refreshToken: rt }, { auth: false }).catch(() => {});
}

// all follows nextCursor to the end (the catalog is small; at most pages of 100).
export async function all(path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(path + sep + "limit=100" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}
