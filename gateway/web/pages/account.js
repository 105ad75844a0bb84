// Tài khoản của tôi: the account's details; a new email or phone (the password asked again, the new
// address confirmed by the code sent to it); a new password (every other session ends); the signed-in
// devices ("Thiết bị đăng nhập"), each ended from here, or all but this one.
import { html, useState } from "../lib.js";
import { get, patch, post, del } from "../api.js";
import { t, formatDateTime, useLang } from "../i18n.js";
import { navigate } from "../router.js";
import { setUser, clearSession } from "../session.js";
import { setFlash } from "../flash.js";
import { stopLive } from "../notifications.js";
import { PageHeading, Loading, ProblemAlert, Alert, Field, Facts, DataTable, showList, useAsync, useForm, useTitle, announce } from "../components.js";
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
  // A new password signs the other devices out: their list is read again.
  const [devicesSeen, setDevicesSeen] = useState(0);
  return html`<div class="narrow">
    <${PageHeading} sub=${t("account.lead")}>${t("account.title")}<//>
    <section class="card" aria-labelledby="acc-details"><h2 id="acc-details">${t("account.details")}</h2>
      <${Facts} items=${facts} testid="account-facts" />
    </section>
    ${me.pending.map((p) => html`<${ConfirmContact} key=${p.channel} pending=${p} onDone=${changed} />`)}
    ${me.roles.includes("citizen") ? html`<${OrganisationsCard} me=${me} />` : null}
    <${ContactForm} me=${me} onDone=${changed} />
    <${PasswordForm} onDone=${() => setDevicesSeen((n) => n + 1)} />
    <${DevicesSection} seen=${devicesSeen} />
    ${me.roles.includes("citizen")
      ? html`<section class="card" aria-labelledby="acc-data-h">
          <h2 id="acc-data-h">${t("data.title")}</h2>
          <p>${t("data.lead")}</p>
          <p><a href="/du-lieu-ca-nhan" data-testid="account-your-data">${t("data.title")}</a></p>
        </section>`
      : null}
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

function PasswordForm({ onDone }) {
  const { v, setV, set, fe, error, busy, send } = useForm({ current_password: "", new_password: "", confirm: "" });
  const [done, setDone] = useState(false);
  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      current_password: v.current_password ? "" : t("auth.passwordRequired"),
      new_password: v.new_password.length >= MIN_PASSWORD ? "" : t("v.password"),
      confirm: v.confirm === v.new_password ? "" : t("v.confirm"),
    });
    setDone(false);
    send(local, async () => {
      await post("/auth/password/change", { current_password: v.current_password, new_password: v.new_password });
      // Every other session ended; this one goes on.
      setV({ current_password: "", new_password: "", confirm: "" });
      setDone(true);
      onDone();
    });
  };
  return html`<section class="card" aria-labelledby="acc-password-h">
    <h2 id="acc-password-h">${t("account.password")}</h2>
    ${done ? html`<${Alert} kind="success" testid="password-done" focus=${true}>${t("account.passwordChanged")}<//>` : null}
    <${ProblemAlert} error=${error} prefix="pw-" />
    <form class="form" onSubmit=${submit} novalidate data-testid="password-form">
      <${Field} id="pw-current_password" label=${t("account.currentPassword")} type="password" value=${v.current_password} onInput=${set("current_password")} error=${fe.current_password} autocomplete="current-password" required />
      <${Field} id="pw-new_password" label=${t("auth.newPassword")} hint=${t("auth.passwordHint")} type="password" value=${v.new_password} onInput=${set("new_password")} error=${fe.new_password} autocomplete="new-password" required />
      <${Field} id="pw-confirm" label=${t("auth.confirm")} type="password" value=${v.confirm} onInput=${set("confirm")} error=${fe.confirm} autocomplete="new-password" required />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy}>${t("account.changePassword")}</button></div>
    </form>
  </section>`;
}

// Thiết bị đăng nhập: every session of the account (a sign-in, until it signs out or is ended), this one
// first. Ending this one signs this tab out; ending the others signs them out at their next request.
function DevicesSection({ seen }) {
  const lang = useLang();
  const list = useAsync(() => get("/auth/sessions"), [lang, seen]);
  const [done, setDone] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const act = async (work) => {
    setBusy(true);
    setError(null);
    setDone("");
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const endOne = (s) =>
    act(async () => {
      await del(`/auth/sessions/${s.id}`);
      if (s.current) {
        stopLive();
        clearSession();
        setFlash("success", t("devices.signedOutHere"));
        navigate("/dang-nhap", { replace: true });
        return;
      }
      const text = t("devices.endedOne", { device: s.device });
      setDone(text);
      announce(text);
      list.reload();
    });
  const endOthers = () =>
    act(async () => {
      const r = await del("/auth/sessions", { query: { keep_current: true } });
      const text = t("devices.endedOthers", { n: r.ended });
      setDone(text);
      announce(text);
      list.reload();
    });
  const where = (s) => (s.ip ? (s.place ? `${s.ip} (${s.place})` : s.ip) : t("devices.unknownAddress"));
  return html`<section class="card" aria-labelledby="acc-devices-h" data-testid="devices">
    <h2 id="acc-devices-h">${t("devices.title")}</h2>
    <p class="muted small">${t("devices.lead")}</p>
    ${done ? html`<${Alert} key=${done} kind="success" testid="devices-done" live=${false}>${done}<//>` : null}
    <${ProblemAlert} error=${error} prefix="devices-" />
    ${showList(list, (data) => {
      const others = data.items.filter((s) => !s.current).length;
      return html`<${DataTable}
          caption=${t("devices.title")}
          testid="devices-table"
          rows=${data.items}
          rowProps=${(s) => ({ key: s.id, "data-testid": "device-row", "data-current": s.current ? "true" : "false" })}
          columns=${[
            {
              label: t("devices.device"),
              cell: (s) => html`${s.device}${s.current ? html` <span class="badge st-ok" data-testid="device-current">${t("devices.current")}</span>` : null}`,
            },
            { label: t("devices.address"), cell: (s) => where(s) },
            { label: t("devices.started"), cell: (s) => formatDateTime(s.started_at) },
            { label: t("devices.lastUsed"), cell: (s) => formatDateTime(s.last_used_at) },
            {
              label: t("file.actions"),
              hidden: true,
              cell: (s) => html`<button type="button" class="btn btn-small btn-secondary" disabled=${busy} onClick=${() => endOne(s)} data-testid="device-end">
                ${t("devices.end")} <span class="visually-hidden">(${[s.device, where(s), s.current ? t("devices.current") : ""].filter(Boolean).join(", ")})</span>
              </button>`,
            },
          ]}
        />
        ${data.more ? html`<p class="muted small">${t("devices.more")}</p>` : null}
        ${others
          ? html`<div class="actions"><button type="button" class="btn btn-primary" disabled=${busy} onClick=${endOthers} data-testid="devices-end-others">${t("devices.endOthers")}</button></div>`
          : html`<p data-testid="devices-none">${t("devices.noOthers")}</p>`}`;
    })}
  </section>`;
}
