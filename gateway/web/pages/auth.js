// Đăng nhập, Đăng ký, Quên mật khẩu, Đặt lại mật khẩu.
import { html, useState } from "../lib.js";
import { post, get, ApiError } from "../api.js";
import { t } from "../i18n.js";
import { navigate } from "../router.js";
import { setTokens, setUser, session, homeFor } from "../session.js";
import { setFlash } from "../flash.js";
import { PageHeading, ProblemAlert, Field, useTitle } from "../components.js";

const CITIZEN_ID = /^\d{12}$/;
const PHONE = /^(?:\+84|84|0)[35789]\d{8}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const validPhone = (v) => PHONE.test(String(v || "").replace(/[\s.\-()]/g, ""));
export const validCitizenId = (v) => CITIZEN_ID.test(String(v || "").trim());
export const validEmail = (v) => EMAIL.test(String(v || "").trim());

/** A client-side validation failure shaped like the server's problem, so one alert shows both. */
export function localProblem(fields) {
  const entries = Object.entries(fields).filter(([, v]) => v);
  if (!entries.length) return null;
  return new ApiError(422, {
    code: "validation-error",
    title: t("error.check"),
    errors: entries.map(([field, message]) => ({ field, message })),
  });
}

function safeNext(next) {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/dang-nhap") ? next : null;
}

function PasswordField({ id, label, value, onInput, error, autocomplete, hint, testid }) {
  const [shown, setShown] = useState(false);
  return html`<${Field} id=${id} label=${label} error=${error} hint=${hint} required>
    <div class="input-with-button">
      <input
        id=${id}
        type=${shown ? "text" : "password"}
        value=${value}
        onInput=${onInput}
        required
        aria-required="true"
        autocomplete=${autocomplete}
        aria-invalid=${error ? "true" : undefined}
        aria-describedby=${[hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined}
        data-testid=${testid}
      />
      <button type="button" class="btn btn-secondary" aria-pressed=${shown ? "true" : "false"} aria-controls=${id} onClick=${() => setShown(!shown)}>
        ${shown ? t("auth.hide") : t("auth.show")}<span class="visually-hidden"> ${label}</span>
      </button>
    </div>
  <//>`;
}

export function LoginPage({ query }) {
  useTitle(t("auth.login"));
  const [username, setUsername] = useState(query.get("u") || "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};

  const submit = async (e) => {
    e.preventDefault();
    const local = localProblem({
      username: username.trim() ? "" : t("auth.usernameRequired"),
      password: password ? "" : t("auth.passwordRequired"),
    });
    if (local) return setError(local);
    setBusy(true);
    setError(null);
    try {
      const tokens = await post("/auth/login", { username: username.trim(), password }, { auth: false });
      setTokens(tokens.access_token, tokens.refresh_token);
      try {
        setUser(await get("/auth/me"));
      } catch {
        /* the name appears later */
      }
      navigate(safeNext(query.get("next")) || homeFor(session.get()), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return html`<div class="narrow">
    <${PageHeading} sub=${t("auth.loginLead")}>${t("auth.login")}<//>
    <${ProblemAlert} error=${error} prefix="login-" />
    <form class="card form" onSubmit=${submit} novalidate data-testid="login-form">
      <${Field}
        id="login-username"
        label=${t("auth.username")}
        hint=${t("auth.usernameHint")}
        value=${username}
        onInput=${(e) => setUsername(e.target.value)}
        error=${fe.username}
        autocomplete="username"
        required
        data-testid="login-username"
      />
      <${PasswordField}
        id="login-password"
        label=${t("auth.password")}
        value=${password}
        onInput=${(e) => setPassword(e.target.value)}
        error=${fe.password}
        autocomplete="current-password"
        testid="login-password"
      />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="login-submit">${busy ? t("common.wait") : t("auth.login")}</button>
        <a href="/quen-mat-khau" data-testid="forgot-link">${t("auth.forgot")}</a>
      </div>
      <p>${t("auth.noAccount")} <a href="/dang-ky">${t("auth.register")}</a></p>
    </form>
  </div>`;
}

export function RegisterPage() {
  useTitle(t("auth.register"));
  const [v, setV] = useState({ full_name: "", citizen_id: "", phone: "", email: "", password: "", confirm: "" });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  const set = (k) => (e) => setV({ ...v, [k]: e.target.value });

  const submit = async (e) => {
    e.preventDefault();
    const local = localProblem({
      full_name: v.full_name.trim().length >= 2 ? "" : t("v.fullName"),
      citizen_id: validCitizenId(v.citizen_id) ? "" : t("v.citizenId"),
      phone: validPhone(v.phone) ? "" : t("v.phone"),
      email: !v.email.trim() || validEmail(v.email) ? "" : t("v.email"),
      password: v.password.length >= 8 ? "" : t("v.password"),
      confirm: v.confirm === v.password ? "" : t("v.confirm"),
    });
    if (local) return setError(local);
    setBusy(true);
    setError(null);
    try {
      const body = { full_name: v.full_name.trim(), citizen_id: v.citizen_id.trim(), phone: v.phone.trim(), password: v.password };
      if (v.email.trim()) body.email = v.email.trim();
      await post("/auth/register", body, { auth: false });
      setFlash("success", t("auth.registered"));
      navigate(`/dang-nhap?u=${encodeURIComponent(body.citizen_id)}`, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return html`<div class="narrow">
    <${PageHeading} sub=${t("auth.registerLead")}>${t("auth.register")}<//>
    <${ProblemAlert} error=${error} prefix="reg-" />
    <form class="card form" onSubmit=${submit} novalidate data-testid="register-form">
      <p class="muted small">${t("common.requiredNote")}</p>
      <${Field} id="reg-full_name" label=${t("person.fullName")} value=${v.full_name} onInput=${set("full_name")} error=${fe.full_name} autocomplete="name" required data-testid="reg-full-name" />
      <${Field} id="reg-citizen_id" label=${t("person.citizenId")} hint=${t("person.citizenIdHint")} value=${v.citizen_id} onInput=${set("citizen_id")} error=${fe.citizen_id} inputmode="numeric" maxlength="12" autocomplete="off" required data-testid="reg-citizen-id" />
      <${Field} id="reg-phone" label=${t("person.phone")} hint=${t("person.phoneHint")} type="tel" value=${v.phone} onInput=${set("phone")} error=${fe.phone} autocomplete="tel" required data-testid="reg-phone" />
      <${Field} id="reg-email" label=${t("person.emailOptional")} type="email" value=${v.email} onInput=${set("email")} error=${fe.email} autocomplete="email" data-testid="reg-email" />
      <${PasswordField} id="reg-password" label=${t("auth.password")} hint=${t("auth.passwordHint")} value=${v.password} onInput=${set("password")} error=${fe.password} autocomplete="new-password" testid="reg-password" />
      <${PasswordField} id="reg-confirm" label=${t("auth.confirm")} value=${v.confirm} onInput=${set("confirm")} error=${fe.confirm} autocomplete="new-password" testid="reg-confirm" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="register-submit">${busy ? t("common.wait") : t("auth.registerButton")}</button>
      </div>
      <p>${t("auth.haveAccount")} <a href="/dang-nhap">${t("auth.login")}</a></p>
    </form>
  </div>`;
}

export function ForgotPage() {
  useTitle(t("auth.forgotTitle"));
  const [username, setUsername] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  const submit = async (e) => {
    e.preventDefault();
    const local = localProblem({ username: username.trim() ? "" : t("auth.usernameRequired") });
    if (local) return setError(local);
    setBusy(true);
    setError(null);
    try {
      const r = await post("/auth/password/forgot", { username: username.trim() }, { auth: false });
      setDone((r && r.detail) || t("auth.codeSent"));
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<div class="narrow">
    <${PageHeading} sub=${t("auth.forgotLead")}>${t("auth.forgotTitle")}<//>
    <${ProblemAlert} error=${error} prefix="forgot-" />
    ${done
      ? html`<div class="alert alert-success" role="status" data-testid="forgot-done">
          <p>${done}</p>
          <p><a href=${`/dat-lai-mat-khau?u=${encodeURIComponent(username.trim())}`} data-testid="to-reset">${t("auth.enterCode")}</a></p>
        </div>`
      : html`<form class="card form" onSubmit=${submit} novalidate data-testid="forgot-form">
          <${Field} id="forgot-username" label=${t("auth.username")} hint=${t("auth.usernameHint")} value=${username} onInput=${(e) => setUsername(e.target.value)} error=${fe.username} autocomplete="username" required data-testid="forgot-username" />
          <div class="actions">
            <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="forgot-submit">${t("auth.sendCode")}</button>
            <a href="/dat-lai-mat-khau">${t("auth.haveCode")}</a>
          </div>
        </form>`}
  </div>`;
}

export function ResetPage({ query }) {
  useTitle(t("auth.resetTitle"));
  const [v, setV] = useState({ username: query.get("u") || "", code: "", password: "", confirm: "" });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  const set = (k) => (e) => setV({ ...v, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const local = localProblem({
      username: v.username.trim() ? "" : t("auth.usernameRequired"),
      code: /^\d{6}$/.test(v.code.trim()) ? "" : t("v.code"),
      new_password: v.password.length >= 8 ? "" : t("v.password"),
      confirm: v.confirm === v.password ? "" : t("v.confirm"),
    });
    if (local) return setError(local);
    setBusy(true);
    setError(null);
    try {
      await post("/auth/password/reset", { username: v.username.trim(), code: v.code.trim(), new_password: v.password }, { auth: false });
      setFlash("success", t("auth.resetDone"));
      navigate(`/dang-nhap?u=${encodeURIComponent(v.username.trim())}`, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<div class="narrow">
    <${PageHeading} sub=${t("auth.resetLead")}>${t("auth.resetTitle")}<//>
    <${ProblemAlert} error=${error} prefix="reset-" />
    <form class="card form" onSubmit=${submit} novalidate data-testid="reset-form">
      <${Field} id="reset-username" label=${t("auth.username")} value=${v.username} onInput=${set("username")} error=${fe.username} autocomplete="username" required data-testid="reset-username" />
      <${Field} id="reset-code" label=${t("auth.code")} hint=${t("auth.codeHint")} value=${v.code} onInput=${set("code")} error=${fe.code} inputmode="numeric" maxlength="6" autocomplete="one-time-code" required data-testid="reset-code" />
      <${PasswordField} id="reset-new_password" label=${t("auth.newPassword")} hint=${t("auth.passwordHint")} value=${v.password} onInput=${set("password")} error=${fe.new_password} autocomplete="new-password" testid="reset-password" />
      <${PasswordField} id="reset-confirm" label=${t("auth.confirm")} value=${v.confirm} onInput=${set("confirm")} error=${fe.confirm} autocomplete="new-password" testid="reset-confirm" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="reset-submit">${t("auth.resetButton")}</button>
      </div>
    </form>
  </div>`;
}
