// The signed-in session: tokens in sessionStorage (this tab only, never a cookie), the roles read from
// the access token's payload (only to choose menus; every service checks the token itself).
import { createStore } from "./lib.js";

const KEY = "dvc.session";

function decodePayload(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function load() {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw);
    return s && s.access && s.refresh ? withClaims(s) : null;
  } catch {
    return null;
  }
}

function withClaims(s) {
  const claims = decodePayload(s.access) || {};
  return {
    ...s,
    claims,
    roles: Array.isArray(claims.roles) ? claims.roles : [],
    agencies: Array.isArray(claims.agencies) ? claims.agencies : [],
    // The organisations the holder belongs to, [{id, role}], as of the token (a change shows on refresh).
    orgs: Array.isArray(claims.orgs) ? claims.orgs : [],
    exp: typeof claims.exp === "number" ? claims.exp : 0,
  };
}

/** null when signed out; otherwise {access, refresh, roles, agencies, exp, user?}. */
export const session = createStore(load());

export function setTokens(access, refresh, user) {
  const prev = session.get();
  const next = withClaims({ access, refresh, user: user || (prev && prev.user) || null });
  sessionStorage.setItem(KEY, JSON.stringify({ access, refresh, user: next.user }));
  session.set(next);
}

export function setUser(user) {
  const s = session.get();
  if (!s) return;
  sessionStorage.setItem(KEY, JSON.stringify({ access: s.access, refresh: s.refresh, user }));
  session.set({ ...s, user });
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
  session.set(null);
}

export const hasRole = (s, role) => !!s && s.roles.includes(role);

/** The organisations the holder may file for (staff or representative). */
export const filerOrgs = (s) => (s ? s.orgs.filter((o) => o.role === "representative" || o.role === "staff") : []);

/** True when the access token expires within `skew` seconds. */
export const expiresSoon = (s, skew = 30) => !s || s.exp * 1000 - Date.now() < skew * 1000;

/** Where a person lands after signing in, when no page asked for it. */
export function homeFor(s) {
  if (hasRole(s, "admin")) return "/quan-tri/can-bo";
  if (hasRole(s, "officer")) return "/can-bo";
  return "/ho-so";
}
