// Every call to the platform's APIs: the access token, one refresh on 401 (single flight), the
// Accept-Language of the chosen language, and RFC 9457 problems turned into ApiError.
import { getLang, t } from "./i18n.js";
import { session, setTokens, clearSession, expiresSoon } from "./session.js";

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.code = p.code || (status ? `http-${status}` : "network");
    this.title = p.title || "";
    this.detail = p.detail || "";
    this.errors = Array.isArray(p.errors) ? p.errors : [];
    this.problem = p;
  }
  /** Field errors keyed by the form's field name: "body.submitter.full_name" → "submitter.full_name". */
  fieldErrors() {
    const out = {};
    for (const e of this.errors) {
      const name = String(e.field || "")
        .replace(/^(body|query|path)\./, "")
        .replace(/\.(\d+)$/, "");
      if (name && !out[name]) out[name] = e.message;
    }
    return out;
  }
}

const listeners = new Set();
/** Called with no argument when the session ends because the refresh token was refused. */
export const onSessionExpired = (fn) => (listeners.add(fn), () => listeners.delete(fn));

let refreshing = null;

/** Rotate the refresh token once, whoever asks; resolves true when a new access token is held. */
export function refreshTokens() {
  if (refreshing) return refreshing;
  const s = session.get();
  if (!s) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const r = await fetch(`${API}/auth/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh_token: s.refresh }),
      });
      if (!r.ok) {
        if (r.status === 401 || r.status === 400 || r.status === 422) {
          clearSession();
          listeners.forEach((fn) => fn());
        }
        return false;
      }
      const tokens = await r.json();
      setTokens(tokens.access_token, tokens.refresh_token);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** A fresh access token (refreshed first when it is about to expire), or null when signed out. */
export async function accessToken() {
  let s = session.get();
  if (!s) return null;
  if (expiresSoon(s)) {
    await refreshTokens();
    s = session.get();
  }
  return s ? s.access : null;
}

function url(path, query) {
  const u = new URL(path.startsWith("/api/") ? path : API + path, location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, String(v));
    }
  }
  return u.pathname + u.search;
}

async function problemOf(r) {
  const type = r.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await r.json();
    } catch {
      /* not JSON after all */
    }
  }
  return { title: t("error.http", { status: r.status }), detail: t("error.http", { status: r.status }) };
}

/**
 * request("GET", "/catalog/procedures", {query}) → parsed JSON (null for 204).
 * Options: body (JSON), form (FormData), query, auth (default: when signed in), headers,
 * as: "json" | "blob" | "response".
 */
export async function request(method, path, opts = {}) {
  const { body, form, query, headers = {}, as = "json" } = opts;
  const auth = opts.auth !== false;
  const target = url(path, query);
  const send = async () => {
    const h = { Accept: "application/json, application/problem+json", "Accept-Language": getLang(), ...headers };
    if (auth) {
      const token = await accessToken();
      if (token) h.Authorization = `Bearer ${token}`;
    }
    let payload;
    if (form) payload = form;
    else if (body !== undefined) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    return fetch(target, { method, headers: h, body: payload });
  };
  let r;
  try {
    r = await send();
    if (r.status === 401 && auth && session.get()) {
      if (await refreshTokens()) r = await send();
    }
  } catch {
    throw new ApiError(0, { code: "network", title: t("error.network"), detail: t("error.network") });
  }
  if (!r.ok) throw new ApiError(r.status, await problemOf(r));
  if (as === "response") return r;
  if (as === "blob") return r.blob();
  if (r.status === 204) return null;
  const type = r.headers.get("content-type") || "";
  return type.includes("json") ? r.json() : r.text();
}

export const get = (path, opts) => request("GET", path, opts);
export const post = (path, body, opts = {}) => request("POST", path, { ...opts, body });
export const put = (path, body, opts = {}) => request("PUT", path, { ...opts, body });
export const patch = (path, body, opts = {}) => request("PATCH", path, { ...opts, body });
export const del = (path, opts) => request("DELETE", path, opts);

/**
 * Upload a multipart form with progress (fetch cannot report upload progress; XMLHttpRequest can).
 * onProgress(fraction 0..1). Resolves with the parsed JSON answer; rejects with ApiError.
 * Returns {promise, abort}.
 */
export function upload(path, form, onProgress) {
  let xhr = null;
  let aborted = false;
  const once = (token) =>
    new Promise((resolve) => {
      xhr = new XMLHttpRequest();
      xhr.open("POST", url(path));
      xhr.setRequestHeader("Accept", "application/json, application/problem+json");
      xhr.setRequestHeader("Accept-Language", getLang());
      if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => resolve(null);
      xhr.onabort = () => resolve(null);
      xhr.send(form);
    });
  const parse = (x) => {
    try {
      return JSON.parse(x.responseText);
    } catch {
      return null;
    }
  };
  const promise = (async () => {
    let x = await once(await accessToken());
    if (x && x.status === 401 && (await refreshTokens()) && !aborted) {
      if (onProgress) onProgress(0);
      x = await once(await accessToken());
    }
    if (!x) {
      const code = aborted ? "aborted" : "network";
      throw new ApiError(0, { code, title: t(`error.${code}`), detail: t(`error.${code}`) });
    }
    if (x.status < 200 || x.status >= 300) {
      throw new ApiError(x.status, parse(x) || { detail: t("error.http", { status: x.status }) });
    }
    return parse(x);
  })();
  return {
    promise,
    abort: () => {
      aborted = true;
      if (xhr) xhr.abort();
    },
  };
}

/** Fetch a protected file with the token and give back {url, type, name} for a blob: URL. */
export async function fetchFile(path) {
  const r = await request("GET", path, { as: "response" });
  const blob = await r.blob();
  const disposition = r.headers.get("content-disposition") || "";
  let name = "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  if (star) {
    try {
      name = decodeURIComponent(star[1]);
    } catch {
      name = star[1];
    }
  } else if (plain) name = plain[1];
  return { url: URL.createObjectURL(blob), type: blob.type || r.headers.get("content-type") || "", name, size: blob.size };
}

/** Save a protected file under its name (a temporary link with the download attribute). */
export async function downloadFile(path, fallbackName) {
  const f = await fetchFile(path);
  const a = document.createElement("a");
  a.href = f.url;
  a.download = f.name || fallbackName || "tep-tin";
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(f.url), 60_000);
  return f;
}

/** A random Idempotency-Key for a creation request. */
export const idempotencyKey = () =>
  crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
