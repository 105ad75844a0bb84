// Administrators: officers' accounts (list, create with their agencies, lock and unlock) and the
// catalogue (search, set the online level, withdraw or publish again).
import { html, useState, useEffect } from "../lib.js";
import { get, post, put, patch } from "../api.js";
import { t, useLang, formatDateTime } from "../i18n.js";
import { setQuery } from "../router.js";
import { PageHeading, Loading, ProblemAlert, Alert, Pager, Field, SelectField, TextareaField, Facts, useAsync, useTitle } from "../components.js";
import { localProblem, validPhone, validEmail } from "./auth.js";
import { OnlineBadge } from "./home.js";

const SIZE = 20;
const AGENCY = /^[A-Za-z0-9._-]{1,40}$/;

function CreateStaff({ onCreated, onCancel }) {
  const [v, setV] = useState({ full_name: "", username: "", email: "", phone: "", password: "", role: "officer", agencies: "" });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  const set = (k) => (e) => setV({ ...v, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const agencies = v.agencies
      .split(/[\s,;]+/)
      .map((x) => x.trim())
      .filter(Boolean);
    const local = localProblem({
      full_name: v.full_name.trim().length >= 2 ? "" : t("v.fullName"),
      username: v.username.trim() || v.email.trim() || v.phone.trim() ? "" : t("admin.loginNeeded"),
      email: !v.email.trim() || validEmail(v.email) ? "" : t("v.email"),
      phone: !v.phone.trim() || validPhone(v.phone) ? "" : t("v.phone"),
      password: v.password.length >= 8 ? "" : t("v.password"),
      agencies:
        v.role === "officer" && !agencies.length
          ? t("admin.agenciesNeeded")
          : agencies.every((a) => AGENCY.test(a))
            ? ""
            : t("admin.agenciesBad"),
    });
    if (local) return setError(local);
    setBusy(true);
    setError(null);
    const body = { full_name: v.full_name.trim(), role: v.role, password: v.password, agencies };
    for (const k of ["username", "email", "phone"]) if (v[k].trim()) body[k] = v[k].trim();
    try {
      const u = await post("/auth/users", body);
      onCreated(u);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<form class="card form" onSubmit=${submit} novalidate data-testid="create-staff">
    <h2>${t("admin.create")}</h2>
    <${ProblemAlert} error=${error} prefix="staff-" />
    <div class="grid-2">
      <${Field} id="staff-full_name" label=${t("person.fullName")} value=${v.full_name} onInput=${set("full_name")} error=${fe.full_name} required data-testid="staff-full-name" />
      <${SelectField}
        id="staff-role"
        label=${t("admin.role")}
        value=${v.role}
        onChange=${set("role")}
        options=${[
          { value: "officer", label: t("role.officer") },
          { value: "admin", label: t("role.admin") },
        ]}
        data-testid="staff-role"
      />
      <${Field} id="staff-username" label=${t("admin.username")} hint=${t("admin.usernameHint")} value=${v.username} onInput=${set("username")} error=${fe.username} autocomplete="off" data-testid="staff-username" />
      <${Field} id="staff-email" label=${t("person.emailOptional")} type="email" value=${v.email} onInput=${set("email")} error=${fe.email} autocomplete="off" data-testid="staff-email" />
      <${Field} id="staff-phone" label=${t("admin.phoneOptional")} type="tel" value=${v.phone} onInput=${set("phone")} error=${fe.phone} autocomplete="off" data-testid="staff-phone" />
      <${Field} id="staff-password" label=${t("admin.initialPassword")} hint=${t("auth.passwordHint")} type="password" value=${v.password} onInput=${set("password")} error=${fe.password} autocomplete="new-password" required data-testid="staff-password" />
    </div>
    <${TextareaField}
      id="staff-agencies"
      label=${t("admin.agencies")}
      hint=${t("admin.agenciesHint")}
      value=${v.agencies}
      onInput=${set("agencies")}
      error=${fe.agencies}
      required=${v.role === "officer"}
      data-testid="staff-agencies"
    />
    <div class="actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="staff-submit">${t("admin.createButton")}</button>
      <button type="button" class="btn btn-secondary" onClick=${onCancel}>${t("common.cancel")}</button>
    </div>
  </form>`;
}

export function OfficersAdminPage({ query }) {
  const lang = useLang();
  useTitle(t("nav.adminOfficers"));
  const role = query.get("role") ?? "officer";
  const q = query.get("q") || "";
  const page = Math.max(1, parseInt(query.get("page") || "1", 10) || 1);
  const [draft, setDraft] = useState({ role, q });
  useEffect(() => setDraft({ role, q }), [role, q]);
  const [creating, setCreating] = useState(false);
  const [done, setDone] = useState("");
  const [error, setError] = useState(null);
  const list = useAsync(() => get("/auth/users", { query: { role, q, page, size: SIZE } }), [role, q, page, lang]);
  const toggle = async (u) => {
    setError(null);
    setDone("");
    try {
      await patch(`/auth/users/${u.id}`, { locked: !u.locked });
      setDone(t(u.locked ? "admin.unlocked" : "admin.locked", { name: u.full_name }));
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${PageHeading}>${t("nav.adminOfficers")}<//>
    ${done ? html`<${Alert} kind="success" testid="admin-done">${done}<//>` : null}
    <${ProblemAlert} error=${error} />
    ${creating
      ? html`<${CreateStaff}
          onCreated=${(u) => {
            setCreating(false);
            setDone(t("admin.created", { name: u.full_name }));
            list.reload();
          }}
          onCancel=${() => setCreating(false)}
        />`
      : html`<p><button type="button" class="btn btn-primary" onClick=${() => setCreating(true)} data-testid="staff-new">${t("admin.create")}</button></p>`}
    <form class="inline-filters card" onSubmit=${(e) => (e.preventDefault(), setQuery({ role: draft.role, q: draft.q.trim() }))}>
      <${SelectField}
        id="users-role"
        label=${t("admin.role")}
        value=${draft.role}
        onChange=${(e) => setDraft({ ...draft, role: e.target.value })}
        options=${[
          { value: "officer", label: t("role.officer") },
          { value: "admin", label: t("role.admin") },
          { value: "citizen", label: t("role.citizen") },
        ]}
      />
      <${Field} id="users-q" type="search" label=${t("admin.search")} value=${draft.q} onInput=${(e) => setDraft({ ...draft, q: e.target.value })} />
      <div class="actions"><button type="submit" class="btn btn-secondary">${t("filters.apply")}</button></div>
    </form>
    ${list.loading && !list.data
      ? html`<${Loading} />`
      : list.error
        ? html`<${ProblemAlert} error=${list.error} />`
        : list.data.items.length
          ? html`<table class="table table-stack" data-testid="users">
                <caption class="visually-hidden">${t("nav.adminOfficers")}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t("person.fullName")}</th>
                    <th scope="col">${t("admin.login")}</th>
                    <th scope="col">${t("admin.agencies")}</th>
                    <th scope="col">${t("admin.state")}</th>
                    <th scope="col"><span class="visually-hidden">${t("file.actions")}</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${list.data.items.map(
                    (u) => html`<tr data-testid="user-row" data-username=${u.username || ""}>
                      <td data-label=${t("person.fullName")}>${u.full_name}<br /><span class="muted small">${formatDateTime(u.created_at)}</span></td>
                      <td data-label=${t("admin.login")}>${[u.username, u.email, u.phone, u.citizen_id].filter(Boolean).join(" · ")}</td>
                      <td data-label=${t("admin.agencies")}>${(u.agencies || []).join(", ") || "—"}</td>
                      <td data-label=${t("admin.state")}>
                        <span class=${`badge ${u.locked ? "st-bad" : "st-ok"}`} data-testid="user-state">${u.locked ? t("admin.isLocked") : t("admin.isActive")}</span>
                      </td>
                      <td data-label=${t("file.actions")}>
                        <button type="button" class="btn btn-small btn-secondary" onClick=${() => toggle(u)} data-testid="toggle-lock">
                          ${u.locked ? t("admin.unlock") : t("admin.lock")}<span class="visually-hidden"> ${u.full_name}</span>
                        </button>
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>
              <${Pager} page=${page} size=${SIZE} total=${list.data.total} onPage=${(n) => setQuery({ role, q, page: n })} />`
          : html`<p>${t("admin.noUsers")}</p>`}`;
}

function ManageProcedure({ code, onClose, onChanged }) {
  const lang = useLang();
  const p = useAsync(() => get(`/catalog/procedures/${encodeURIComponent(code)}`), [code, lang]);
  // The level picked in the form; until one is picked, the procedure's own (read with the data, so the
  // form never shows a value the data then overwrites under the user's hand).
  const [chosen, setChosen] = useState(null);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  if (p.loading && !p.data) return html`<${Loading} />`;
  if (!p.data) return html`<${ProblemAlert} error=${p.error} />`;
  const d = p.data;
  const level = chosen ?? d.online_level;
  const etag = `"${d.code}-v${d.version}"`;
  const run = async (fn, message) => {
    setBusy(true);
    setError(null);
    setDone("");
    try {
      const next = await fn();
      p.setData(next);
      setChosen(null);
      setDone(message);
      setConfirm(false);
      onChanged();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<section class="card" aria-labelledby="manage-title" data-testid="manage-procedure">
    <div class="preview-head">
      <h2 id="manage-title" tabindex="-1">${d.name}</h2>
      <button type="button" class="btn btn-secondary btn-small" onClick=${onClose}>${t("common.close")}</button>
    </div>
    ${done ? html`<${Alert} kind="success" testid="manage-done">${done}<//>` : null}
    <${ProblemAlert} error=${error} />
    <${Facts}
      items=${[
        [t("proc.code"), d.code],
        [t("admin.procStatus"), d.status === "withdrawn" ? t("admin.withdrawn") : t("admin.published")],
        [t("admin.version"), String(d.version)],
        [t("proc.online"), html`<${OnlineBadge} level=${d.online_level} />`],
      ]}
    />
    <form class="inline-filters" onSubmit=${(e) => (e.preventDefault(), run(() => put(`/catalog/procedures/${encodeURIComponent(d.code)}/online-level`, { online_level: level }, { headers: { "If-Match": etag } }), t("admin.levelSaved")))}>
      <${SelectField}
        id="manage-level"
        label=${t("proc.online")}
        value=${level}
        onChange=${(e) => setChosen(e.target.value)}
        options=${["full", "partial", "none"].map((x) => ({ value: x, label: t(`online.${x}`) }))}
        data-testid="online-level"
      />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy || level === d.online_level} data-testid="save-level">${t("admin.saveLevel")}</button></div>
    </form>
    <div class="actions">
      ${d.status === "withdrawn"
        ? html`<button type="button" class="btn btn-secondary" disabled=${busy} onClick=${() => run(() => post(`/catalog/procedures/${encodeURIComponent(d.code)}/publish`, undefined, { headers: { "If-Match": etag } }), t("admin.publishedDone"))} data-testid="publish">${t("admin.publish")}</button>`
        : confirm
          ? html`<div class="confirm-box" role="group" aria-labelledby="wd-q">
              <p id="wd-q">${t("admin.withdrawConfirm")}</p>
              <button type="button" class="btn btn-danger" disabled=${busy} onClick=${() => run(() => post(`/catalog/procedures/${encodeURIComponent(d.code)}/withdraw`, undefined, { headers: { "If-Match": etag } }), t("admin.withdrawnDone"))} data-testid="withdraw-confirm">${t("admin.withdrawYes")}</button>
              <button type="button" class="btn btn-secondary" onClick=${() => setConfirm(false)}>${t("common.cancel")}</button>
            </div>`
          : html`<button type="button" class="btn btn-danger-outline" onClick=${() => setConfirm(true)} data-testid="withdraw-procedure">${t("admin.withdraw")}</button>`}
    </div>
  </section>`;
}

export function ProceduresAdminPage({ query }) {
  const lang = useLang();
  useTitle(t("nav.adminProcedures"));
  const q = query.get("q") || "";
  const page = Math.max(1, parseInt(query.get("page") || "1", 10) || 1);
  const selected = query.get("code") || "";
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const list = useAsync(() => get("/catalog/procedures", { query: { q, page, size: SIZE } }), [q, page, lang]);
  const open = (code) => {
    setQuery({ q, page, code });
    requestAnimationFrame(() => {
      const h = document.getElementById("manage-title");
      if (h) h.focus();
    });
  };
  return html`<${PageHeading}>${t("nav.adminProcedures")}<//>
    <form class="inline-filters card" role="search" onSubmit=${(e) => (e.preventDefault(), setQuery({ q: text.trim() }))}>
      <${Field} id="admin-proc-q" type="search" label=${t("search.label")} value=${text} onInput=${(e) => setText(e.target.value)} data-testid="admin-proc-q" />
      <div class="actions"><button type="submit" class="btn btn-primary" data-testid="admin-proc-search">${t("search.button")}</button></div>
    </form>
    ${selected ? html`<${ManageProcedure} key=${selected} code=${selected} onClose=${() => setQuery({ q, page })} onChanged=${() => list.reload()} />` : null}
    ${list.loading && !list.data
      ? html`<${Loading} />`
      : list.error
        ? html`<${ProblemAlert} error=${list.error} />`
        : html`<p role="status" class="result-count">${t("search.count", { n: list.data.total })}</p>
            <table class="table table-stack" data-testid="admin-procedures">
              <caption class="visually-hidden">${t("nav.adminProcedures")}</caption>
              <thead>
                <tr>
                  <th scope="col">${t("proc.code")}</th>
                  <th scope="col">${t("proc.name")}</th>
                  <th scope="col">${t("proc.online")}</th>
                  <th scope="col"><span class="visually-hidden">${t("file.actions")}</span></th>
                </tr>
              </thead>
              <tbody>
                ${list.data.items.map(
                  (p) => html`<tr data-testid="admin-proc-row" data-code=${p.code}>
                    <td data-label=${t("proc.code")}>${p.code}</td>
                    <td data-label=${t("proc.name")}>${p.name}</td>
                    <td data-label=${t("proc.online")}><${OnlineBadge} level=${p.online_level} /></td>
                    <td data-label=${t("file.actions")}>
                      <button type="button" class="btn btn-small btn-secondary" onClick=${() => open(p.code)} data-testid="manage">
                        ${t("admin.manage")}<span class="visually-hidden"> ${p.code}</span>
                      </button>
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>
            <${Pager} page=${page} size=${SIZE} total=${list.data.total} onPage=${(n) => setQuery({ q, page: n })} />`}`;
}
