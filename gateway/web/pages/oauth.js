// Đăng nhập ứng dụng (/dang-nhap/ung-dung): one of our native apps asks to sign in as the person (OAuth 2.0
// authorization code + PKCE; docs/mobile.md). The auth service sends the system browser here with the app's
// request in the query (GET /api/v1/auth/oauth/authorize checked the app and its redirect URI first). A
// signed-out person goes through the usual sign-in (the route needs a session: `?next=` brings them back);
// then the page names the app (from the service, never from the address, which anyone can write), the
// person allows or refuses, the service answers where the browser goes (the app's redirect URI with a code,
// or with error=access_denied), and the page goes there.
import { html, useState } from "../lib.js";
import { get, post } from "../api.js";
import { t, getLang } from "../i18n.js";
import { navigate } from "../router.js";
import { session, clearSession } from "../session.js";
import { PageHeading, ProblemAlert, Loading, useAsync, useTitle } from "../components.js";

// The authorization request's parameters, passed on as they came (the service checks them again).
const PARAMS = ["response_type", "client_id", "redirect_uri", "code_challenge", "code_challenge_method", "state", "scope"];

export function AppSignInPage({ query }) {
  useTitle(t("oauth.title"));
  const request = {};
  for (const k of PARAMS) if (query.get(k) !== null) request[k] = query.get(k);
  const app = useAsync(
    () => get(`/auth/oauth/clients/${encodeURIComponent(request.client_id || "-")}`, { query: { redirect_uri: request.redirect_uri }, auth: false }),
    [request.client_id, request.redirect_uri],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [leaving, setLeaving] = useState(false);
  const s = session.get();

  const answer = async (approve) => {
    setBusy(true);
    setError(null);
    try {
      const { redirect_to: target } = await post("/auth/oauth/authorize", { ...request, approve });
      setLeaving(true);
      location.assign(target);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  // Someone else's account is signed in on this browser: sign it out here, then sign in and come back.
  const another = async () => {
    try {
      if (s) await post("/auth/logout", { refresh_token: s.refresh }, { auth: false });
    } catch {
      /* signed out here either way */
    }
    clearSession();
    navigate(`/dang-nhap?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  };

  if (app.loading) return html`<${Loading} />`;
  if (app.error) {
    return html`<div class="narrow">
      <${PageHeading}>${t("oauth.title")}<//>
      <${ProblemAlert} error=${app.error} prefix="oauth-" />
      <p><a href="/" data-testid="oauth-home">${t("nav.home")}</a></p>
    </div>`;
  }
  const name = getLang() === "en" ? app.data.name_en || app.data.name : app.data.name;
  const who = s && s.user ? s.user.full_name : "";
  if (leaving) {
    return html`<div class="narrow">
      <${PageHeading}>${t("oauth.title")}<//>
      <p role="status" data-testid="oauth-leaving">${t("oauth.leaving", { name })}</p>
    </div>`;
  }
  return html`<div class="narrow">
    <${PageHeading} sub=${t("oauth.lead")}>${t("oauth.title")}<//>
    <${ProblemAlert} error=${error} prefix="oauth-" />
    <div class="card" data-testid="oauth-consent">
      <p class="lead" data-testid="oauth-question">${t("oauth.question", { name })}</p>
      <p>${t("oauth.grants")}</p>
      <ul>
        <li>${t("oauth.grant.dossiers")}</li>
        <li>${t("oauth.grant.notifications")}</li>
      </ul>
      <p class="hint">${t("oauth.never")}</p>
      ${who ? html`<p data-testid="oauth-account">${t("oauth.signedInAs", { name: who })}</p>` : null}
      <div class="actions">
        <button type="button" class="btn btn-primary" disabled=${busy} onClick=${() => answer(true)} data-testid="oauth-allow">
          ${busy ? t("common.wait") : t("oauth.allow")}
        </button>
        <button type="button" class="btn btn-secondary" disabled=${busy} onClick=${() => answer(false)} data-testid="oauth-deny">${t("oauth.deny")}</button>
        <button type="button" class="btn btn-link" disabled=${busy} onClick=${another} data-testid="oauth-another">${t("oauth.another")}</button>
      </div>
    </div>
  </div>`;
}
