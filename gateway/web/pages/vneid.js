// Đăng nhập bằng tài khoản định danh điện tử VNeID: the button (first on the sign-in page) and the page
// the auth service sends the browser back to (/dang-nhap/vneid), with the outcome in the URL's fragment:
// #vneid=<ticket> (exchanged for tokens), #vneid_link=<ticket> (a self-registered account holds this
// citizen ID: its password links it), #vneid_error=<reason>. The fragment never reaches a server; the
// page removes it from the address at once, so the ticket is not left in the history.
import { html, useState, useEffect } from "../lib.js";
import { post, get } from "../api.js";
import { t } from "../i18n.js";
import { navigate } from "../router.js";
import { setTokens, setUser, session, homeFor } from "../session.js";
import { PageHeading, ProblemAlert, Alert, Field, useForm, useTitle } from "../components.js";

const NEXT = "dvc.vneid.next";
const REASONS = ["invalid-state", "denied", "provider-down", "provider-error", "rejected", "no-identity", "staff-account", "identity-conflict", "account-locked"];

/** The button: the whole page goes to the provider (through the auth service), `next` kept for after. */
export function VneidButton({ next }) {
  const go = () => {
    if (next) sessionStorage.setItem(NEXT, next);
    else sessionStorage.removeItem(NEXT);
  };
  return html`<div class="card vneid-card">
    <a class="btn btn-primary btn-vneid" href="/api/v1/auth/oidc/vneid/authorize" onClick=${go} data-testid="vneid-login">
      ${t("vneid.button")}
    </a>
    <p class="hint">${t("vneid.lead")}</p>
  </div>`;
}

function takeFragment() {
  const values = new URLSearchParams(location.hash.slice(1));
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  return values;
}

async function signedIn(tokens) {
  setTokens(tokens.access_token, tokens.refresh_token);
  try {
    setUser(await get("/auth/me"));
  } catch {
    /* the name appears later */
  }
  const next = sessionStorage.getItem(NEXT);
  sessionStorage.removeItem(NEXT);
  // Only a path of this portal (the sign-in page checks `next` the same way before keeping it).
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : homeFor(session.get()), { replace: true });
}

export function VneidReturnPage() {
  useTitle(t("vneid.title"));
  const [outcome] = useState(takeFragment);
  const ticket = outcome.get("vneid");
  const link = outcome.get("vneid_link");
  const reason = outcome.get("vneid_error");
  const [failed, setFailed] = useState(null);

  useEffect(() => {
    if (!ticket) return;
    post("/auth/oidc/vneid/token", { ticket }, { auth: false }).then(signedIn, setFailed);
  }, []);

  if (link) return html`<${LinkForm} ticket=${link} />`;
  const known = REASONS.includes(reason) ? reason : "unknown";
  return html`<div class="narrow">
    <${PageHeading}>${t("vneid.title")}<//>
    ${ticket && !failed ? html`<p role="status" data-testid="vneid-wait">${t("vneid.signingIn")}</p>` : null}
    ${failed ? html`<${ProblemAlert} error=${failed} prefix="vneid-" />` : null}
    ${reason
      ? html`<${Alert} kind="error" testid="vneid-error">${t(`vneid.error.${known}`)}<//>`
      : null}
    ${failed || reason || (!ticket && !link)
      ? html`<p><a href="/dang-nhap" data-testid="vneid-back">${t("vneid.back")}</a></p>`
      : null}
  </div>`;
}

function LinkForm({ ticket }) {
  const { v, set, fe, error, busy, send } = useForm({ password: "" });
  const submit = (e) => {
    e.preventDefault();
    send(null, async () => signedIn(await post("/auth/oidc/vneid/link", { ticket, password: v.password }, { auth: false })), {
      leaves: true,
    });
  };
  return html`<div class="narrow">
    <${PageHeading} sub=${t("vneid.linkLead")}>${t("vneid.linkTitle")}<//>
    <${ProblemAlert} error=${error} prefix="vneid-link-" />
    <form class="card form" onSubmit=${submit} novalidate data-testid="vneid-link-form">
      <${Field}
        id="vneid-link-password"
        type="password"
        label=${t("auth.password")}
        value=${v.password}
        onInput=${set("password")}
        error=${fe.password}
        autocomplete="current-password"
        required
        data-testid="vneid-link-password"
      />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="vneid-link-submit">
          ${busy ? t("common.wait") : t("vneid.linkSubmit")}
        </button>
        <a href="/dang-nhap">${t("vneid.back")}</a>
      </div>
    </form>
  </div>`;
}
