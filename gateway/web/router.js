// Client-side routes on the History API (the gateway answers every unknown path with index.html).
import { createStore } from "./lib.js";

const current = () => ({ path: location.pathname, query: new URLSearchParams(location.search), hash: location.hash });

export const route = createStore(current());
/** True once the person has moved inside the app (the first page load is not a navigation). */
export const moved = { yes: false };

/**
 * Move to `to`, a path of this portal. Never leaves the origin: a target that resolves elsewhere (for
 * example "/\host" or "/<tab>/host", which the URL parser reads as "//host") is refused and logged,
 * not followed. Every caller of the app passes its own paths; a target that resolves off-origin can
 * only have come from outside (an address, a notification's link), and following it would take a
 * signed-in person to another site that looks like this one.
 */
export function navigate(to, { replace = false } = {}) {
  let target;
  try {
    target = new URL(to, location.origin);
  } catch {
    target = null;
  }
  if (!target || target.origin !== location.origin) {
    console.warn("navigate: refused a target outside this portal", String(to));
    return;
  }
  const href = target.pathname + target.search + target.hash;
  if (href === location.pathname + location.search + location.hash && !replace) {
    route.set(current());
    return;
  }
  (replace ? history.replaceState : history.pushState).call(history, null, "", href);
  moved.yes = true;
  route.set(current());
}

/** Replace the query string (filters, paging) without a new history entry when `replace`. */
export function setQuery(params, { replace = false } = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  navigate(location.pathname + (s ? `?${s}` : ""), { replace });
}

/** The page number a list's address asks for (`?page=`): 1 when absent or not a number. */
export const pageOf = (query) => Math.max(1, parseInt(query.get("page") || "1", 10) || 1);

window.addEventListener("popstate", () => {
  moved.yes = true;
  route.set(current());
});

// Same-origin links are handled here: no full page load (modifier keys, new tabs and downloads excepted).
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest && e.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download") || a.dataset.native !== undefined) return;
  const href = a.getAttribute("href");
  if (!href || !href.startsWith("/")) return;
  // Resolved as the browser resolves it: "/\host" is another site's link, which the browser follows
  // itself like any other.
  const url = new URL(href, document.baseURI);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

/**
 * Match a path against patterns like "/thu-tuc/:code"; returns the params or null.
 */
export function match(pattern, path) {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i]);
      } catch {
        return null;
      }
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}
