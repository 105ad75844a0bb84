// Administrators: officers' accounts (list, create with their roles and agencies, change them, lock and
// unlock, reset their second factor), each agency's default specialist, and the catalogue (search, set the
// online level, withdraw or publish again).
import { html, useState, useEffect, useRef } from "../lib.js";
import { get, post, put, patch, del } from "../api.js";
import { t, useLang, formatDateTime } from "../i18n.js";
import { setQuery, moved, pageOf } from "../router.js";
import { PageHeading, Loading, ProblemAlert, Alert, Pager, DataTable, showList, useForm, useConfirmation, Field, SelectField, TextareaField, Facts, useAsync, useTitle, announce, useOnChange } from "../components.js";
import { localProblem, validPhone, validEmail, MIN_PASSWORD } from "./auth.js";
import { OnlineBadge } from "./home.js";
import { session } from "../session.js";

const SIZE = 20;
const AGENCY = /^[A-Za-z0-9._-]{1,40}$/;

// The roles an administrator gives, in the order the one-stop office works (docs/auth.md): the agency's
// three, then the administrator's and the auditor's (reads the audit trail only). The account also holds
// the marker "officer" with any agency role.
const AGENCY_ROLES = ["reception", "specialist", "leader"];
const STAFF_ROLES = [...AGENCY_ROLES, "admin", "auditor"];
const parseAgencies = (text) =>
  text
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);
const hasAgencyRole = (roles) => roles.some((r) => AGENCY_ROLES.includes(r));
// What an account holds, as the checkboxes show it ("officer" alone, the old single role, is all three).
const givenRoles = (held) => {
  const roles = STAFF_ROLES.filter((r) => (held || []).includes(r));
  return (held || []).includes("officer") && !hasAgencyRole(roles) ? [...AGENCY_ROLES, ...roles] : roles;
};
// The administrator's box says "Quản trị" (what the account may do), as the other three do.
const roleLabel = (r) => (r === "admin" ? t("admin.roleAdmin") : t(`role.${r}`));
const roleNames = (held) => givenRoles(held).map(roleLabel);

/** The roles' checkboxes: a group with its legend, hint and error; the first box takes the error's link. */
function RoleBoxes({ prefix, roles, onChange, error }) {
  const toggle = (r) => (e) => onChange(e.target.checked ? STAFF_ROLES.filter((x) => x === r || roles.includes(x)) : roles.filter((x) => x !== r));
  return html`<fieldset class=${`fieldset ${error ? "field-error" : ""}`} aria-describedby=${`${prefix}roles-hint${error ? ` ${prefix}roles-error` : ""}`} data-testid=${`${prefix}roles`}>
    <legend>${t("admin.roles")}<span class="req" aria-hidden="true"> *</span></legend>
    <p class="hint" id=${`${prefix}roles-hint`}>${t("admin.rolesHint")}</p>
    ${error ? html`<p class="error-msg" id=${`${prefix}roles-error`}><span class="visually-hidden">${t("common.error")}: </span>${error}</p>` : null}
    ${STAFF_ROLES.map(
      (r, i) => html`<div class="checkbox" key=${r}>
        <input type="checkbox" id=${i === 0 ? `${prefix}roles` : `${prefix}role-${r}`} checked=${roles.includes(r)} onChange=${toggle(r)} data-testid=${`${prefix}role-${r}`} />
        <label for=${i === 0 ? `${prefix}roles` : `${prefix}role-${r}`}>${roleLabel(r)}</label>
      </div>`,
    )}
  </fieldset>`;
}

/** What is wrong with roles and agencies before sending (the API says the same: agency-required). */
const rolesProblem = (roles, agencies) => ({
  roles: roles.length ? "" : t("admin.rolesNeeded"),
  agencies:
    hasAgencyRole(roles) && !agencies.length
      ? t("admin.agenciesNeeded")
      : agencies.every((a) => AGENCY.test(a))
        ? ""
        : t("admin.agenciesBad"),
});

function CreateStaff({ onCreated, onCancel }) {
  // A new account is an agency's officer of all three roles unless the administrator unticks some.
  const { v, setV, set, fe, error, busy, send } = useForm({ full_name: "", username: "", email: "", phone: "", password: "", roles: [...AGENCY_ROLES], agencies: "" });
  // The form takes the place of its button: the focus goes to its heading (WCAG 2.4.3).
  const title = useRef(null);
  useEffect(() => title.current && title.current.focus(), []);
  const submit = (e) => {
    e.preventDefault();
    const agencies = parseAgencies(v.agencies);
    const local = localProblem({
      full_name: v.full_name.trim().length >= 2 ? "" : t("v.fullName"),
      username: v.username.trim() || v.email.trim() || v.phone.trim() ? "" : t("admin.loginNeeded"),
      email: !v.email.trim() || validEmail(v.email) ? "" : t("v.email"),
      phone: !v.phone.trim() || validPhone(v.phone) ? "" : t("v.phone"),
      password: v.password.length >= MIN_PASSWORD ? "" : t("v.password"),
      ...rolesProblem(v.roles, agencies),
    });
    const body = { full_name: v.full_name.trim(), roles: v.roles, password: v.password, agencies: hasAgencyRole(v.roles) ? agencies : [] };
    for (const k of ["username", "email", "phone"]) if (v[k].trim()) body[k] = v[k].trim();
    send(local, async () => onCreated(await post("/auth/users", body)), { leaves: true });
  };
  return html`<form
    class="card form"
    aria-labelledby="create-staff-title"
    onSubmit=${submit}
    onKeyDown=${(e) => e.key === "Escape" && !busy && (e.preventDefault(), onCancel())}
    novalidate
    data-testid="create-staff"
  >
    <h2 id="create-staff-title" tabindex="-1" ref=${title} data-testid="create-staff-title">${t("admin.create")}</h2>
    <${ProblemAlert} error=${error} prefix="staff-" />
    <div class="grid-2">
      <${Field} id="staff-full_name" label=${t("person.fullName")} value=${v.full_name} onInput=${set("full_name")} error=${fe.full_name} required data-testid="staff-full-name" />
      <${Field} id="staff-username" label=${t("admin.username")} hint=${t("admin.usernameHint")} value=${v.username} onInput=${set("username")} error=${fe.username} autocomplete="off" data-testid="staff-username" />
      <${Field} id="staff-email" label=${t("person.emailOptional")} type="email" value=${v.email} onInput=${set("email")} error=${fe.email} autocomplete="off" data-testid="staff-email" />
      <${Field} id="staff-phone" label=${t("admin.phoneOptional")} type="tel" value=${v.phone} onInput=${set("phone")} error=${fe.phone} autocomplete="off" data-testid="staff-phone" />
      <${Field} id="staff-password" label=${t("admin.initialPassword")} hint=${t("auth.passwordHint")} type="password" value=${v.password} onInput=${set("password")} error=${fe.password} autocomplete="new-password" required data-testid="staff-password" />
    </div>
    <${RolesAndAgencies} prefix="staff-" v=${v} setV=${setV} set=${set} fe=${fe} />
    <div class="actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="staff-submit">${t("admin.createButton")}</button>
      <button type="button" class="btn btn-secondary" onClick=${onCancel}>${t("common.cancel")}</button>
    </div>
  </form>`;
}

/** The roles ticked and, for an agency role, the agencies they hold them in (creating or editing staff). */
function RolesAndAgencies({ prefix, v, setV, set, fe }) {
  return html`<${RoleBoxes} prefix=${prefix} roles=${v.roles} onChange=${(roles) => setV({ ...v, roles })} error=${fe.roles} />
    <${TextareaField}
      id=${`${prefix}agencies`}
      label=${t("admin.agencies")}
      hint=${t("admin.agenciesHint")}
      value=${v.agencies}
      onInput=${set("agencies")}
      error=${fe.agencies}
      required=${hasAgencyRole(v.roles)}
      data-testid=${`${prefix}agencies`}
    />`;
}

/** A staff account's roles and agencies changed (its sessions end: it signs in again with the new ones). */
function EditStaff({ user, onSaved, onCancel }) {
  const { v, setV, set, fe, error, busy, send } = useForm({ roles: givenRoles(user.roles), agencies: (user.agencies || []).join(", ") });
  const title = useRef(null);
  useEffect(() => title.current && title.current.focus(), []);
  const submit = (e) => {
    e.preventDefault();
    const agencies = parseAgencies(v.agencies);
    const local = localProblem(rolesProblem(v.roles, agencies));
    // A citizen made staff keeps the citizen's role (its own dossiers).
    const roles = (user.roles || []).includes("citizen") ? ["citizen", ...v.roles] : v.roles;
    const body = hasAgencyRole(v.roles) ? { roles, agencies } : { roles };
    send(local, async () => onSaved(await patch(`/auth/users/${user.id}`, body)), { leaves: true });
  };
  return html`<form
    class="card form"
    aria-labelledby="edit-staff-title"
    onSubmit=${submit}
    onKeyDown=${(e) => e.key === "Escape" && !busy && (e.preventDefault(), onCancel())}
    novalidate
    data-testid="edit-staff"
  >
    <h2 id="edit-staff-title" tabindex="-1" ref=${title} data-testid="edit-staff-title">${t("admin.editRoles", { name: user.full_name })}</h2>
    <p class="muted small">${t("admin.editRolesNote")}</p>
    <${ProblemAlert} error=${error} prefix="edit-" />
    <${RolesAndAgencies} prefix="edit-" v=${v} setV=${setV} set=${set} fe=${fe} />
    <div class="actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="edit-submit">${t("admin.saveRoles")}</button>
      <button type="button" class="btn btn-secondary" onClick=${onCancel}>${t("common.cancel")}</button>
    </div>
  </form>`;
}

/** Each agency's default specialist: the one a dossier goes to when reception names nobody. */
function DefaultSpecialist() {
  const [code, setCode] = useState("");
  const [agency, setAgency] = useState("");
  const [staff, setStaff] = useState(null);
  const [chosen, setChosen] = useState("");
  const [fieldError, setFieldError] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async (action) => {
    setBusy(true);
    setError(null);
    setDone("");
    try {
      await action();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const load = (c) =>
    run(async () => {
      const items = (await get(`/auth/agencies/${encodeURIComponent(c)}/staff`)).items;
      setAgency(c);
      setStaff(items);
      setChosen(items.find((s) => s.default_specialist)?.id || "");
    });
  const show = (e) => {
    e.preventDefault();
    const c = code.trim();
    if (!AGENCY.test(c)) return setFieldError(t("admin.agenciesBad"));
    setFieldError("");
    load(c);
  };
  const path = () => `/auth/agencies/${encodeURIComponent(agency)}/default-specialist`;
  const say = (text) => (setDone(text), announce(text));
  const save = (e) => {
    e.preventDefault();
    if (!chosen) return setError(localProblem({ "default-specialist": t("admin.chooseSpecialist") }));
    run(async () => {
      const r = await put(path(), { user_id: chosen });
      setStaff(staff.map((s) => ({ ...s, default_specialist: s.id === r.user_id })));
      say(t("admin.defaultSet", { name: r.full_name, agency }));
    });
  };
  const clear = () =>
    run(async () => {
      await del(path());
      setStaff(staff.map((s) => ({ ...s, default_specialist: false })));
      setChosen("");
      say(t("admin.defaultCleared", { agency }));
    });
  const specialists = (staff || []).filter((s) => s.roles.includes("specialist"));
  const current = (staff || []).find((s) => s.default_specialist);
  return html`<section class="card" aria-labelledby="default-specialist-title" data-testid="default-specialist">
    <h2 id="default-specialist-title">${t("admin.defaultSpecialist")}</h2>
    <p class="muted small">${t("admin.defaultSpecialistHint")}</p>
    <form class="inline-filters" onSubmit=${show} novalidate>
      <${Field} id="ds-agency" label=${t("admin.agencyCode")} value=${code} onInput=${(e) => setCode(e.target.value)} error=${fieldError} autocomplete="off" data-testid="ds-agency" />
      <div class="actions"><button type="submit" class="btn btn-secondary" disabled=${busy} data-testid="ds-show">${t("admin.showStaff")}</button></div>
    </form>
    ${done ? html`<${Alert} key=${done} kind="success" testid="ds-done">${done}<//>` : null}
    <${ProblemAlert} error=${error} prefix="ds-" testid="ds-problem" />
    ${staff === null
      ? null
      : html`<p data-testid="ds-current">${current ? t("admin.defaultIs", { name: current.full_name, agency }) : t("admin.noDefault", { agency })}</p>
          ${specialists.length
            ? html`<form class="inline-filters" onSubmit=${save} novalidate>
                <${SelectField}
                  id="ds-default-specialist"
                  label=${t("admin.specialistOf", { agency })}
                  value=${chosen}
                  onChange=${(e) => setChosen(e.target.value)}
                  placeholder=${t("admin.chooseSpecialist")}
                  options=${specialists.map((s) => ({ value: s.id, label: s.full_name }))}
                  data-testid="ds-specialist"
                />
                <div class="actions">
                  <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="ds-save">${t("admin.saveDefault")}</button>
                  ${current ? html`<button type="button" class="btn btn-secondary" disabled=${busy} onClick=${clear} data-testid="ds-clear">${t("admin.clearDefault")}</button>` : null}
                </div>
              </form>`
            : html`<p data-testid="ds-none">${t("admin.noSpecialists", { agency })}</p>`}`}
  </section>`;
}

const isStaff = (u) => (u.roles || []).some((r) => r === "officer" || STAFF_ROLES.includes(r));

export function OfficersAdminPage({ query }) {
  const lang = useLang();
  useTitle(t("nav.adminOfficers"));
  const role = query.get("role") ?? "officer";
  const q = query.get("q") || "";
  const page = pageOf(query);
  const [draft, setDraft] = useState({ role, q });
  useOnChange(JSON.stringify([role, q]), () => setDraft({ role, q }));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState(null);
  const [done, setDone] = useState("");
  // After a new account the message takes the focus (the form that had it is gone); after a lock or an
  // unlock the focus stays on the row's button and the live region says what happened.
  const [doneFocus, setDoneFocus] = useState(false);
  const [error, setError] = useState(null);
  const list = useAsync(() => get("/auth/users", { query: { role, q, page, size: SIZE } }), [role, q, page, lang]);
  // Closing the form without an account gives the focus back to the button that opened it.
  const newButton = useRef(null);
  const cancelCreate = () => {
    setCreating(false);
    requestAnimationFrame(() => newButton.current && newButton.current.focus());
  };
  // Closing the roles' form without a change gives the focus back to the row's button that opened it.
  const cancelEdit = () => {
    const id = editing && editing.id;
    setEditing(null);
    requestAnimationFrame(() => document.querySelector(`[data-testid=edit-roles][data-user="${id}"]`)?.focus());
  };
  const me = session.get()?.claims?.sub;
  // A lost phone: another administrator resets the second factor (never one's own: the API refuses).
  const resetMfa = async (u) => {
    setError(null);
    setDone("");
    try {
      await del(`/auth/users/${u.id}/mfa`);
      const text = t("mfa.resetDone", { name: u.full_name });
      setDoneFocus(false);
      setDone(text);
      announce(text);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const toggle = async (u) => {
    setError(null);
    setDone("");
    try {
      await patch(`/auth/users/${u.id}`, { locked: !u.locked });
      const text = t(u.locked ? "admin.unlocked" : "admin.locked", { name: u.full_name });
      setDoneFocus(false);
      setDone(text);
      announce(text);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${PageHeading}>${t("nav.adminOfficers")}<//>
    ${done ? html`<${Alert} key=${done} kind="success" testid="admin-done" focus=${doneFocus}>${done}<//>` : null}
    <${ProblemAlert} error=${error} />
    ${creating
      ? html`<${CreateStaff}
          onCreated=${(u) => {
            setCreating(false);
            setDoneFocus(true);
            setDone(t("admin.created", { name: u.full_name }));
            list.reload();
          }}
          onCancel=${cancelCreate}
        />`
      : html`<p><button type="button" ref=${newButton} class="btn btn-primary" onClick=${() => setCreating(true)} data-testid="staff-new">${t("admin.create")}</button></p>`}
    ${editing
      ? html`<${EditStaff}
          key=${editing.id}
          user=${editing}
          onSaved=${(u) => {
            setEditing(null);
            setDoneFocus(true);
            setDone(t("admin.rolesSaved", { name: u.full_name }));
            list.reload();
          }}
          onCancel=${cancelEdit}
        />`
      : null}
    <form class="inline-filters card" onSubmit=${(e) => (e.preventDefault(), setQuery({ role: draft.role, q: draft.q.trim() }))}>
      <${SelectField}
        id="users-role"
        label=${t("admin.role")}
        value=${draft.role}
        onChange=${(e) => setDraft({ ...draft, role: e.target.value })}
        options=${[
          { value: "officer", label: t("role.officer") },
          ...AGENCY_ROLES.map((r) => ({ value: r, label: t(`role.${r}`) })),
          { value: "admin", label: t("role.admin") },
          { value: "citizen", label: t("role.citizen") },
        ]}
      />
      <${Field} id="users-q" type="search" label=${t("admin.search")} value=${draft.q} onInput=${(e) => setDraft({ ...draft, q: e.target.value })} />
      <div class="actions"><button type="submit" class="btn btn-secondary">${t("filters.apply")}</button></div>
    </form>
    ${showList(
      list,
      (data) => html`<${DataTable}
          caption=${t("nav.adminOfficers")}
          testid="users"
          rows=${data.items}
          rowProps=${(u) => ({ key: u.id, "data-testid": "user-row", "data-username": u.username || "" })}
          columns=${[
            { label: t("person.fullName"), cell: (u) => html`${u.full_name}<br /><span class="muted small">${formatDateTime(u.created_at)}</span>` },
            { label: t("admin.login"), cell: (u) => [u.username, u.email, u.phone, u.citizen_id].filter(Boolean).join(" · ") },
            { label: t("admin.roles"), cell: (u) => html`<span data-testid="user-roles">${(isStaff(u) ? roleNames(u.roles) : [t("role.citizen")]).join(", ")}</span>` },
            { label: t("admin.agencies"), cell: (u) => (u.agencies || []).join(", ") || "—" },
            {
              label: t("admin.state"),
              cell: (u) => html`<span class=${`badge ${u.locked ? "st-bad" : "st-ok"}`} data-testid="user-state">${u.locked ? t("admin.isLocked") : t("admin.isActive")}</span>
                ${isStaff(u) ? html`<br /><span class="muted small" data-testid="user-mfa">${t(u.mfa_enrolled ? "mfa.enrolled" : "mfa.notEnrolled")}</span>` : null}`,
            },
            {
              label: t("file.actions"),
              hidden: true,
              cell: (u) => html`<button type="button" class="btn btn-small btn-secondary" onClick=${() => toggle(u)} data-testid="toggle-lock">
                  ${u.locked ? t("admin.unlock") : t("admin.lock")}<span class="visually-hidden"> ${u.full_name}</span>
                </button>
                ${isStaff(u) && u.id !== me
                  ? html` <button type="button" class="btn btn-small btn-secondary" onClick=${() => (setDone(""), setEditing(u))} data-testid="edit-roles" data-user=${u.id}>
                      ${t("admin.changeRoles")}<span class="visually-hidden"> ${u.full_name}</span>
                    </button>`
                  : null}
                ${u.mfa_enrolled && u.id !== me
                  ? html` <button type="button" class="btn btn-small btn-secondary" onClick=${() => resetMfa(u)} data-testid="reset-mfa">
                      ${t("mfa.reset")}<span class="visually-hidden"> ${u.full_name}</span>
                    </button>`
                  : null}`,
            },
          ]}
        />
        <${Pager} page=${page} size=${SIZE} total=${data.total} onPage=${(n) => setQuery({ role, q, page: n })} />`,
      html`<p>${t("admin.noUsers")}</p>`,
    )}
    <${DefaultSpecialist} />`;
}

function ManageProcedure({ code, onClose, onChanged }) {
  const lang = useLang();
  const p = useAsync(() => get(`/catalog/procedures/${encodeURIComponent(code)}`), [code, lang]);
  // The level picked in the form; until one is picked, the procedure's own (read with the data, so the
  // form never shows a value the data then overwrites under the user's hand).
  const [chosen, setChosen] = useState(null);
  const withdrawal = useConfirmation();
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  // The focus follows what opens and closes here (WCAG 2.4.3): the panel's heading once it has loaded
  // (when a person opened it, not on a page load), the withdrawal's question when it takes its button's
  // place, that button again on "Hủy".
  const title = useRef(null);
  const titled = useRef(false);
  useEffect(() => {
    if (p.data && title.current && !titled.current && moved.yes) {
      titled.current = true;
      title.current.focus();
    }
  }, [p.data]);
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
      withdrawal.setOpen(false);
      onChanged();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<section class="card" aria-labelledby="manage-title" data-testid="manage-procedure">
    <div class="preview-head">
      <h2 id="manage-title" tabindex="-1" ref=${title}>${d.name}</h2>
      <button type="button" class="btn btn-secondary btn-small" onClick=${onClose} data-testid="manage-close">${t("common.close")}</button>
    </div>
    ${done ? html`<${Alert} kind="success" testid="manage-done" focus>${done}<//>` : null}
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
        : withdrawal.open
          ? html`<div class="confirm-box" role="group" aria-labelledby="wd-q" onKeyDown=${(e) => e.key === "Escape" && !busy && (e.preventDefault(), withdrawal.cancel())}>
              <p id="wd-q" tabindex="-1" ref=${withdrawal.question} data-testid="withdraw-question">${t("admin.withdrawConfirm")}</p>
              <button type="button" class="btn btn-danger" disabled=${busy} onClick=${() => run(() => post(`/catalog/procedures/${encodeURIComponent(d.code)}/withdraw`, undefined, { headers: { "If-Match": etag } }), t("admin.withdrawnDone"))} data-testid="withdraw-confirm">${t("admin.withdrawYes")}</button>
              <button type="button" class="btn btn-secondary" onClick=${withdrawal.cancel} data-testid="withdraw-cancel">${t("common.cancel")}</button>
            </div>`
          : html`<button type="button" ref=${withdrawal.button} class="btn btn-danger-outline" onClick=${() => withdrawal.setOpen(true)} data-testid="withdraw-procedure">${t("admin.withdraw")}</button>`}
    </div>
  </section>`;
}

export function ProceduresAdminPage({ query }) {
  const lang = useLang();
  useTitle(t("nav.adminProcedures"));
  const q = query.get("q") || "";
  const page = pageOf(query);
  const selected = query.get("code") || "";
  const [text, setText] = useState(q);
  useOnChange(q, setText);
  const list = useAsync(() => get("/catalog/procedures", { query: { q, page, size: SIZE } }), [q, page, lang]);
  const open = (code) => setQuery({ q, page, code });
  // Closing the panel gives the focus back to the row's "Quản lý" button (or to the page's heading when
  // that row is not on this page of results).
  const close = () => {
    setQuery({ q, page });
    requestAnimationFrame(() => {
      const b = document.getElementById(`manage-${selected}`) || document.getElementById("page-title");
      if (b) b.focus();
    });
  };
  return html`<${PageHeading}>${t("nav.adminProcedures")}<//>
    <form class="inline-filters card" role="search" onSubmit=${(e) => (e.preventDefault(), setQuery({ q: text.trim() }))}>
      <${Field} id="admin-proc-q" type="search" label=${t("search.label")} value=${text} onInput=${(e) => setText(e.target.value)} data-testid="admin-proc-q" />
      <div class="actions"><button type="submit" class="btn btn-primary" data-testid="admin-proc-search">${t("search.button")}</button></div>
    </form>
    ${selected ? html`<${ManageProcedure} key=${selected} code=${selected} onClose=${close} onChanged=${() => list.reload()} />` : null}
    ${showList(
      list,
      (data) => html`<p role="status" class="result-count">${t("search.count", { n: data.total })}</p>
        <${DataTable}
          caption=${t("nav.adminProcedures")}
          testid="admin-procedures"
          rows=${data.items}
          rowProps=${(p) => ({ key: p.code, "data-testid": "admin-proc-row", "data-code": p.code })}
          columns=${[
            { label: t("proc.code"), cell: (p) => p.code },
            { label: t("proc.name"), cell: (p) => p.name },
            { label: t("proc.online"), cell: (p) => html`<${OnlineBadge} level=${p.online_level} />` },
            {
              label: t("file.actions"),
              hidden: true,
              cell: (p) => html`<button type="button" class="btn btn-small btn-secondary" onClick=${() => open(p.code)} id=${`manage-${p.code}`} data-testid="manage">
                ${t("admin.manage")}<span class="visually-hidden"> ${p.code}</span>
              </button>`,
            },
          ]}
        />
        <${Pager} page=${page} size=${SIZE} total=${data.total} onPage=${(n) => setQuery({ q, page: n })} />`,
    )}`;
}
