// The web portal of Hải Phòng's online public services: the shell (header, navigation, footer), the
// routes and the signed-in session's life (profile, live notifications, expiry).
import { html, render, useStore, useEffect, useState, useRef } from "./lib.js";
import { t, useLang, setLang } from "./i18n.js";
import { route, navigate, match } from "./router.js";
import { session, hasRole, setUser, clearSession } from "./session.js";
import { get, post, onSessionExpired } from "./api.js";
import { Bell, startLive, stopLive, announcement } from "./notifications.js";
import { setFlash, flash } from "./flash.js";
import { PageHeading, Alert, DisclosureButton, useTitle, announce, viLang } from "./components.js";
import { registerWorker, online } from "./pwa.js";
import { clearDrafts } from "./drafts.js";

import { HomePage, SearchPage } from "./pages/home.js";
import { ProcedurePage } from "./pages/procedure.js";
import { LoginPage, RegisterPage, ForgotPage, ResetPage } from "./pages/auth.js";
import { NewDossierPage } from "./pages/wizard.js";
import { MyDossiersPage, DossierPage } from "./pages/dossiers.js";
import { TrackPage } from "./pages/track.js";
import { VerifyPage } from "./pages/verify.js";
import { NotificationsPage } from "./pages/notifications.js";
import { QueuePage, OfficerDossierPage } from "./pages/officer.js";
import { OfficersAdminPage, ProceduresAdminPage } from "./pages/admin.js";
import { AccountPage } from "./pages/account.js";
import { YourDataPage } from "./pages/yourdata.js";
import { VneidReturnPage } from "./pages/vneid.js";
import { AppSignInPage } from "./pages/oauth.js";
import { OrganisationPage } from "./pages/organisations.js";
import { PaymentReturnPage } from "./pages/payment.js";
import { ReportPage, ScorecardPage } from "./pages/reporting.js";
import { AuditPage } from "./pages/audit.js";

// path pattern, page, who may open it (null: everyone; "user": anyone signed in; a role, or a list of roles)
const ROUTES = [
  ["/", HomePage, null],
  ["/tim-kiem", SearchPage, null],
  ["/thu-tuc/:code", ProcedurePage, null],
  ["/tra-cuu", TrackPage, null],
  ["/xac-thuc", VerifyPage, null],
  ["/chi-so", ScorecardPage, null],
  ["/dang-nhap", LoginPage, null],
  ["/dang-nhap/vneid", VneidReturnPage, null],
  ["/dang-nhap/ung-dung", AppSignInPage, "user"],
  ["/dang-ky", RegisterPage, null],
  ["/quen-mat-khau", ForgotPage, null],
  ["/dat-lai-mat-khau", ResetPage, null],
  ["/nop-truc-tuyen/:code", NewDossierPage, "citizen"],
  ["/ho-so", MyDossiersPage, "citizen"],
  ["/ho-so/:id", DossierPage, "user"],
  ["/thong-bao", NotificationsPage, "user"],
  ["/tai-khoan", AccountPage, "user"],
  ["/du-lieu-ca-nhan", YourDataPage, "citizen"],
  ["/to-chuc/:id", OrganisationPage, "citizen"],
  ["/thanh-toan/ket-qua", PaymentReturnPage, "user"],
  ["/can-bo", QueuePage, "officer"],
  ["/can-bo/ho-so/:id", OfficerDossierPage, "officer"],
  ["/bao-cao", ReportPage, ["leader", "admin"]],
  ["/nhat-ky", AuditPage, ["auditor", "admin"]],
  ["/quan-tri/can-bo", OfficersAdminPage, "admin"],
  ["/quan-tri/thu-tuc", ProceduresAdminPage, "admin"],
];

function resolve(path) {
  for (const [pattern, Page, who] of ROUTES) {
    const params = match(pattern, path);
    if (params) return { Page, who, params, pattern };
  }
  return { Page: NotFoundPage, who: null, params: {}, pattern: "*" };
}

function NotFoundPage() {
  useTitle(t("notfound.title"));
  return html`<${PageHeading}>${t("notfound.title")}<//>
    <p>${t("notfound.text")}</p>
    <p><a href="/">${t("nav.home")}</a></p>`;
}

function ForbiddenPage() {
  useTitle(t("forbidden.title"));
  return html`<${PageHeading}>${t("forbidden.title")}<//>
    <p>${t("forbidden.text")}</p>
    <p><a href="/">${t("nav.home")}</a></p>`;
}

function Guard({ who, children }) {
  const s = useStore(session);
  const r = useStore(route);
  const allowed = !who || (s && (who === "user" || (Array.isArray(who) ? who.some((r) => hasRole(s, r)) : hasRole(s, who))));
  useEffect(() => {
    if (!s && who) navigate(`/dang-nhap?next=${encodeURIComponent(r.path + location.search)}`, { replace: true });
  }, [s, who]);
  if (!s && who) return null;
  if (!allowed) return html`<${ForbiddenPage} />`;
  return children;
}

function Emblem() {
  return html`<svg class="emblem" viewBox="0 0 48 48" width="44" height="44" aria-hidden="true" focusable="false">
    <circle cx="24" cy="24" r="23" fill="#c8102e" stroke="#ffd54f" stroke-width="2" />
    <path
      fill="#ffd54f"
      d="M24 9l3.6 10.9H39l-9.2 6.7 3.5 10.9L24 30.8l-9.3 6.7 3.5-10.9L9 19.9h11.4z"
    />
  </svg>`;
}

function Header({ s, path }) {
  const lang = useLang();
  const [open, setOpen] = useState(false);
  const toggle = useRef(null);
  useEffect(() => setOpen(false), [path]);
  // The phone menu closes with Escape, and the focus goes back to its button (not lost in the page).
  useEffect(() => {
    if (!open) return undefined;
    const onKey = (e) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      if (toggle.current) toggle.current.focus();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);
  const name = s && s.user ? s.user.full_name : "";
  // Signing in or registering from a page comes back to it: the sign-in page passes on its own `next`.
  const here = new URLSearchParams(location.search);
  const back = ["/dang-nhap", "/dang-ky", "/quen-mat-khau", "/dat-lai-mat-khau"].includes(path)
    ? here.get("next")
    : path !== "/"
      ? path + location.search
      : null;
  const nextQuery = back ? `?next=${encodeURIComponent(back)}` : "";
  const links = [
    ["/", t("nav.home"), "nav-home"],
    ["/tim-kiem", t("nav.procedures"), "nav-procedures"],
    ["/tra-cuu", t("nav.track"), "nav-track"],
  ];
  if (hasRole(s, "citizen")) links.push(["/ho-so", t("nav.myDossiers"), "nav-my-dossiers"]);
  if (hasRole(s, "citizen")) links.push(["/du-lieu-ca-nhan", t("nav.yourData"), "nav-your-data"]);
  if (hasRole(s, "officer")) links.push(["/can-bo", t("nav.queue"), "nav-queue"]);
  if (hasRole(s, "leader") || hasRole(s, "admin")) links.push(["/bao-cao", t("nav.reports"), "nav-reports"]);
  if (hasRole(s, "auditor") || hasRole(s, "admin")) links.push(["/nhat-ky", t("nav.audit"), "nav-audit"]);
  if (hasRole(s, "admin")) {
    links.push(["/quan-tri/can-bo", t("nav.adminOfficers"), "nav-admin-officers"]);
    links.push(["/quan-tri/thu-tuc", t("nav.adminProcedures"), "nav-admin-procedures"]);
  }
  const current = (href) =>
    href === "/" ? path === "/" : path === href || (path.startsWith(`${href}/`) && href !== "/ho-so") || (href === "/ho-so" && path.startsWith("/ho-so"));
  const logout = async () => {
    const sess = session.get();
    try {
      if (sess) await post("/auth/logout", { refresh_token: sess.refresh }, { auth: false });
    } catch {
      /* signed out here either way */
    }
    stopLive();
    clearDrafts(sess && sess.claims && sess.claims.sub); // step-1 drafts kept on this device (drafts.js)
    clearSession();
    setFlash("success", t("auth.loggedOut"));
    navigate("/");
  };
  return html`<header class="site-header">
    <div class="topbar">
      <div class="container topbar-inner">
        <a class="brand" href="/" data-testid="brand">
          <${Emblem} />
          <span class="brand-text">
            <span class="brand-line1">${t("app.brand1")}</span>
            <span class="brand-line2">${t("app.brand2")}</span>
          </span>
        </a>
        <div class="tools">
          <button
            type="button"
            class="btn-lang"
            lang=${lang === "vi" ? "en" : "vi"}
            onClick=${() => setLang(lang === "vi" ? "en" : "vi")}
            data-testid="lang-switch"
          >
            ${lang === "vi" ? "English" : "Tiếng Việt"}
          </button>
          ${s ? html`<${Bell} />` : null}
          ${s
            ? html`<a class="user-name" href="/tai-khoan" title=${t("account.title")} lang=${viLang()} data-testid="user-name">${name}</a>
                <button type="button" class="btn-header" onClick=${logout} data-testid="logout">${t("nav.logout")}</button>`
            : html`<a class="btn-header" href=${`/dang-nhap${nextQuery}`} data-testid="nav-login">${t("nav.login")}</a>
                <a class="btn-header btn-header-strong" href=${`/dang-ky${nextQuery}`} data-testid="nav-register">${t("nav.register")}</a>`}
          <${DisclosureButton} buttonRef=${toggle} class="nav-toggle" open=${open} controls="main-nav" onToggle=${() => setOpen(!open)} testid="nav-toggle">
            <span class="nav-toggle-bars" aria-hidden="true"></span>${t("nav.menu")}
          <//>
        </div>
      </div>
    </div>
    <nav id="main-nav" class=${`main-nav ${open ? "is-open" : ""}`} aria-label=${t("nav.label")}>
      <ul class="container">
        ${links.map(
          ([href, label, id]) =>
            html`<li><a href=${href} aria-current=${current(href) ? "page" : undefined} data-testid=${id}>${label}</a></li>`,
        )}
      </ul>
    </nav>
  </header>`;
}

function Footer() {
  useLang();
  return html`<footer class="site-footer">
    <div class="container footer-inner">
      <div>
        <p class="footer-title">${t("footer.owner")}</p>
        <p>${t("footer.address")}</p>
        <p>${t("footer.hotline")}</p>
      </div>
      <ul class="footer-links">
        <li><a href="/tra-cuu">${t("nav.track")}</a></li>
        <li><a href="/xac-thuc">${t("nav.verify")}</a></li>
        <li><a href="/chi-so" data-testid="footer-scorecard">${t("nav.scorecard")}</a></li>
        <li><a href="/tim-kiem">${t("nav.procedures")}</a></li>
        <li><a href="/api/docs/" data-native>${t("footer.api")}</a></li>
      </ul>
    </div>
  </footer>`;
}

function App() {
  const r = useStore(route);
  const s = useStore(session);
  useLang();
  const said = useStore(announcement);
  const f = useStore(flash);
  const isOnline = useStore(online);
  const first = useRef(true);
  const { Page, who, params } = resolve(r.path);

  // Focus the new page's heading after a navigation (not on the first load, not for a new query).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (location.hash) return;
    window.scrollTo(0, 0);
    // The new page's heading may have the focus already (PageHeading). A key pressed before the next
    // frame has moved it on (Tab to a field, then Enter): the frame leaves that focus where it is.
    const before = document.activeElement;
    requestAnimationFrame(() => {
      const now = document.activeElement;
      if (now && now !== before && now !== document.body) return;
      const h = document.querySelector("#main h1") || document.getElementById("main");
      if (h) h.focus({ preventScroll: true });
    });
  }, [r.path]);

  // A one-time message belongs to the page it was first shown on. It is said in the live region, which
  // is always in the page (a status box inserted with its text, above the heading that takes the focus,
  // is often not read out: "Đăng ký thành công" went unheard).
  useEffect(() => {
    if (!f) return;
    if (!f.shownAt) {
      f.shownAt = r.path;
      announce(f.text);
    } else if (f.shownAt !== r.path) flash.set(null);
  }, [r.path, f]);

  // Offline (the service worker shows the cached shell): said once when it happens, shown while it lasts.
  const wasOnline = useRef(isOnline);
  useEffect(() => {
    if (wasOnline.current !== isOnline) announce(t(isOnline ? "pwa.backOnline" : "pwa.offline"));
    wasOnline.current = isOnline;
  }, [isOnline]);

  return html`<div class="page">
    <a class="skip-link" href="#main" data-native data-testid="skip-link">${t("nav.skip")}</a>
    <${Header} s=${s} path=${r.path} />
    <main id="main" class="container main" tabindex="-1">
      ${isOnline ? null : html`<${Alert} kind="warning" testid="offline-banner" live=${false}>${t("pwa.offline")}<//>`}
      ${f ? html`<${Alert} kind=${f.kind} testid="flash" live=${false}>${f.text}<//>` : null}
      <${Guard} who=${who} key=${r.path}><${Page} ...${params} query=${r.query} /><//>
    </main>
    <${Footer} />
    <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="live-region">${said}</div>
  </div>`;
}

// The session's life: profile, live notifications, expiry.
let liveFor = null;
function onSession(s) {
  const key = s ? s.refresh : null;
  if (s && !s.user) {
    get("/auth/me")
      .then((u) => setUser(u))
      .catch(() => {});
  }
  if (key && key !== liveFor && liveFor === null) {
    liveFor = key;
    startLive();
  } else if (!key && liveFor !== null) {
    liveFor = null;
    stopLive();
  } else if (key) liveFor = key; // a refresh rotated the token: the stream goes on
}
session.subscribe(onSession);
onSession(session.get());

onSessionExpired(() => {
  setFlash("info", t("auth.expired"));
  const here = location.pathname + location.search;
  navigate(`/dang-nhap?next=${encodeURIComponent(here)}`, { replace: true });
});

render(html`<${App} />`, document.getElementById("app"));
registerWorker();
