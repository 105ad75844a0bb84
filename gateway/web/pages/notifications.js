// Thông báo: every notification, page by page, with "mark read" and "mark all read".
import { html, useState } from "../lib.js";
import { get } from "../api.js";
import { t, useLang, formatDateTime } from "../i18n.js";
import { setQuery, navigate } from "../router.js";
import { PageHeading, Loading, ProblemAlert, Pager, useAsync, useTitle } from "../components.js";
import { markRead, markAllRead, linkOf } from "../notifications.js";

const SIZE = 20;

export function NotificationsPage({ query }) {
  const lang = useLang();
  useTitle(t("bell.title"));
  const page = Math.max(1, parseInt(query.get("page") || "1", 10) || 1);
  const onlyUnread = query.get("unread") === "true";
  const list = useAsync(() => get("/notifications", { query: { page, size: SIZE, unread: onlyUnread ? "true" : undefined } }), [page, onlyUnread, lang]);
  const [error, setError] = useState(null);
  const run = async (fn) => {
    setError(null);
    try {
      await fn();
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const follow = async (e, n) => {
    e.preventDefault();
    try {
      await markRead(n);
    } catch {
      /* still go */
    }
    navigate(linkOf(n));
  };
  return html`<${PageHeading}>${t("bell.title")}<//>
    <${ProblemAlert} error=${error} />
    <div class="actions">
      <div class="checkbox">
        <input type="checkbox" id="only-unread" checked=${onlyUnread} onChange=${(e) => setQuery({ unread: e.target.checked ? "true" : "" })} />
        <label for="only-unread">${t("bell.onlyUnread")}</label>
      </div>
      <button type="button" class="btn btn-secondary" onClick=${() => run(markAllRead)} data-testid="read-all">${t("bell.readAll")}</button>
    </div>
    ${list.loading && !list.data
      ? html`<${Loading} />`
      : list.error
        ? html`<${ProblemAlert} error=${list.error} />`
        : list.data.items.length
          ? html`<ul class="notif-list notif-page" data-testid="notifications">
                ${list.data.items.map(
                  (n) => html`<li class=${`card notif ${n.read ? "" : "is-unread"}`} data-testid="notification">
                    <h2 class="h4 notif-title">
                      ${linkOf(n) ? html`<a href=${linkOf(n)} onClick=${(e) => follow(e, n)}>${n.title}</a>` : n.title}
                      ${n.read ? null : html`<span class="badge st-new">${t("bell.unreadBadge")}</span>`}
                    </h2>
                    <p class="notif-body">${n.body}</p>
                    <p class="notif-meta">
                      <time datetime=${n.created_at}>${formatDateTime(n.created_at)}</time>
                      ${n.read
                        ? null
                        : html` · <button type="button" class="btn-link" onClick=${() => run(() => markRead(n))}>
                              ${t("bell.markRead")}<span class="visually-hidden">: ${n.title}</span>
                            </button>`}
                    </p>
                  </li>`,
                )}
              </ul>
              <${Pager} page=${page} size=${SIZE} total=${list.data.total} onPage=${(p) => setQuery({ unread: onlyUnread ? "true" : "", page: p })} />`
          : html`<p>${t("bell.empty")}</p>`}`;
}
