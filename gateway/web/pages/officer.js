// Officers: the agency's queue (status, overdue, search; due dates in colour and words) and a dossier
// with its files (previewed through blob: URLs fetched with the token) and the workflow's actions.
import { html, useState, useEffect, useRef, useStore } from "../lib.js";
import { get, request, fetchFile, downloadFile } from "../api.js";
import { t, useLang, formatDateTime, formatBytes } from "../i18n.js";
import { setQuery, pageOf } from "../router.js";
import { session } from "../session.js";
import { PageHeading, DossierTitle, StatusLine, filingFacts, Breadcrumb, Loading, ProblemAlert, Pager, DataTable, showList, StatusBadge, DeadlineBadge, Facts, Timeline, Field, SelectField, TextareaField, STATUSES, statusName, useAsync, useTitle, useForm, FilePicker } from "../components.js";
import { localProblem } from "./auth.js";

const SIZE = 20;

export function QueuePage({ query }) {
  const lang = useLang();
  const s = useStore(session);
  useTitle(t("queue.title"));
  const status = query.get("status") || "";
  const overdue = query.get("overdue") === "true";
  const q = query.get("q") || "";
  const page = pageOf(query);
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
    ${showList(
      list,
      (data) => html`<p role="status" class="result-count">${t("queue.count", { n: data.total })}</p>
        <${DataTable}
          caption=${t("queue.title")}
          testid="queue"
          rows=${data.items}
          rowProps=${(d) => ({ "data-testid": "queue-row", "data-code": d.code })}
          columns=${[
            { label: t("dossier.code"), cell: (d) => html`<a href=${`/can-bo/ho-so/${d.id}`} data-testid="queue-link">${d.code}</a>` },
            { label: t("proc.name"), cell: (d) => d.procedure.name },
            {
              label: t("queue.applicant"),
              cell: (d) => html`${d.applicant_name || ""}${d.applicant_phone ? html`<br /><span class="muted">${d.applicant_phone}</span>` : null}`,
            },
            { label: t("dossier.submittedAt"), cell: (d) => formatDateTime(d.submitted_at) },
            { label: t("dossier.appointment"), cell: (d) => (d.appointment_at ? formatDateTime(d.appointment_at) : "—") },
            { label: t("queue.deadline"), cell: (d) => html`<${DeadlineBadge} deadline=${d.deadline} waiting=${d.status === "submitted"} />` },
            { label: t("dossier.status"), cell: (d) => html`<${StatusBadge} status=${d.status} text=${d.status_text} />` },
          ]}
        />
        <${Pager} page=${page} size=${SIZE} total=${data.total} onPage=${(n) => setQuery({ status, overdue: overdue ? "true" : "", q, page: n })} />`,
      html`<p data-testid="queue-empty">${t("queue.empty")}</p>`,
    )}`;
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
  const { v, set, fe, error, busy, send } = useForm({ note: "", reason: "", items: "" });
  const [file, setFile] = useState(null);
  const ref = useRef(null);
  useEffect(() => {
    const first = ref.current && ref.current.querySelector("input, textarea, button[type=submit]");
    if (first) first.focus();
  }, [action.name]);
  const submit = (e) => {
    e.preventDefault();
    const items = v.items
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean);
    const missing = {};
    if (action.fields.includes("reason") && !v.reason.trim()) missing.reason = t("act.reasonRequired");
    if (action.fields.includes("items") && !items.length) missing.items = t("act.itemsRequired");
    if (action.fields.includes("file") && !file) missing.file = t("act.fileRequired");
    const path = `/submissions/dossiers/${d.id}/actions/${action.name}`;
    const headers = { "If-Match": `"${d.rev}"` };
    const act = async () => {
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
    };
    send(Object.keys(missing).length ? localProblem(missing) : null, act, { leaves: true });
  };
  const id = (k) => `act-${k}`;
  return html`<form
    ref=${ref}
    class="action-form"
    onSubmit=${submit}
    onKeyDown=${(e) => e.key === "Escape" && !busy && (e.preventDefault(), onCancel())}
    novalidate
    data-testid="action-form"
    data-action=${action.name}
  >
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

// Everything in a modal dialog that takes the keyboard focus, in order.
const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/**
 * A file's preview: a modal <dialog> (showModal: the page behind is inert, Escape closes it, focus goes
 * back to what opened it), named by its heading. `onClose` runs however it closes (button, Escape).
 */
function Preview({ d, file, onClose }) {
  const [state, setState] = useState({ loading: true });
  const dialog = useRef(null);
  const closeButton = useRef(null);
  useEffect(() => {
    const el = dialog.current;
    const opener = document.activeElement;
    el.showModal();
    if (closeButton.current) closeButton.current.focus();
    const closed = () => onClose(opener);
    el.addEventListener("close", closed);
    return () => {
      el.removeEventListener("close", closed);
      if (el.open) el.close();
    };
  }, []);
  // Tab and Shift+Tab go round inside the dialog: Chromium would otherwise let the focus leave the
  // page for the browser's own controls at the dialog's last stop, and in a headless or kiosk browser
  // it lands on the document, behind the dialog.
  const keepFocusInside = (e) => {
    if (e.key !== "Tab") return;
    const stops = [...dialog.current.querySelectorAll(FOCUSABLE)].filter((x) => x.getClientRects().length);
    if (!stops.length) return;
    const first = stops[0];
    const last = stops[stops.length - 1];
    const at = document.activeElement;
    if (e.shiftKey && (at === first || !dialog.current.contains(at) || at === dialog.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (at === last || !dialog.current.contains(at))) {
      e.preventDefault();
      first.focus();
    }
  };
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
  return html`<dialog ref=${dialog} class="preview-dialog" aria-labelledby="preview-title" onKeyDown=${keepFocusInside} data-testid="preview">
    <div class="preview-head">
      <h2 id="preview-title" tabindex="-1">${t("file.preview")}: ${file.name}</h2>
      <button type="button" ref=${closeButton} class="btn btn-secondary btn-small" onClick=${() => dialog.current.close()} data-testid="preview-close">${t("common.close")}</button>
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
  </dialog>`;
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
  // The browser gives the focus back to the opener when a modal dialog closes; this is for the case it
  // cannot (the dossier was drawn again meanwhile and the button is a new one).
  const closePreview = (opener) => {
    setPreview(null);
    requestAnimationFrame(() => {
      if (document.activeElement && document.activeElement !== document.body) return;
      const again = opener && opener.isConnected ? opener : document.querySelector(`[data-testid=preview-file][data-file="${opener && opener.dataset.file}"]`);
      if (again) again.focus();
    });
  };
  // "Hủy" (or Escape) removes the form that held the focus: it goes back to the action's button.
  const cancelAction = (a) => {
    setAction(null);
    requestAnimationFrame(() => {
      const b = document.getElementById(`act-btn-${a.name}`);
      if (b) b.focus();
    });
  };
  const finished = async (a) => {
    setAction(null);
    setDone(t(`act.done.${a.name}`));
    dossier.reload();
  };

  return html`<${Breadcrumb} trail=${[["/can-bo", t("queue.title")]]} here=${d.code} />
    <${DossierTitle} d=${d} done=${done} error=${error} />
    <div class="card">
      <${StatusLine} d=${d} />
      <${Facts}
        testid="dossier-facts"
        items=${[
          [t("proc.name"), `${d.procedure.name} (${d.procedure.code})`],
          [t("wizard.agency"), d.agency.name],
          ...filingFacts(d),
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
                id=${`act-btn-${a.name}`}
                data-testid=${`action-${a.name}`}
              >
                ${t(`act.${a.name}`)}
              </button>`,
            )}
          </div>`
        : html`<p class="muted">${t("act.none")}</p>`}
      ${action ? html`<${ActionForm} key=${action.name} d=${d} action=${action} onDone=${finished} onCancel=${() => cancelAction(action)} />` : null}
    </section>

    <section class="card" aria-labelledby="applicant-title">
      <h2 id="applicant-title">${t("wizard.submitter")}</h2>
      ${person(d.applicant && d.applicant.submitter)}
      ${d.applicant && d.applicant.owner ? html`<h3>${t("wizard.owner")}</h3>${person(d.applicant.owner)}` : null}
    </section>

    <section class="card" aria-labelledby="att-title">
      <h2 id="att-title">${t("dossier.files")}</h2>
      ${d.attachments && d.attachments.length
        ? html`<${DataTable}
            testid="officer-files"
            rows=${d.attachments}
            rowProps=${() => ({ "data-testid": "officer-file" })}
            columns=${[
              { label: t("comp.name"), cell: (a) => compName(a.component_id), props: () => ({ class: "clamp" }) },
              { label: t("file.name"), cell: (a) => a.name },
              { label: t("file.size"), cell: (a) => formatBytes(a.size) },
              {
                label: t("file.actions"),
                hidden: true,
                cell: (a) => html`<span class="actions">
                  <button type="button" class="btn btn-small btn-secondary" onClick=${() => setPreview(a)} data-file=${a.id} data-testid="preview-file">
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
                </span>`,
              },
            ]}
          />`
        : html`<p class="muted">${t("upload.none")}</p>`}
      ${preview ? html`<${Preview} key=${preview.id} d=${d} file=${preview} onClose=${closePreview} />` : null}
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
