// Client-side routes on the History API (the gateway answers every unknown path with index.html).
import { createStore } from "./lib.js";

const current = () => ({ path: location.pathname, query: new URLSearchParams(location.search), hash: location.hash });

export const route = createStore(current());
/** True once the person has moved inside the app (the first page load is not a navigation). */
export const moved = { yes: false };

export function navigate(to, { replace = false } = {}) {
  const target = new URL(to, location.origin);
  if (target.origin !== location.origin) {
    location.assign(target.href);
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
  if (!href || !href.startsWith("/") || href.startsWith("//") || href.startsWith("/api/")) return;
  e.preventDefault();
  navigate(href);
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
