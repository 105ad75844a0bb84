// Dữ liệu cá nhân (docs/auth.md, "Your data"): download everything the system holds about me as one ZIP
// archive, and close my account (the current password and an explicit confirmation; refused while a
// dossier of mine is still being handled, with the reason the server gives).
import { html, useState } from "../lib.js";
import { downloadFile, post } from "../api.js";
import { t, formatDateTime } from "../i18n.js";
import { navigate } from "../router.js";
import { clearSession } from "../session.js";
import { setFlash } from "../flash.js";
import { stopLive } from "../notifications.js";
import { PageHeading, ProblemAlert, Alert, Field, useForm, useTitle, announce } from "../components.js";
import { localProblem } from "./auth.js";

export function YourDataPage() {
  useTitle(t("data.title"));
  return html`<div class="narrow">
    <${PageHeading} sub=${t("data.lead")}>${t("data.title")}<//>
    <${ExportSection} />
    <${CloseSection} />
  </div>`;
}

function ExportSection() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  const download = async () => {
    setBusy(true);
    setError(null);
    setDone(false);
    announce(t("data.preparing"));
    try {
      await downloadFile("/auth/me/export", "du-lieu-ca-nhan.zip");
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card" aria-labelledby="data-export-h" data-testid="data-export">
    <h2 id="data-export-h">${t("data.exportTitle")}</h2>
    <p>${t("data.exportLead")}</p>
    <ul>
      ${["account", "dossiers", "notifications", "payments", "audit"].map((k) => html`<li key=${k}>${t(`data.part.${k}`)}</li>`)}
    </ul>
    ${done ? html`<${Alert} kind="success" testid="data-export-done">${t("data.exportDone")}<//>` : null}
    <${ProblemAlert} error=${error} prefix="data-export-" testid="data-export-problem" />
    <div class="actions">
      <button type="button" class="btn btn-primary" disabled=${busy} aria-busy=${busy ? "true" : undefined} onClick=${download} data-testid="data-export-button">
        ${busy ? t("data.preparing") : t("data.exportButton")}
      </button>
    </div>
  </section>`;
}

function CloseSection() {
  const { v, setV, set, fe, error, setError, busy, send } = useForm({ current_password: "", code: "", confirm: false });
  // Instead of the password (an account made through VNeID has none): a code to the confirmed phone.
  const [sent, setSent] = useState(null);
  const askCode = async () => {
    setError(null);
    try {
      const r = await post("/auth/me/close/code", {});
      setSent(r);
      announce(t("data.codeSent", { until: formatDateTime(r.expires_at) }));
    } catch (err) {
      setError(err);
    }
  };
  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      current_password: sent || v.current_password ? "" : t("auth.passwordRequired"),
      code: !sent || /^[0-9]{6}$/.test(v.code.trim()) ? "" : t("data.codeRequired"),
      confirm: v.confirm ? "" : t("data.confirmRequired"),
    });
    const body = sent ? { code: v.code.trim(), confirm: true } : { current_password: v.current_password, confirm: true };
    send(
      local,
      async () => {
        await post("/auth/me/close", body);
        stopLive();
        clearSession();
        setFlash("success", t("data.closed"));
        navigate("/", { replace: true });
      },
      { leaves: true },
    );
  };
  return html`<section class="card" aria-labelledby="data-close-h" data-testid="data-close">
    <h2 id="data-close-h">${t("data.closeTitle")}</h2>
    <p>${t("data.closeLead")}</p>
    <ul>
      <li>${t("data.closeErased")}</li>
      <li>${t("data.closeKept")}</li>
      <li>${t("data.closeInHand")}</li>
    </ul>
    <${ProblemAlert} error=${error} prefix="close-" testid="data-close-problem" />
    <form class="form" onSubmit=${submit} novalidate data-testid="close-form">
      ${sent
        ? html`<p data-testid="close-code-sent">${t("data.codeSent", { until: formatDateTime(sent.expires_at) })}</p>
            <${Field} id="close-code" label=${t("auth.code")} hint=${t("auth.codeHint")} value=${v.code} onInput=${set("code")} error=${fe.code} inputmode="numeric" maxlength="6" autocomplete="one-time-code" required data-testid="close-code" />`
        : html`<${Field} id="close-current_password" label=${t("account.currentPassword")} type="password" value=${v.current_password} onInput=${set("current_password")} error=${fe.current_password} autocomplete="current-password" required data-testid="close-password" />
            <p><button type="button" class="btn btn-small btn-secondary" onClick=${askCode} data-testid="close-ask-code">${t("data.askCode")}</button></p>`}
      <div class=${`field ${fe.confirm ? "field-error" : ""}`}>
        <div class="checkbox">
          <input type="checkbox" id="close-confirm" checked=${v.confirm} onChange=${(e) => setV({ ...v, confirm: e.target.checked })} aria-invalid=${fe.confirm ? "true" : undefined} aria-describedby=${fe.confirm ? "close-confirm-error" : undefined} data-testid="close-confirm" />
          <label for="close-confirm">${t("data.confirm")}</label>
        </div>
        ${fe.confirm ? html`<p class="error-msg" id="close-confirm-error"><span class="visually-hidden">${t("common.error")}: </span>${fe.confirm}</p>` : null}
      </div>
      <div class="actions"><button type="submit" class="btn btn-danger" disabled=${busy} data-testid="close-submit">${t("data.closeButton")}</button></div>
    </form>
  </section>`;
}
