// Đăng nhập, Đăng ký, Quên mật khẩu, Đặt lại mật khẩu.
import { html, useState } from "../lib.js";
import { post, get, ApiError } from "../api.js";
import { t } from "../i18n.js";
import { navigate } from "../router.js";
import { setTokens, setUser, session, homeFor } from "../session.js";
import { setFlash } from "../flash.js";
import { PageHeading, ProblemAlert, Field, useForm, useTitle, announce, describedBy } from "../components.js";
import { VneidButton } from "./vneid.js";
import { SecondFactorStep } from "./mfa.js";

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

/**
 * Where to go after signing in: a path of this portal, or null. `next` comes from the address, which
 * anyone can write into a link, so its text proves nothing: the URL parser turns "/\host", "/<tab>/host"
 * and the like into "//host", another site. It is resolved the way the browser would, and only a
 * same-origin result is kept, as a path (never the sign-in page again).
 */
/** The 6-digit code a person types from an SMS or email, checked before it is sent. */
export const codeProblem = (code) => localProblem({ code: /^\d{6}$/.test(code.trim()) ? "" : t("v.code") });

function safeNext(next) {
  if (!next) return null;
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return null;
  }
  // (The app sign-in page is the exception: a person signs in there to answer an app.)
  if (url.origin !== location.origin || (url.pathname.startsWith("/dang-nhap") && url.pathname !== "/dang-nhap/ung-dung")) return null;
  return url.pathname + url.search + url.hash;
}

/** `?next=…` (or `&next=…`) passing the sign-in's destination on through another page, or "". */
const withNext = (query, sep = "?") => (query.get("next") ? `${sep}next=${encodeURIComponent(query.get("next"))}` : "");

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
        aria-describedby=${describedBy(id, hint, error)}
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
  const { v, setV, set, fe, error, setError, busy, setBusy, send } = useForm({ username: query.get("u") || "", password: "" });
  // An officer's or administrator's right password: the second step (pages/mfa.js), with its ticket.
  const [challenge, setChallenge] = useState(null);

  const finish = async (tokens) => {
    setTokens(tokens.access_token, tokens.refresh_token);
    try {
      setUser(await get("/auth/me"));
    } catch {
      /* the name appears later */
    }
    navigate(safeNext(query.get("next")) || homeFor(session.get()), { replace: true });
  };

  // Back from the second step (the ticket expired or was given up): the password again, with why.
  const restart = (err) => {
    setChallenge(null);
    setV({ ...v, password: "" });
    setBusy(false);
    setError(err || null);
    setTimeout(() => document.getElementById(err ? "page-title" : "login-password")?.focus(), 0);
  };

  if (challenge) return html`<${SecondFactorStep} challenge=${challenge} onDone=${finish} onRestart=${restart} />`;

  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      username: v.username.trim() ? "" : t("auth.usernameRequired"),
      password: v.password ? "" : t("auth.passwordRequired"),
    });
    send(
      local,
      async () => {
        const tokens = await post("/auth/login", { username: v.username.trim(), password: v.password }, { auth: false });
        if (tokens.mfa) setChallenge(tokens);
        else await finish(tokens);
      },
      { leaves: true },
    );
  };

  return html`<div class="narrow">
    <${PageHeading} sub=${t("auth.loginLead")}>${t("auth.login")}<//>
    <${VneidButton} next=${safeNext(query.get("next"))} />
    <h2 class="or-heading">${t("vneid.or")}</h2>
    <${ProblemAlert} error=${error} prefix="login-" />
    <form class="card form" onSubmit=${submit} novalidate data-testid="login-form">
      <${Field}
        id="login-username"
        label=${t("auth.username")}
        hint=${t("auth.usernameHint")}
        value=${v.username}
        onInput=${set("username")}
        error=${fe.username}
        autocomplete="username"
        required
        data-testid="login-username"
      />
      <${PasswordField}
        id="login-password"
        label=${t("auth.password")}
        value=${v.password}
        onInput=${set("password")}
        error=${fe.password}
        autocomplete="current-password"
        testid="login-password"
      />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="login-submit">${busy ? t("common.wait") : t("auth.login")}</button>
        <a href="/quen-mat-khau" data-testid="forgot-link">${t("auth.forgot")}</a>
      </div>
      <p>${t("auth.noAccount")} <a href=${`/dang-ky${withNext(query)}`} data-testid="register-link">${t("auth.register")}</a></p>
    </form>
  </div>`;
}

export const MIN_PASSWORD = 12;

export function RegisterPage({ query }) {
  useTitle(t("auth.register"));
  const { v, set, fe, error, setError, busy, send } = useForm({ full_name: "", citizen_id: "", phone: "", email: "", password: "", confirm: "" });
  // Once the details are sent (the answer is the same for anyone): the code from the SMS.
  const [sent, setSent] = useState(null);
  const [code, setCode] = useState("");
  const body = () => {
    const b = { full_name: v.full_name.trim(), citizen_id: v.citizen_id.trim(), phone: v.phone.trim(), password: v.password };
    if (v.email.trim()) b.email = v.email.trim();
    return b;
  };

  const ask = (e) => {
    if (e) e.preventDefault();
    const local = localProblem({
      full_name: v.full_name.trim().length >= 2 ? "" : t("v.fullName"),
      citizen_id: validCitizenId(v.citizen_id) ? "" : t("v.citizenId"),
      phone: validPhone(v.phone) ? "" : t("v.phone"),
      email: !v.email.trim() || validEmail(v.email) ? "" : t("v.email"),
      password: v.password.length >= MIN_PASSWORD ? "" : t("v.password"),
      confirm: v.confirm === v.password ? "" : t("v.confirm"),
    });
    send(local, async () => {
      await post("/auth/register", body(), { auth: false });
      // The form and its button give way to the code's: the focus goes to the new heading (not the
      // page's body), and the sending is said (a resend too).
      if (!sent) setTimeout(() => document.getElementById("page-title")?.focus(), 0);
      announce(t("auth.registerSent"));
      setSent({ at: Date.now() });
      setCode("");
    });
  };

  const confirm = (e) => {
    e.preventDefault();
    send(
      codeProblem(code),
      async () => {
        const b = body();
        await post("/auth/register/confirm", { citizen_id: b.citizen_id, phone: b.phone, code: code.trim() }, { auth: false });
        setFlash("success", b.email ? `${t("auth.registered")} ${t("auth.emailCodeSent")}` : t("auth.registered"));
        navigate(`/dang-nhap?u=${encodeURIComponent(b.citizen_id)}${withNext(query, "&")}`, { replace: true });
      },
      { leaves: true },
    );
  };

  if (sent) {
    return html`<div class="narrow">
      <${PageHeading} sub=${t("auth.registerCodeLead")}>${t("auth.registerCode")}<//>
      <div class="alert alert-info" data-testid="register-sent"><p>${t("auth.registerSent")}</p></div>
      <${ProblemAlert} error=${error} prefix="regcode-" />
      <form class="card form" onSubmit=${confirm} novalidate data-testid="register-code-form">
        <${Field} id="regcode-code" label=${t("auth.code")} hint=${t("auth.codeHint")} value=${code} onInput=${(e) => setCode(e.target.value)} error=${fe.code} inputmode="numeric" maxlength="6" autocomplete="one-time-code" required data-testid="register-code" />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="register-confirm">${busy ? t("common.wait") : t("auth.registerConfirm")}</button>
          <button type="button" class="btn btn-secondary" disabled=${busy} onClick=${() => ask()} data-testid="register-resend">${t("auth.resendCode")}</button>
          <button type="button" class="btn btn-link" onClick=${() => (setSent(null), setError(null))} data-testid="register-edit">${t("auth.editDetails")}</button>
        </div>
      </form>
    </div>`;
  }

  return html`<div class="narrow">
    <${PageHeading} sub=${t("auth.registerLead")}>${t("auth.register")}<//>
    <${ProblemAlert} error=${error} prefix="reg-" />
    <form class="card form" onSubmit=${ask} novalidate data-testid="register-form">
      <p class="muted small">${t("common.requiredNote")}</p>
      <${Field} id="reg-full_name" label=${t("person.fullName")} value=${v.full_name} onInput=${set("full_name")} error=${fe.full_name} autocomplete="name" required data-testid="reg-full-name" />
      <${Field} id="reg-citizen_id" label=${t("person.citizenId")} hint=${t("person.citizenIdHint")} value=${v.citizen_id} onInput=${set("citizen_id")} error=${fe.citizen_id} inputmode="numeric" maxlength="12" autocomplete="off" required data-testid="reg-citizen-id" />
      <${Field} id="reg-phone" label=${t("person.phone")} hint=${t("auth.phoneCodeHint")} type="tel" value=${v.phone} onInput=${set("phone")} error=${fe.phone} autocomplete="tel" required data-testid="reg-phone" />
      <${Field} id="reg-email" label=${t("person.emailOptional")} type="email" value=${v.email} onInput=${set("email")} error=${fe.email} autocomplete="email" data-testid="reg-email" />
      <${PasswordField} id="reg-password" label=${t("auth.password")} hint=${t("auth.passwordHint")} value=${v.password} onInput=${set("password")} error=${fe.password} autocomplete="new-password" testid="reg-password" />
      <${PasswordField} id="reg-confirm" label=${t("auth.confirm")} value=${v.confirm} onInput=${set("confirm")} error=${fe.confirm} autocomplete="new-password" testid="reg-confirm" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="register-submit">${busy ? t("common.wait") : t("auth.registerButton")}</button>
      </div>
      <p>${t("auth.haveAccount")} <a href=${`/dang-nhap${withNext(query)}`}>${t("auth.login")}</a></p>
    </form>
  </div>`;
}

export function ForgotPage() {
  useTitle(t("auth.forgotTitle"));
  const { v, set, fe, error, busy, send } = useForm({ username: "" });
  const [done, setDone] = useState("");
  const submit = (e) => {
    e.preventDefault();
    send(localProblem({ username: v.username.trim() ? "" : t("auth.usernameRequired") }), async () => {
      const r = await post("/auth/password/forgot", { username: v.username.trim() }, { auth: false });
      setDone((r && r.detail) || t("auth.codeSent"));
    });
  };
  return html`<div class="narrow">
    <${PageHeading} sub=${t("auth.forgotLead")}>${t("auth.forgotTitle")}<//>
    <${ProblemAlert} error=${error} prefix="forgot-" />
    ${done
      ? html`<div class="alert alert-success" role="status" data-testid="forgot-done">
          <p>${done}</p>
          <p><a href=${`/dat-lai-mat-khau?u=${encodeURIComponent(v.username.trim())}`} data-testid="to-reset">${t("auth.enterCode")}</a></p>
        </div>`
      : html`<form class="card form" onSubmit=${submit} novalidate data-testid="forgot-form">
          <${Field} id="forgot-username" label=${t("auth.username")} hint=${t("auth.usernameHint")} value=${v.username} onInput=${set("username")} error=${fe.username} autocomplete="username" required data-testid="forgot-username" />
          <div class="actions">
            <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="forgot-submit">${t("auth.sendCode")}</button>
            <a href="/dat-lai-mat-khau">${t("auth.haveCode")}</a>
          </div>
        </form>`}
  </div>`;
}

export function ResetPage({ query }) {
  useTitle(t("auth.resetTitle"));
  const { v, set, fe, error, busy, send } = useForm({ username: query.get("u") || "", code: "", password: "", confirm: "" });
  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      username: v.username.trim() ? "" : t("auth.usernameRequired"),
      code: /^\d{6}$/.test(v.code.trim()) ? "" : t("v.code"),
      new_password: v.password.length >= MIN_PASSWORD ? "" : t("v.password"),
      confirm: v.confirm === v.password ? "" : t("v.confirm"),
    });
    send(
      local,
      async () => {
        await post("/auth/password/reset", { username: v.username.trim(), code: v.code.trim(), new_password: v.password }, { auth: false });
        setFlash("success", t("auth.resetDone"));
        navigate(`/dang-nhap?u=${encodeURIComponent(v.username.trim())}`, { replace: true });
      },
      { leaves: true },
    );
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
