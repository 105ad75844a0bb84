// The audit trail, for auditors and administrators (/nhat-ky; docs/audit.md): filters in the address,
// the entries newest first, a page at a time, and the CSV of everything the filters find.
import { html, useState } from "../lib.js";
import { get, downloadFile } from "../api.js";
import { t, useLang, formatDateTime } from "../i18n.js";
import { setQuery, pageOf } from "../router.js";
import { PageHeading, ProblemAlert, Field, SelectField, Pager, DataTable, useAsync, useTitle, announce, showList, useOnChange } from "../components.js";

const KEYS = [
  ["tu", "from"],
  ["den", "to"],
  ["doi-tuong", "subject"],
  ["nguoi-thao-tac", "actor"],
  ["hanh-dong", "action"],
  ["loai", "kind"],
  ["dich-vu", "stream"],
];
const SIZE = 50;

const paramsOf = (query) => Object.fromEntries(KEYS.map(([q, k]) => [k, query.get(q) || ""]));
const apiQuery = (p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v));

export function AuditPage({ query }) {
  useTitle(t("audit.title"));
  const params = paramsOf(query);
  return html`<${PageHeading} sub=${t("audit.lead")}>${t("audit.title")}<//>
    <${Filters} params=${params} />
    <${Entries} params=${params} page=${pageOf(query)} />`;
}

function Filters({ params }) {
  const [v, setV] = useState(params);
  useOnChange(JSON.stringify(params), () => setV(params));
  const set = (k) => (e) => setV({ ...v, [k]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    setQuery(Object.fromEntries(KEYS.map(([q, k]) => [q, v[k].trim()])));
  };
  const kinds = ["read", "change", "login"].map((k) => ({ value: k, label: t(`audit.kind.${k}`) }));
  return html`<form class="card report-filters" onSubmit=${submit} novalidate aria-labelledby="audit-filters-title" data-testid="audit-filters">
    <h2 id="audit-filters-title" class="h3">${t("audit.filters")}</h2>
    <div class="inline-filters">
      <${Field} id="audit-from" type="date" label=${t("report.from")} value=${v.from} onInput=${set("from")} data-testid="audit-from" />
      <${Field} id="audit-to" type="date" label=${t("report.to")} value=${v.to} onInput=${set("to")} data-testid="audit-to" />
      <${Field} id="audit-subject" label=${t("audit.subject")} hint=${t("audit.accountHint")} value=${v.subject} onInput=${set("subject")} data-testid="audit-subject" />
      <${Field} id="audit-actor" label=${t("audit.actor")} hint=${t("audit.accountHint")} value=${v.actor} onInput=${set("actor")} data-testid="audit-actor" />
      <${Field} id="audit-action" label=${t("audit.action")} hint="dossier.viewed, user.roles_changed…" value=${v.action} onInput=${set("action")} data-testid="audit-action" />
      <${SelectField} id="audit-kind" label=${t("audit.kind")} value=${v.kind} onChange=${set("kind")} placeholder=${t("audit.any")} options=${kinds} data-testid="audit-kind" />
      <${Field} id="audit-stream" label=${t("audit.stream")} hint="auth, submission, catalog…" value=${v.stream} onInput=${set("stream")} data-testid="audit-stream" />
      <div class="actions"><button type="submit" class="btn btn-primary" data-testid="audit-apply">${t("audit.apply")}</button></div>
    </div>
  </form>`;
}

function Entries({ params, page }) {
  const lang = useLang();
  const q = apiQuery(params);
  const key = JSON.stringify(q);
  const list = useAsync(() => get("/audit/events", { query: { ...q, page, size: SIZE } }), [key, page, lang]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const f = await downloadFile(`/audit/events.csv?${new URLSearchParams(q)}`, "nhat-ky.csv");
      announce(t("report.downloaded", { name: f.name || "nhat-ky.csv" }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const columns = [
    { label: t("audit.at"), cell: (e) => formatDateTime(e.at) },
    { label: t("audit.stream"), cell: (e) => `${e.stream} #${e.seq}` },
    { label: t("audit.action"), cell: (e) => html`<code>${e.action}</code> <span class="muted">${t(`audit.kind.${e.kind}`)}${e.outcome !== "ok" ? ` · ${e.outcome}` : ""}</span>` },
    { label: t("audit.actor"), cell: (e) => html`${e.actor || "—"}<br /><span class="muted">${(e.actor_roles || []).join(", ")}</span>` },
    { label: t("audit.target"), cell: (e) => `${e.target_type} ${e.target_id}` },
    { label: t("audit.subject"), cell: (e) => e.subject || "—" },
    { label: t("audit.from"), cell: (e) => e.ip || "—" },
  ];
  return html`<section aria-labelledby="audit-list-title">
    <h2 id="audit-list-title" class="h3">${t("audit.list")}</h2>
    <div class="actions">
      <button type="button" class="btn btn-secondary" disabled=${busy} onClick=${save} data-testid="audit-csv">${t("audit.csv")}</button>
    </div>
    <${ProblemAlert} error=${error} focus=${false} testid="audit-download-problem" />
    ${showList(
      list,
      (data) => html`<p data-testid="audit-total">${t("audit.total", { n: data.total })}</p>
        <${DataTable} columns=${columns} rows=${data.items} rowProps=${(e) => ({ key: e.id, "data-testid": "audit-entry" })} caption=${t("audit.list")} testid="audit-table" />
        <${Pager} page=${page} size=${SIZE} total=${data.total} onPage=${(p) => setQuery({ ...Object.fromEntries(KEYS.map(([q2, k]) => [q2, params[k]])), page: p })} />`,
      html`<p data-testid="audit-empty">${t("audit.empty")}</p>`,
    )}
  </section>`;
}
