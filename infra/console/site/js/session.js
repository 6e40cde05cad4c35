// The signed-in user's tokens, held in this module's memory only: never in Web Storage (local or session)
// or a cookie, where any script of the origin (or a later one, after an injection) could read them back.
// A reload or a new tab signs in again. docs/security.md, "The web console's tokens"; docs/adr/0027.

let tokens = null; // { accessToken, refreshToken, username, expiresAt }
let claims = {};
let refreshTimer = 0;
const listeners = new Set();

export function onChange(fn) {
  listeners.add(fn);
}

function changed() {
  for (const fn of listeners) fn();
}

// The access token's claims, read (not verified: the APIs verify it) to show the user and whether the
// admin pages apply. The function checks the group again on every admin route.
function decode(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return {};
  }
}

// set stores the Tokens of a login or refresh and schedules the next refresh a minute before expiry.
export function set(t, refresh) {
  tokens = {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken || (tokens && tokens.refreshToken),
    username: t.username || (tokens && tokens.username),
    expiresAt: Date.now() + t.expiresIn * 1000,
  };
  claims = decode(t.accessToken);
  clearTimeout(refreshTimer);
  if (tokens.refreshToken && refresh) {
    refreshTimer = setTimeout(refresh, Math.max(5, t.expiresIn - 60) * 1000);
  }
  changed();
}

export function clear() {
  tokens = null;
  claims = {};
  clearTimeout(refreshTimer);
  changed();
}

export const accessToken = () => tokens && tokens.accessToken;
export const refreshToken = () => tokens && tokens.refreshToken;
export const username = () => tokens && tokens.username;
export const signedIn = () => tokens !== null;
export const isAdmin = () => (claims["cognito:groups"] || []).includes("admin");
export const who = () => claims.username || claims.sub || "";
