// Tổ chức, doanh nghiệp: the account page's list of the person's organisations and the form registering
// one (its legal representative, verified through VNeID); one organisation's page (/to-chuc/:id) with its
// dossiers and, for a representative, its members (add, change role, remove).
import { html, useState, useStore } from "../lib.js";
import { get, post, patch, del, refreshTokens } from "../api.js";
import { t, useLang, formatDateTime } from "../i18n.js";
import { session } from "../session.js";
import { setFlash } from "../flash.js";
import { navigate } from "../router.js";
import { PageHeading, Loading, ProblemAlert, Alert, Field, Facts, SelectField, DataTable, StatusBadge, showList, useAsync, useForm, useTitle, viLang } from "../components.js";
import { localProblem } from "./auth.js";

const ROLES = ["representative", "staff", "viewer"];
const TAX_CODE = /^\d{10}(-\d{3})?$/;
export const roleName = (role) => t(`org.role.${role}`);

/** The person's organisations (names come from auth: the token says only ids and roles). */
export const useOrganisations = (deps = []) => useAsync(() => get("/auth/organisations").then((r) => r.items), deps);

export function OrganisationsCard({ me }) {
  const lang = useLang();
  const [made, setMade] = useState(0);
  const list = useAsync(() => get("/auth/organisations").then((r) => r.items), [lang, made]);
  return html`<section class="card" aria-labelledby="acc-orgs" data-testid="account-organisations">
    <h2 id="acc-orgs">${t("org.mine")}</h2>
    <p class="muted small">${t("org.mineLead")}</p>
    ${list.loading
      ? html`<${Loading} />`
      : list.error
        ? html`<${ProblemAlert} error=${list.error} />`
        : list.data && list.data.length
          ? html`<ul class="plain-list" data-testid="org-list">
              ${list.data.map(
                (o) => html`<li data-testid="org-item" data-id=${o.id}>
                  <a href=${`/to-chuc/${o.id}`} lang=${viLang()}>${o.name}</a> — ${t("org.code")} ${o.tax_code} (${roleName(o.role)})
                </li>`,
              )}
            </ul>`
          : html`<p data-testid="org-none">${t("org.none")}</p>`}
    <${NewOrganisation} me=${me} onDone=${() => setMade(made + 1)} />
  </section>`;
}

function NewOrganisation({ me, onDone }) {
  const verified = me.identity_level >= 1 && me.identity;
  const { v, setV, set, fe, error, busy, send } = useForm({ tax_code: "", name: "", address: "" });
  if (!verified) return html`<${Alert} kind="info" testid="org-verify-first">${t("org.verifyFirst")}<//>`;
  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      tax_code: TAX_CODE.test(v.tax_code.trim()) ? "" : t("org.v.taxCode"),
      name: v.name.trim().length >= 2 ? "" : t("org.v.name"),
      address: v.address.trim().length >= 5 ? "" : t("org.v.address"),
    });
    send(local, async () => {
      const org = await post("/auth/organisations", {
        tax_code: v.tax_code.trim(),
        name: v.name.trim(),
        address: v.address.trim(),
        legal_representative: { full_name: me.identity.full_name, citizen_id: me.identity.citizen_id },
      });
      // The membership travels in the access token: take a new one now rather than at its expiry.
      await refreshTokens();
      setV({ tax_code: "", name: "", address: "" });
      setFlash("success", t("org.created", { name: org.name }));
      onDone(org);
      navigate(`/to-chuc/${org.id}`);
    });
  };
  return html`<h3 id="org-new-h">${t("org.new")}</h3>
    <p class="muted small">${t("org.newLead", { name: me.identity.full_name, id: me.identity.citizen_id })}</p>
    <${ProblemAlert} error=${error} prefix="org-" />
    <form class="form" onSubmit=${submit} novalidate aria-labelledby="org-new-h" data-testid="org-form">
      <${Field} id="org-tax_code" label=${t("org.code")} hint=${t("org.taxCodeHint")} value=${v.tax_code} onInput=${set("tax_code")} error=${fe.tax_code} inputmode="numeric" maxlength="14" required data-testid="org-tax-code" />
      <${Field} id="org-name" label=${t("org.name")} value=${v.name} onInput=${set("name")} error=${fe.name} maxlength="200" required data-testid="org-name" />
      <${Field} id="org-address" label=${t("org.address")} value=${v.address} onInput=${set("address")} error=${fe.address} maxlength="300" required data-testid="org-address" />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="org-submit">${t("org.create")}</button></div>
    </form>`;
}

/** /to-chuc/:id — the organisation, its dossiers and (for a representative) its members. */
export function OrganisationPage({ id }) {
  const lang = useLang();
  const [version, setVersion] = useState(0);
  const org = useAsync(() => get(`/auth/organisations/${encodeURIComponent(id)}`), [id, lang, version]);
  useTitle(org.data ? org.data.name : t("org.title"));
  if (org.loading && !org.data) return html`<${PageHeading}>${t("org.title")}<//><${Loading} />`;
  if (!org.data) return html`<${PageHeading}>${t("org.title")}<//><${ProblemAlert} error=${org.error} />`;
  const o = org.data;
  const facts = [
    [t("org.code"), o.tax_code],
    [t("org.address"), o.address],
    [t("org.representative"), `${o.legal_representative.full_name} (${o.legal_representative.citizen_id})`],
    [t("org.myRole"), o.role ? roleName(o.role) : "—"],
  ];
  return html`<${PageHeading} sub=${t("org.lead")}>${o.name}<//>
    <section class="card" aria-labelledby="org-details"><h2 id="org-details">${t("org.details")}</h2>
      <${Facts} items=${facts} testid="org-facts" />
      ${o.role === "representative" || o.role === "staff"
        ? html`<p><a class="btn btn-secondary" href="/tim-kiem?online=true" data-testid="org-file">${t("org.fileFor")}</a></p>`
        : null}
    </section>
    <${OrganisationDossiers} id=${id} />
    ${o.members ? html`<${Members} org=${o} onChange=${() => setVersion(version + 1)} />` : null}`;
}

function OrganisationDossiers({ id }) {
  const lang = useLang();
  const list = useAsync(() => get("/submissions/dossiers", { query: { organisation: id, size: 50 } }), [id, lang]);
  return html`<section class="card" aria-labelledby="org-dossiers-h">
    <h2 id="org-dossiers-h">${t("org.dossiers")}</h2>
    ${showList(
      list,
      (data) => html`<${DataTable}
        caption=${t("org.dossiers")}
        testid="org-dossiers"
        rows=${data.items}
        rowProps=${(d) => ({ "data-testid": "org-dossier-row", "data-id": d.id })}
        columns=${[
          { label: t("dossier.code"), cell: (d) => html`<a href=${`/ho-so/${d.id}`}>${d.code || t("dossier.draftLink")}</a>` },
          { label: t("proc.name"), cell: (d) => d.procedure.name, vi: true },
          { label: t("dossier.submittedAt"), cell: (d) => (d.submitted_at ? formatDateTime(d.submitted_at) : "—") },
          { label: t("dossier.status"), cell: (d) => html`<${StatusBadge} status=${d.status} text=${d.status_text} />` },
        ]}
      />`,
      html`<p data-testid="org-dossiers-empty">${t("org.noDossiers")}</p>`,
    )}
  </section>`;
}

function Members({ org, onChange }) {
  const s = useStore(session);
  const { v, setV, set, fe, error, setError, busy, send } = useForm({ login: "", role: "staff" });
  const [done, setDone] = useState("");
  const act = (fn, message) =>
    send(null, async () => {
      await fn();
      setDone(message);
      onChange();
    });
  const add = (e) => {
    e.preventDefault();
    const local = localProblem({ login: v.login.trim() ? "" : t("org.v.login") });
    if (local) return setError(local);
    act(async () => {
      await post(`/auth/organisations/${org.id}/members`, { login: v.login.trim(), role: v.role });
      setV({ login: "", role: "staff" });
    }, t("org.memberAdded"));
  };
  const me = s && s.claims ? s.claims.sub : "";
  return html`<section class="card" aria-labelledby="org-members-h" data-testid="org-members">
    <h2 id="org-members-h">${t("org.members")}</h2>
    <p class="muted small">${t("org.membersLead")}</p>
    ${done ? html`<${Alert} kind="success" testid="org-member-done">${done}<//>` : null}
    <${ProblemAlert} error=${error} prefix="mem-" />
    <${DataTable}
      caption=${t("org.members")}
      testid="org-member-table"
      rows=${org.members}
      rowProps=${(m) => ({ "data-testid": "org-member-row", "data-id": m.user_id })}
      columns=${[
        { label: t("person.fullName"), cell: (m) => m.full_name, vi: true },
        {
          label: t("org.role"),
          cell: (m) => html`<label class="visually-hidden" for=${`role-${m.user_id}`}>${t("org.roleOf", { name: m.full_name })}</label>
            <select id=${`role-${m.user_id}`} value=${m.role} disabled=${busy}
              onChange=${(e) => act(() => patch(`/auth/organisations/${org.id}/members/${m.user_id}`, { role: e.target.value }), t("org.roleChanged"))}>
              ${ROLES.map((r) => html`<option value=${r} selected=${r === m.role}>${roleName(r)}</option>`)}
            </select>`,
        },
        {
          label: t("org.remove"),
          hidden: true,
          cell: (m) =>
            m.user_id === me
              ? html`<span class="muted small">${t("org.you")}</span>`
              : html`<button type="button" class="btn btn-small btn-secondary" disabled=${busy}
                  onClick=${() => act(() => del(`/auth/organisations/${org.id}/members/${m.user_id}`), t("org.memberRemoved"))}>
                  ${t("org.remove")}<span class="visually-hidden"> ${m.full_name}</span>
                </button>`,
        },
      ]}
    />
    <h3 id="org-add-h">${t("org.addMember")}</h3>
    <form class="form" onSubmit=${add} novalidate aria-labelledby="org-add-h" data-testid="org-add-member">
      <${Field} id="mem-login" label=${t("org.memberLogin")} hint=${t("org.memberLoginHint")} value=${v.login} onInput=${set("login")} error=${fe.login} maxlength="20" required data-testid="org-member-login" />
      <${SelectField} id="mem-role" label=${t("org.role")} value=${v.role} onChange=${set("role")} options=${ROLES.map((r) => ({ value: r, label: roleName(r) }))} data-testid="org-member-role" />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="org-member-submit">${t("org.addMember")}</button></div>
    </form>
    <p class="muted small">${t("org.tokenNote")}</p>
  </section>`;
}
