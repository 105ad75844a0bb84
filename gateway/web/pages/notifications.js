// Thông báo: every notification, page by page, with "mark read" and "mark all read".
import { html, useState, useEffect } from "../lib.js";
import { get } from "../api.js";
import { t, useLang, formatDateTime } from "../i18n.js";
import { setQuery, navigate, pageOf } from "../router.js";
import { PageHeading, ProblemAlert, Pager, showList, useAsync, useTitle, ViRuns, announce } from "../components.js";
import { markRead, markAllRead, linkOf } from "../notifications.js";
import { PushSwitch } from "../push.js";

const SIZE = 20;

export function NotificationsPage({ query }) {
  const lang = useLang();
  useTitle(t("bell.title"));
  const page = pageOf(query);
  const onlyUnread = query.get("unread") === "true";
  const list = useAsync(() => get("/notifications", { query: { page, size: SIZE, unread: onlyUnread ? "true" : undefined } }), [page, onlyUnread, lang]);
  const [error, setError] = useState(null);
  // "Đánh dấu đã đọc" removes its own button: the focus goes to that notification's heading (or, when
  // the list shows unread ones only and it left the list, to the page's heading), not to the body.
  const [refocus, setRefocus] = useState(null);
  useEffect(() => {
    if (!refocus || list.loading) return;
    (document.getElementById(`notif-${refocus}`) || document.getElementById("page-title"))?.focus();
    setRefocus(null);
  }, [refocus, list.loading, list.data]);
  const markOne = (n) =>
    run(async () => {
      await markRead(n);
      setRefocus(n.id);
      announce(t("bell.markedRead"));
    });
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
    <${PushSwitch} />
    <div class="actions">
      <div class="checkbox">
        <input type="checkbox" id="only-unread" checked=${onlyUnread} onChange=${(e) => setQuery({ unread: e.target.checked ? "true" : "" })} />
        <label for="only-unread">${t("bell.onlyUnread")}</label>
      </div>
      <button type="button" class="btn btn-secondary" onClick=${() => run(markAllRead)} data-testid="read-all">${t("bell.readAll")}</button>
    </div>
    ${showList(
      list,
      (data) => html`<ul class="notif-list notif-page" data-testid="notifications">
          ${data.items.map(
            (n) => html`<li class=${`card notif ${n.read ? "" : "is-unread"}`} data-testid="notification">
              <h2 class="h4 notif-title" id=${`notif-${n.id}`} tabindex="-1">
                ${linkOf(n) ? html`<a href=${linkOf(n)} onClick=${(e) => follow(e, n)}><${ViRuns} text=${n.title} /></a>` : html`<${ViRuns} text=${n.title} />`}
                ${n.read ? null : html`<span class="badge st-new">${t("bell.unreadBadge")}</span>`}
              </h2>
              <p class="notif-body"><${ViRuns} text=${n.body} /></p>
              <p class="notif-meta">
                <time datetime=${n.created_at}>${formatDateTime(n.created_at)}</time>
                ${n.read
                  ? null
                  : html` · <button type="button" class="btn-link" onClick=${() => markOne(n)}>
                        ${t("bell.markRead")}<span class="visually-hidden">: <${ViRuns} text=${n.title} /></span>
                      </button>`}
              </p>
            </li>`,
          )}
        </ul>
        <${Pager} page=${page} size=${SIZE} total=${data.total} onPage=${(p) => setQuery({ unread: onlyUnread ? "true" : "", page: p })} />`,
      html`<p>${t("bell.empty")}</p>`,
    )}`;
}
