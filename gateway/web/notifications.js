// Notifications: the unread count and the latest items, kept live through Server-Sent Events. The
// page trades its token for a one-time ticket (EventSource cannot send a header), and gets a new
// ticket for every reconnection (a ticket works once).
import { html, createStore, useStore, useState, useEffect, useRef } from "./lib.js";
import { get, post } from "./api.js";
import { session } from "./session.js";
import { t, formatDateTime, lang } from "./i18n.js";
import { navigate } from "./router.js";
import { ViRuns, DisclosureButton } from "./components.js";

export const unread = createStore(0);
export const latest = createStore({ items: [], loaded: false });
/** Every notification that arrives live, for pages that want to refresh (e.g. a dossier's page). */
export const arrivals = createStore(null);
/** A short sentence for the polite live region. */
export const announcement = createStore("");

let source = null;
let timer = null;
let generation = 0;
let failures = 0;

export function linkOf(n) {
  if (n.dossier_id) return `/ho-so/${encodeURIComponent(n.dossier_id)}`;
  if (n.link) {
    try {
      const u = new URL(n.link, location.origin);
      return u.pathname + u.search;
    } catch {
      return null;
    }
  }
  return null;
}

export async function refreshLatest() {
  try {
    const page = await get("/notifications", { query: { size: 8 } });
    latest.set({ items: page.items, loaded: true, total: page.total });
    const c = await get("/notifications/unread-count");
    unread.set(c.unread);
  } catch {
    /* the bell keeps what it had */
  }
}

async function connect(g) {
  if (g !== generation || !session.get()) return;
  try {
    const { ticket } = await post("/notifications/stream-ticket");
    if (g !== generation) return;
    const es = new EventSource(`/api/v1/notifications/stream?ticket=${encodeURIComponent(ticket)}`);
    source = es;
    es.addEventListener("open", () => {
      failures = 0;
    });
    es.addEventListener("unread", (e) => {
      try {
        unread.set(JSON.parse(e.data).unread);
      } catch {
        /* ignore a malformed event */
      }
    });
    es.addEventListener("notification", async (e) => {
      let n = null;
      try {
        n = JSON.parse(e.data);
      } catch {
        return;
      }
      // The stream speaks the browser's language; the list is fetched again in the chosen one.
      await refreshLatest();
      const same = latest.get().items.find((x) => x.id === n.id) || n;
      announcement.set(t("bell.new", { title: same.title }));
      arrivals.set(same);
    });
    es.addEventListener("error", () => {
      es.close();
      if (source === es) source = null;
      schedule(g);
    });
  } catch {
    schedule(g);
  }
}

function schedule(g) {
  if (g !== generation || !session.get()) return;
  const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures++, 5));
  clearTimeout(timer);
  timer = setTimeout(() => connect(g), delay);
}

export function startLive() {
  stopLive();
  const g = ++generation;
  failures = 0;
  refreshLatest();
  connect(g);
}

export function stopLive() {
  generation++;
  clearTimeout(timer);
  if (source) source.close();
  source = null;
  unread.set(0);
  latest.set({ items: [], loaded: false });
}

export async function markRead(n) {
  if (n.read) return;
  await post(`/notifications/${encodeURIComponent(n.id)}/read`);
  latest.set((s) => ({ ...s, items: s.items.map((x) => (x.id === n.id ? { ...x, read: true } : x)) }));
  unread.set((c) => Math.max(0, c - 1));
}

export async function markAllRead() {
  const r = await post("/notifications/read-all");
  unread.set(r ? r.unread : 0);
  latest.set((s) => ({ ...s, items: s.items.map((x) => ({ ...x, read: true })) }));
}

// The language changed: titles and bodies exist in both; fetch them again.
lang.subscribe(() => session.get() && refreshLatest());

function BellIcon() {
  return html`<svg class="icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
    <path
      fill="currentColor"
      d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z"
    />
  </svg>`;
}

/** The bell in the header: the unread count, live, and a panel with the latest notifications. */
export function Bell() {
  const count = useStore(unread);
  const list = useStore(latest);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState("");
  const box = useRef(null);
  const button = useRef(null);

  useEffect(() => {
    if (!open) return undefined;
    refreshLatest();
    const onKey = (e) => {
      if (e.key === "Escape") {
        setOpen(false);
        button.current && button.current.focus();
      }
    };
    const onClick = (e) => box.current && !box.current.contains(e.target) && setOpen(false);
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  // The panel closes when the focus moves on past it (it would cover the navigation the next Tab
  // reaches). Focus going nowhere (a click on the panel's text) keeps it; clicks outside close it above.
  const onFocusOut = (e) => {
    if (e.relatedTarget && box.current && !box.current.contains(e.relatedTarget)) setOpen(false);
  };

  const follow = async (e, n) => {
    e.preventDefault();
    setOpen(false);
    try {
      await markRead(n);
    } catch {
      /* following the link matters more */
    }
    const to = linkOf(n);
    if (to) navigate(to);
  };
  const readOne = async (n) => {
    setError("");
    try {
      await markRead(n);
    } catch (err) {
      setError(err.message);
    }
  };
  const readAll = async () => {
    setError("");
    try {
      await markAllRead();
    } catch (err) {
      setError(err.message);
    }
  };

  return html`<div class="bell" ref=${box} onFocusOut=${onFocusOut}>
    <${DisclosureButton} buttonRef=${button} class="bell-button" open=${open} controls="bell-panel" onToggle=${() => setOpen(!open)} testid="bell">
      <${BellIcon} />
      <span class="visually-hidden">${t("bell.label")}</span>
      <span class=${`bell-count ${count ? "" : "is-zero"}`} data-testid="bell-count">${count}</span>
      <span class="visually-hidden">${t("bell.unread")}</span>
    <//>
    ${open
      ? html`<section id="bell-panel" class="bell-panel" aria-labelledby="bell-title" data-testid="bell-panel">
          <div class="bell-head">
            <h2 id="bell-title">${t("bell.title")}</h2>
            <button type="button" class="btn btn-link" onClick=${readAll} disabled=${!count} data-testid="bell-read-all">
              ${t("bell.readAll")}
            </button>
          </div>
          ${error ? html`<p class="error-msg" role="alert">${error}</p>` : null}
          ${!list.loaded
            ? html`<p class="muted">${t("common.loading")}</p>`
            : list.items.length
              ? html`<ul class="notif-list">
                  ${list.items.map(
                    (n) => html`<li class=${`notif ${n.read ? "" : "is-unread"}`} data-testid="bell-item">
                      ${linkOf(n)
                        ? html`<a href=${linkOf(n)} onClick=${(e) => follow(e, n)} class="notif-title"><${ViRuns} text=${n.title} /></a>`
                        : html`<p class="notif-title"><${ViRuns} text=${n.title} /></p>`}
                      <p class="notif-body"><${ViRuns} text=${n.body} /></p>
                      <p class="notif-meta">
                        <time datetime=${n.created_at}>${formatDateTime(n.created_at)}</time>
                        ${n.read
                          ? html`<span class="muted"> · ${t("bell.read")}</span>`
                          : html` · <button type="button" class="btn-link" onClick=${() => readOne(n)} data-testid="bell-mark-read">
                                ${t("bell.markRead")}<span class="visually-hidden">: <${ViRuns} text=${n.title} /></span>
                              </button>`}
                      </p>
                    </li>`,
                  )}
                </ul>`
              : html`<p class="muted">${t("bell.empty")}</p>`}
          <p class="bell-foot"><a href="/thong-bao" onClick=${() => setOpen(false)}>${t("bell.all")}</a></p>
        </section>`
      : null}
  </div>`;
}
