// Tài khoản của tôi: the account's details; a new email or phone (the password asked again, the new
// address confirmed by the code sent to it); a new password (every session ends).
import { html, useState } from "../lib.js";
import { get, patch, post } from "../api.js";
import { t, formatDateTime } from "../i18n.js";
import { navigate } from "../router.js";
import { setUser, clearSession } from "../session.js";
import { setFlash } from "../flash.js";
import { stopLive } from "../notifications.js";
import { PageHeading, Loading, ProblemAlert, Alert, Field, Facts, useAsync, useForm, useTitle } from "../components.js";
import { localProblem, codeProblem, validPhone, validEmail, MIN_PASSWORD } from "./auth.js";
import { OrganisationsCard } from "./organisations.js";

export function AccountPage() {
  useTitle(t("account.title"));
  const [me, setMe] = useState(null);
  const loaded = useAsync(() => get("/auth/me").then((u) => (setMe(u), u)), []);
  if (!me) return loaded.error ? html`<${ProblemAlert} error=${loaded.error} />` : html`<${Loading} />`;
  const facts = [
    [t("person.fullName"), me.full_name],
    [t("person.citizenId"), me.citizen_id],
    [t("person.phone"), me.phone],
    [t("person.email"), me.email || t("account.none")],
    me.username ? [t("auth.username"), me.username] : null,
    me.roles.includes("citizen") ? [t("account.identity"), t(`account.identity${me.identity_level || 0}`)] : null,
    me.identity && me.identity.birth_date ? [t("account.birthDate"), me.identity.birth_date.split("-").reverse().join("/")] : null,
    me.identity && me.identity.address ? [t("account.address"), me.identity.address] : null,
  ].filter(Boolean);
  const changed = (u) => {
    setMe(u);
    setUser(u);
  };
  return html`<div class="narrow">
    <${PageHeading} sub=${t("account.lead")}>${t("account.title")}<//>
    <section class="card" aria-labelledby="acc-details"><h2 id="acc-details">${t("account.details")}</h2>
      <${Facts} items=${facts} testid="account-facts" />
    </section>
    ${me.pending.map((p) => html`<${ConfirmContact} key=${p.channel} pending=${p} onDone=${changed} />`)}
    ${me.roles.includes("citizen") ? html`<${OrganisationsCard} me=${me} />` : null}
    <${ContactForm} me=${me} onDone=${changed} />
    <${PasswordForm} />
  </div>`;
}

function ConfirmContact({ pending, onDone }) {
  const { v, set, fe, error, busy, send } = useForm({ code: "" });
  const id = `confirm-${pending.channel}`;
  const submit = (e) => {
    e.preventDefault();
    send(codeProblem(v.code), async () => {
      onDone(await post("/auth/me/contact/confirm", { channel: pending.channel, code: v.code.trim() }));
      setFlash("success", t("account.confirmed"));
    });
  };
  return html`<section class="card" aria-labelledby=${`${id}-h`} data-testid=${id}>
    <h2 id=${`${id}-h`}>${t(pending.channel === "email" ? "account.confirmEmail" : "account.confirmPhone")}</h2>
    <p>${t("account.codeSentTo", { to: pending.value, until: formatDateTime(pending.expires_at) })}</p>
    <${ProblemAlert} error=${error} prefix=${`${id}-`} />
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} id=${`${id}-code`} label=${t("auth.code")} hint=${t("auth.codeHint")} value=${v.code} onInput=${set("code")} error=${fe.code} inputmode="numeric" maxlength="6" autocomplete="one-time-code" required data-testid=${`${id}-code`} />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid=${`${id}-submit`}>${t("account.confirm")}</button></div>
    </form>
  </section>`;
}

function ContactForm({ me, onDone }) {
  const { v, setV, set, fe, error, busy, send } = useForm({ email: me.email || "", phone: me.phone || "", current_password: "" });
  const [done, setDone] = useState(false);
  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      email: !v.email.trim() || validEmail(v.email) ? "" : t("v.email"),
      phone: !me.phone || validPhone(v.phone) ? "" : t("v.phone"),
      current_password: v.current_password ? "" : t("auth.passwordRequired"),
    });
    const body = { current_password: v.current_password };
    if (v.email.trim() !== (me.email || "")) body.email = v.email.trim() || null;
    if (v.phone.trim() && v.phone.trim() !== me.phone) body.phone = v.phone.trim();
    send(local, async () => {
      onDone(await patch("/auth/me", body));
      setV({ ...v, current_password: "" });
      setDone(true);
    });
  };
  return html`<section class="card" aria-labelledby="acc-contact">
    <h2 id="acc-contact">${t("account.contact")}</h2>
    <p class="muted small">${t("account.contactLead")}</p>
    ${done ? html`<${Alert} kind="success" testid="contact-done">${t("account.contactSent")}<//>` : null}
    <${ProblemAlert} error=${error} prefix="acc-" />
    <form class="form" onSubmit=${submit} novalidate data-testid="contact-form">
      <${Field} id="acc-phone" label=${t("person.phone")} type="tel" value=${v.phone} onInput=${set("phone")} error=${fe.phone} autocomplete="tel" data-testid="acc-phone" />
      <${Field} id="acc-email" label=${t("person.emailOptional")} type="email" value=${v.email} onInput=${set("email")} error=${fe.email} autocomplete="email" data-testid="acc-email" />
      <${Field} id="acc-current_password" label=${t("account.currentPassword")} type="password" value=${v.current_password} onInput=${set("current_password")} error=${fe.current_password} autocomplete="current-password" required data-testid="acc-password" />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="contact-submit">${t("account.saveContact")}</button></div>
    </form>
  </section>`;
}

function PasswordForm() {
  const { v, set, fe, error, busy, send } = useForm({ current_password: "", new_password: "", confirm: "" });
  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      current_password: v.current_password ? "" : t("auth.passwordRequired"),
      new_password: v.new_password.length >= MIN_PASSWORD ? "" : t("v.password"),
      confirm: v.confirm === v.new_password ? "" : t("v.confirm"),
    });
    send(
      local,
      async () => {
        await post("/auth/password/change", { current_password: v.current_password, new_password: v.new_password });
        // Every session ended, this one too: sign in again with the new password.
        stopLive();
        clearSession();
        setFlash("success", t("account.passwordChanged"));
        navigate("/dang-nhap", { replace: true });
      },
      { leaves: true },
    );
  };
  return html`<section class="card" aria-labelledby="acc-password-h">
    <h2 id="acc-password-h">${t("account.password")}</h2>
    <${ProblemAlert} error=${error} prefix="pw-" />
    <form class="form" onSubmit=${submit} novalidate data-testid="password-form">
      <${Field} id="pw-current_password" label=${t("account.currentPassword")} type="password" value=${v.current_password} onInput=${set("current_password")} error=${fe.current_password} autocomplete="current-password" required />
      <${Field} id="pw-new_password" label=${t("auth.newPassword")} hint=${t("auth.passwordHint")} type="password" value=${v.new_password} onInput=${set("new_password")} error=${fe.new_password} autocomplete="new-password" required />
      <${Field} id="pw-confirm" label=${t("auth.confirm")} type="password" value=${v.confirm} onInput=${set("confirm")} error=${fe.confirm} autocomplete="new-password" required />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy}>${t("account.changePassword")}</button></div>
    </form>
  </section>`;
}
