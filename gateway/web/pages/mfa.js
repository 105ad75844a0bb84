// Xác thực hai bước: an officer's or administrator's second step after the password (docs/auth.md).
// On the first sign-in the enrolment: the key as a QR code and as text, the recovery codes to keep, then
// a first code; later a code from the authenticator app, or a recovery code.
import { html, useState, useEffect, loadQr } from "../lib.js";
import { post } from "../api.js";
import { t } from "../i18n.js";
import { PageHeading, ProblemAlert, Field, Loading, useForm, useTitle, announce } from "../components.js";
import { localProblem } from "./auth.js";

const TOTP = /^\d{6}$/;
const RECOVERY = /^[a-z0-9]{5}[\s-]?[a-z0-9]{5}$/i;

/** A base32 key in groups of four, as people type it into an app. */
export const grouped = (secret) => (secret.match(/.{1,4}/g) || []).join(" ");

/**
 * The second step. `challenge` is the answer to the password ({mfa: "enrol" | "totp", mfa_token});
 * `onDone(tokens)` signs in; `onRestart(error?)` goes back to the password (the ticket is gone).
 */
export function SecondFactorStep({ challenge, onDone, onRestart }) {
  const enrol = challenge.mfa === "enrol";
  useTitle(t(enrol ? "mfa.enrolTitle" : "mfa.title"));
  const { v, setV, set, fe, error, setError, busy, send } = useForm({ code: "" });
  const [recovery, setRecovery] = useState(false);
  const [made, setMade] = useState(null); // {secret, otpauth_uri, recovery_codes}
  const [qr, setQr] = useState("");

  useEffect(() => {
    // The password's form and its button are gone: the focus goes to the new heading, and the step is said.
    setTimeout(() => document.getElementById("page-title")?.focus(), 0);
    announce(t(enrol ? "mfa.enrolTitle" : "mfa.title"));
    if (!enrol) return;
    post("/auth/mfa/totp", { mfa_token: challenge.mfa_token }, { auth: false })
      .then((m) => {
        setMade(m);
        // The QR code is a help, not a need: without it the key is typed in.
        loadQr()
          .then((encode) => setQr(encode(m.otpauth_uri, "data-url", { scale: 5, border: 4, ecc: "medium" })))
          .catch(() => setQr(""));
      })
      .catch((err) => (err.code === "invalid-mfa-ticket" ? onRestart(err) : setError(err)));
  }, [challenge.mfa_token]);

  const submit = (e) => {
    e.preventDefault();
    const code = v.code.trim();
    const local = localProblem({ code: (recovery ? RECOVERY : TOTP).test(code) ? "" : t(recovery ? "mfa.v.recovery" : "mfa.v.code") });
    send(
      local,
      async () => {
        const path = enrol ? "/auth/mfa/totp/verify" : "/auth/login/mfa";
        let tokens;
        try {
          tokens = await post(path, { mfa_token: challenge.mfa_token, code }, { auth: false });
        } catch (err) {
          if (err.code === "invalid-mfa-ticket" || err.status === 429) return onRestart(err);
          setV({ code: "" });
          throw err;
        }
        await onDone(tokens);
      },
      { leaves: true },
    );
  };

  const toggle = () => {
    setRecovery(!recovery);
    setV({ code: "" });
    setError(null);
    setTimeout(() => document.getElementById("mfa-code")?.focus(), 0);
  };

  const codeField = recovery
    ? html`<${Field}
        id="mfa-code"
        label=${t("mfa.recoveryCode")}
        hint=${t("mfa.recoveryCodeHint")}
        value=${v.code}
        onInput=${set("code")}
        error=${fe.code}
        autocomplete="off"
        autocapitalize="none"
        spellcheck="false"
        maxlength="11"
        required
        data-testid="mfa-code"
      />`
    : html`<${Field}
        id="mfa-code"
        label=${t("mfa.code")}
        hint=${t("mfa.codeHint")}
        value=${v.code}
        onInput=${set("code")}
        error=${fe.code}
        inputmode="numeric"
        autocomplete="one-time-code"
        maxlength="6"
        required
        data-testid="mfa-code"
      />`;
  const actions = html`<div class="actions">
    <button type="submit" class="btn btn-primary" disabled=${busy || (enrol && !made)} data-testid="mfa-submit">
      ${busy ? t("common.wait") : t(enrol ? "mfa.finish" : "mfa.confirm")}
    </button>
    ${enrol
      ? null
      : html`<button type="button" class="btn btn-link" onClick=${toggle} data-testid="mfa-use-recovery">
          ${t(recovery ? "mfa.useApp" : "mfa.useRecovery")}
        </button>`}
    <button type="button" class="btn btn-link" onClick=${() => onRestart(null)} data-testid="mfa-cancel">${t("mfa.restart")}</button>
  </div>`;

  if (!enrol) {
    return html`<div class="narrow">
      <${PageHeading} sub=${t("mfa.lead")}>${t("mfa.title")}<//>
      <${ProblemAlert} error=${error} prefix="mfa-" />
      <form class="card form" onSubmit=${submit} novalidate data-testid="mfa-form">${codeField}${actions}</form>
    </div>`;
  }

  return html`<div class="narrow">
    <${PageHeading} sub=${t("mfa.enrolLead")}>${t("mfa.enrolTitle")}<//>
    <${ProblemAlert} error=${error} prefix="mfa-" />
    ${made
      ? html`<section class="card" aria-labelledby="mfa-app-title" data-testid="mfa-enrol">
            <h2 id="mfa-app-title">${t("mfa.appTitle")}</h2>
            <p>${t("mfa.appHelp")}</p>
            ${qr ? html`<p class="qr"><img src=${qr} alt=${t("mfa.qrAlt")} data-testid="mfa-qr" /></p>` : null}
            <p>${t("mfa.manual")}</p>
            <p><code class="mfa-secret" data-testid="mfa-secret">${grouped(made.secret)}</code></p>
            <p class="muted small">${t("mfa.manualHint")}</p>
            <details>
              <summary>${t("mfa.uri")}</summary>
              <p><code class="mfa-uri" data-testid="mfa-uri">${made.otpauth_uri}</code></p>
            </details>
          </section>
          <section class="card" aria-labelledby="mfa-recovery-title">
            <h2 id="mfa-recovery-title">${t("mfa.recoveryTitle")}</h2>
            <p>${t("mfa.recoveryHelp")}</p>
            <ol class="recovery-codes" data-testid="mfa-recovery-codes">
              ${made.recovery_codes.map((c) => html`<li><code>${c}</code></li>`)}
            </ol>
          </section>`
      : error
        ? null
        : html`<${Loading} />`}
    <form class="card form" onSubmit=${submit} novalidate data-testid="mfa-form" aria-labelledby="mfa-confirm-title">
      <h2 id="mfa-confirm-title">${t("mfa.confirmTitle")}</h2>
      ${codeField}${actions}
    </form>
  </div>`;
}
