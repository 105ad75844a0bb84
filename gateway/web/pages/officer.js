// Officers: the agency's queue (status, overdue, search; due dates in colour and words) and a dossier
// with its files (previewed through blob: URLs fetched with the token) and the workflow's actions.
import { html, useState, useEffect, useRef, useStore } from "../lib.js";
import { get, request, fetchFile, downloadFile } from "../api.js";
import { t, useLang, formatDateTime, formatBytes } from "../i18n.js";
import { setQuery } from "../router.js";
import { session } from "../session.js";
import {
  PageHeading,
  Loading,
  ProblemAlert,
  Alert,
  Pager,
  StatusBadge,
  DeadlineBadge,
  Facts,
  Timeline,
  Field,
  SelectField,
  TextareaField,
  STATUSES,
  statusName,
  useAsync,
  useTitle,
  FilePicker,
} from "../components.js";
import { localProblem } from "./auth.js";

const SIZE = 20;

export function QueuePage({ query }) {
  const lang = useLang();
  const s = useStore(session);
  useTitle(t("queue.title"));
  const status = query.get("status") || "";
  const overdue = query.get("overdue") === "true";
  const q = query.get("q") || "";
  const page = Math.max(1, parseInt(query.get("page") || "1", 10) || 1);
  const [draft, setDraft] = useState({ status, overdue, q });
  const [local, setLocal] = useState("");
  useEffect(() => setDraft({ status, overdue, q }), [status, overdue, q]);
  const list = useAsync(
    () => get("/submissions/officer/dossiers", { query: { status, overdue: overdue ? "true" : undefined, q, page, size: SIZE } }),
    [status, overdue, q, page, lang],
  );
  const apply = (e) => {
    e.preventDefault();
    const text = draft.q.trim();
    if (text && text.length < 3) return setLocal(t("queue.qShort"));
    setLocal("");
    setQuery({ status: draft.status, overdue: draft.overdue ? "true" : "", q: text });
  };
  return html`<${PageHeading} sub=${s && s.agencies.length ? t("queue.agencies", { list: s.agencies.join(", ") }) : ""}>${t("queue.title")}<//>
    <form class="inline-filters card" onSubmit=${apply} data-testid="queue-filters">
      <${SelectField}
        id="queue-status"
        label=${t("dossier.status")}
        value=${draft.status}
        onChange=${(e) => setDraft({ ...draft, status: e.target.value })}
        options=${[{ value: "", label: t("filters.all") }, ...STATUSES.filter((x) => x !== "draft").map((x) => ({ value: x, label: statusName(x) }))]}
        data-testid="queue-status"
      />
      <${Field}
        id="queue-q"
        label=${t("queue.search")}
        hint=${t("queue.searchHint")}
        type="search"
        value=${draft.q}
        onInput=${(e) => setDraft({ ...draft, q: e.target.value })}
        error=${local}
        maxlength="60"
        data-testid="queue-q"
      />
      <div class="checkbox">
        <input type="checkbox" id="queue-overdue" checked=${draft.overdue} onChange=${(e) => setDraft({ ...draft, overdue: e.target.checked })} data-testid="queue-overdue" />
        <label for="queue-overdue">${t("queue.overdueOnly")}</label>
      </div>
      <div class="actions">
        <button type="submit" class="btn btn-primary" data-testid="queue-apply">${t("filters.apply")}</button>
        <button type="button" class="btn btn-secondary" onClick=${() => list.reload()} data-testid="queue-refresh">${t("queue.refresh")}</button>
      </div>
    </form>
    ${list.loading && !list.data
      ? html`<${Loading} />`
      : list.error
        ? html`<${ProblemAlert} error=${list.error} />`
        : list.data.items.length
          ? html`<p role="status" class="result-count">${t("queue.count", { n: list.data.total })}</p>
              <table class="table table-stack" data-testid="queue">
                <caption class="visually-hidden">${t("queue.title")}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t("dossier.code")}</th>
                    <th scope="col">${t("proc.name")}</th>
                    <th scope="col">${t("queue.applicant")}</th>
                    <th scope="col">${t("dossier.submittedAt")}</th>
                    <th scope="col">${t("dossier.appointment")}</th>
                    <th scope="col">${t("queue.deadline")}</th>
                    <th scope="col">${t("dossier.status")}</th>
                  </tr>
                </thead>
                <tbody>
                  ${list.data.items.map(
                    (d) => html`<tr data-testid="queue-row" data-code=${d.code}>
                      <td data-label=${t("dossier.code")}><a href=${`/can-bo/ho-so/${d.id}`} data-testid="queue-link">${d.code}</a></td>
                      <td data-label=${t("proc.name")}>${d.procedure.name}</td>
                      <td data-label=${t("queue.applicant")}>${d.applicant_name || ""}${d.applicant_phone ? html`<br /><span class="muted">${d.applicant_phone}</span>` : null}</td>
                      <td data-label=${t("dossier.submittedAt")}>${formatDateTime(d.submitted_at)}</td>
                      <td data-label=${t("dossier.appointment")}>${d.appointment_at ? formatDateTime(d.appointment_at) : "—"}</td>
                      <td data-label=${t("queue.deadline")}><${DeadlineBadge} deadline=${d.deadline} waiting=${d.status === "submitted"} /></td>
                      <td data-label=${t("dossier.status")}><${StatusBadge} status=${d.status} text=${d.status_text} /></td>
                    </tr>`,
                  )}
                </tbody>
              </table>
              <${Pager} page=${page} size=${SIZE} total=${list.data.total} onPage=${(n) => setQuery({ status, overdue: overdue ? "true" : "", q, page: n })} />`
          : html`<p data-testid="queue-empty">${t("queue.empty")}</p>`}`;
}

// What an officer may do from each status (the submission service's workflow).
const ACTIONS = [
  { name: "accept", from: ["submitted"], fields: ["note"] },
  { name: "refuse", from: ["submitted"], fields: ["reason", "note"], danger: true },
  { name: "start", from: ["accepted", "payment_requested"], fields: ["note"] },
  { name: "request-supplement", from: ["accepted", "processing"], fields: ["items", "note"] },
  { name: "request-payment", from: ["accepted", "processing"], fields: ["note"] },
  { name: "finish", from: ["processing"], fields: ["file", "note"] },
  { name: "return-result", from: ["finished"], fields: ["note"] },
  { name: "stop", from: ["accepted", "processing", "supplement_requested", "payment_requested"], fields: ["reason", "note"], danger: true },
];

function ActionForm({ d, action, onDone, onCancel }) {
  const [v, setV] = useState({ note: "", reason: "", items: "" });
  const [file, setFile] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const ref = useRef(null);
  useEffect(() => {
    const first = ref.current && ref.current.querySelector("input, textarea, button[type=submit]");
    if (first) first.focus();
  }, [action.name]);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  const set = (k) => (e) => setV({ ...v, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const items = v.items
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean);
    const missing = {};
    if (action.fields.includes("reason") && !v.reason.trim()) missing.reason = t("act.reasonRequired");
    if (action.fields.includes("items") && !items.length) missing.items = t("act.itemsRequired");
    if (action.fields.includes("file") && !file) missing.file = t("act.fileRequired");
    if (Object.keys(missing).length) {
      return setError(localProblem(missing));
    }
    setBusy(true);
    setError(null);
    const path = `/submissions/dossiers/${d.id}/actions/${action.name}`;
    const headers = { "If-Match": `"${d.rev}"` };
    try {
      if (action.fields.includes("file")) {
        const form = new FormData();
        if (v.note.trim()) form.append("note", v.note.trim());
        form.append("file", file, file.name);
        await request("POST", path, { form, headers });
      } else {
        const body = {};
        if (v.note.trim()) body.note = v.note.trim();
        if (v.reason.trim()) body.reason = v.reason.trim();
        if (items.length) body.items = items;
        await request("POST", path, { body, headers });
      }
      onDone(action);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const id = (k) => `act-${k}`;
  return html`<form ref=${ref} class="action-form" onSubmit=${submit} novalidate data-testid="action-form" data-action=${action.name}>
    <h3>${t(`act.${action.name}`)}</h3>
    <p class="muted">${t(`act.${action.name}.help`)}</p>
    <${ProblemAlert} error=${error} prefix="act-" />
    ${action.fields.includes("reason")
      ? html`<${TextareaField} id=${id("reason")} label=${t("act.reason")} value=${v.reason} onInput=${set("reason")} error=${fe.reason} required data-testid="action-reason" />`
      : null}
    ${action.fields.includes("items")
      ? html`<${TextareaField} id=${id("items")} label=${t("act.items")} hint=${t("act.itemsHint")} rows="4" value=${v.items} onInput=${set("items")} error=${fe.items} required data-testid="action-items" />`
      : null}
    ${action.fields.includes("file")
      ? html`<div class="field">
          <p class="label" id=${id("file-label")}>${t("act.file")}<span class="req" aria-hidden="true"> *</span></p>
          <${FilePicker}
            id=${id("file")}
            label=${t("upload.chooseOne")}
            extraLabel=${t("act.file")}
            error=${fe.file}
            chosen=${file ? file.name : t("upload.noneChosen")}
            onChange=${(e) => setFile(e.target.files[0] || null)}
            testid="action-file"
          />
        </div>`
      : null}
    <${TextareaField} id=${id("note")} label=${t("act.note")} value=${v.note} onInput=${set("note")} error=${fe.note} data-testid="action-note" />
    <div class="actions">
      <button type="submit" class=${`btn ${action.danger ? "btn-danger" : "btn-primary"}`} disabled=${busy} data-testid="action-submit">
        ${busy ? t("common.wait") : t("act.confirm", { action: t(`act.${action.name}`) })}
      </button>
      <button type="button" class="btn btn-secondary" onClick=${onCancel}>${t("common.cancel")}</button>
    </div>
  </form>`;
}

function Preview({ d, file, onClose }) {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let url = null;
    let live = true;
    fetchFile(`/submissions/officer/dossiers/${d.id}/attachments/${file.id}`).then(
      (f) => {
        url = f.url;
        if (live) setState({ f });
        else URL.revokeObjectURL(url);
      },
      (error) => live && setState({ error }),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [file.id]);
  const type = (state.f && state.f.type) || file.content_type || "";
  return html`<section class="preview card" aria-labelledby="preview-title" data-testid="preview">
    <div class="preview-head">
      <h3 id="preview-title" tabindex="-1">${t("file.preview")}: ${file.name}</h3>
      <button type="button" class="btn btn-secondary btn-small" onClick=${onClose} data-testid="preview-close">${t("common.close")}</button>
    </div>
    ${state.loading
      ? html`<${Loading} />`
      : state.error
        ? html`<${ProblemAlert} error=${state.error} focus=${false} />`
        : type.startsWith("image/")
          ? html`<img class="preview-img" src=${state.f.url} alt=${t("file.previewAlt", { name: file.name })} data-testid="preview-image" />`
          : html`<p>${type === "application/pdf" ? t("file.pdfHint") : t("file.noPreview")}</p>`}
    ${state.f
      ? html`<p class="actions">
          ${type === "application/pdf"
            ? html`<a class="btn btn-primary" href=${state.f.url} target="_blank" rel="noopener" data-testid="preview-open">${t("file.openTab")}<span class="visually-hidden"> (${t("common.newTab")})</span></a>`
            : null}
          <a class="btn btn-secondary" href=${state.f.url} download=${file.name} data-testid="preview-download">${t("file.download")}</a>
        </p>`
      : null}
  </section>`;
}

export function OfficerDossierPage({ id }) {
  const lang = useLang();
  const dossier = useAsync(() => get(`/submissions/officer/dossiers/${encodeURIComponent(id)}`), [id, lang]);
  const [action, setAction] = useState(null);
  const [done, setDone] = useState("");
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState(null);
  const d = dossier.data;
  useTitle(d ? t("dossier.title", { code: d.code }) : t("dossier.titlePlain"));
  if (dossier.loading && !d) return html`<${PageHeading}>${t("dossier.titlePlain")}<//><${Loading} />`;
  if (!d) return html`<${PageHeading}>${t("dossier.titlePlain")}<//><${ProblemAlert} error=${dossier.error} />`;

  const available = ACTIONS.filter((a) => a.from.includes(d.status));
  const compName = (cid) => ((d.procedure.components || []).find((c) => c.id === cid) || {}).name || cid;
  const person = (p) =>
    p
      ? html`<${Facts}
          items=${[
            [t("person.fullName"), p.full_name],
            [t("person.citizenId"), p.citizen_id],
            [t("person.dob"), p.date_of_birth],
            [t("person.phone"), p.phone],
            [t("person.email"), p.email],
            [t("person.address"), p.address],
          ]}
        />`
      : null;
  const save = async (path, name) => {
    setError(null);
    try {
      await downloadFile(path, name);
    } catch (err) {
      setError(err);
    }
  };
  const finished = async (a) => {
    setAction(null);
    setDone(t(`act.done.${a.name}`));
    dossier.reload();
  };

  return html`<nav class="breadcrumb" aria-label=${t("nav.breadcrumb")}>
      <ol>
        <li><a href="/can-bo">${t("queue.title")}</a></li>
        <li aria-current="page">${d.code}</li>
      </ol>
    </nav>
    <${PageHeading}>${t("dossier.title", { code: d.code })}<//>
    ${done ? html`<${Alert} kind="success" testid="action-done" focus>${done}<//>` : null}
    <${ProblemAlert} error=${error} />
    <div class="card">
      <p class="status-line">${t("dossier.status")}: <${StatusBadge} status=${d.status} text=${d.status_text} testid="dossier-status" /></p>
      <${Facts}
        testid="dossier-facts"
        items=${[
          [t("proc.name"), `${d.procedure.name} (${d.procedure.code})`],
          [t("wizard.agency"), d.agency.name],
          d.cases && d.cases.length > 1 ? [t("wizard.case"), d.case] : [null, null],
          [t("dossier.submittedAt"), formatDateTime(d.submitted_at)],
          [t("dossier.acceptedAt"), d.accepted_at ? formatDateTime(d.accepted_at) : ""],
          [t("dossier.appointment"), d.appointment_at ? html`<span data-testid="appointment">${formatDateTime(d.appointment_at)}</span>` : ""],
          [t("dossier.supplements"), d.supplement_count ? String(d.supplement_count) : ""],
        ].filter(([k]) => k)}
      />
    </div>

    <section class="card" aria-labelledby="actions-title" data-testid="actions">
      <h2 id="actions-title">${t("act.title")}</h2>
      ${available.length
        ? html`<div class="action-buttons">
            ${available.map(
              (a) => html`<button
                type="button"
                class=${`btn ${a.danger ? "btn-danger-outline" : action && action.name === a.name ? "btn-primary" : "btn-secondary"}`}
                aria-pressed=${action && action.name === a.name ? "true" : "false"}
                onClick=${() => setAction(a)}
                data-testid=${`action-${a.name}`}
              >
                ${t(`act.${a.name}`)}
              </button>`,
            )}
          </div>`
        : html`<p class="muted">${t("act.none")}</p>`}
      ${action ? html`<${ActionForm} key=${action.name} d=${d} action=${action} onDone=${finished} onCancel=${() => setAction(null)} />` : null}
    </section>

    <section class="card" aria-labelledby="applicant-title">
      <h2 id="applicant-title">${t("wizard.submitter")}</h2>
      ${person(d.applicant && d.applicant.submitter)}
      ${d.applicant && d.applicant.owner ? html`<h3>${t("wizard.owner")}</h3>${person(d.applicant.owner)}` : null}
    </section>

    <section class="card" aria-labelledby="att-title">
      <h2 id="att-title">${t("dossier.files")}</h2>
      ${d.attachments && d.attachments.length
        ? html`<table class="table table-stack" data-testid="officer-files">
            <thead>
              <tr>
                <th scope="col">${t("comp.name")}</th>
                <th scope="col">${t("file.name")}</th>
                <th scope="col">${t("file.size")}</th>
                <th scope="col"><span class="visually-hidden">${t("file.actions")}</span></th>
              </tr>
            </thead>
            <tbody>
              ${d.attachments.map(
                (a) => html`<tr data-testid="officer-file">
                  <td data-label=${t("comp.name")} class="clamp">${compName(a.component_id)}</td>
                  <td data-label=${t("file.name")}>${a.name}</td>
                  <td data-label=${t("file.size")}>${formatBytes(a.size)}</td>
                  <td data-label=${t("file.actions")}>
                    <span class="actions">
                      <button type="button" class="btn btn-small btn-secondary" onClick=${() => setPreview(a)} data-testid="preview-file">
                        ${t("file.view")}<span class="visually-hidden"> ${a.name}</span>
                      </button>
                      <button
                        type="button"
                        class="btn btn-small btn-secondary"
                        onClick=${() => save(`/submissions/officer/dossiers/${d.id}/attachments/${a.id}`, a.name)}
                        data-testid="download-file"
                      >
                        ${t("file.download")}<span class="visually-hidden"> ${a.name}</span>
                      </button>
                    </span>
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">${t("upload.none")}</p>`}
      ${preview ? html`<${Preview} key=${preview.id} d=${d} file=${preview} onClose=${() => setPreview(null)} />` : null}
    </section>

    ${d.results && d.results.length
      ? html`<section class="card" aria-labelledby="res-title">
          <h2 id="res-title">${t("dossier.results")}</h2>
          <ul class="file-list">
            ${d.results.map(
              (f) => html`<li class="file-item">
                <span class="file-name">${f.name}</span> <span class="muted">(${formatBytes(f.size)})</span>
                <button type="button" class="btn btn-small btn-secondary" onClick=${() => save(`/submissions/dossiers/${d.id}/results/${f.id}`, f.name)}>
                  ${t("file.download")}<span class="visually-hidden"> ${f.name}</span>
                </button>
              </li>`,
            )}
          </ul>
        </section>`
      : null}

    <section class="card" aria-labelledby="hist-title">
      <h2 id="hist-title">${t("dossier.history")}</h2>
      <${Timeline} history=${d.history} statusText=${statusName} />
    </section>`;
}
