// Officers: the agency's queue (status, overdue, search; due dates in colour and words) and a dossier
// with its files (previewed through blob: URLs fetched with the token) and the workflow's actions.
import { html, useState, useEffect, useRef, useStore } from "../lib.js";
import { get, request, fetchFile, downloadFile } from "../api.js";
import { t, pick, useLang, formatDateTime, formatBytes } from "../i18n.js";
import { setQuery, pageOf, navigate } from "../router.js";
import { setFlash } from "../flash.js";
import { session } from "../session.js";
import { PageHeading, DossierTitle, StatusLine, filingFacts, Breadcrumb, Loading, ProblemAlert, Pager, DataTable, showList, StatusBadge, DeadlineBadge, Facts, Timeline, Field, SelectField, TextareaField, STATUSES, statusName, useAsync, useTitle, useForm, FilePicker, describedBy, viLang, Vi, useOnChange } from "../components.js";
import { localProblem } from "./auth.js";
import { Papers, StepText, Transfers, Apologies, past } from "./onestop.js";
import { RatingView } from "./rating.js";
import { OfficerPayments, QueuePaymentState, LinesEditor, emptyLine, lineErrors, cleanLines } from "./payment.js";

const SIZE = 20;

// The queue's views: what waits for the caller, the steps due soon, those overdue, everything.
const TABS = [
  { key: "mine", slug: "cua-toi", query: { mine: "true" } },
  { key: "soon", slug: "sap-den-han", query: { due: "soon" } },
  { key: "overdue", slug: "qua-han", query: { due: "overdue" } },
  { key: "all", slug: "tat-ca", query: {} },
];
const STEP_ICON = { on_time: "●", due_soon: "▲", overdue: "■", done: "✓" };

/** A queue row's step: where it is, by when, and how that stands (words and a shape, not colour alone). */
function StepCell({ d }) {
  const state = d.deadline && d.deadline.step_state;
  const due = (d.deadline && d.deadline.step_due_at) || d.step_due_at;
  return html`${d.step_text ? html`<span class="step-text">${pick(d.step_text)}</span>` : null}
    ${state
      ? html`<br /><span class=${`deadline dl-${state}`} data-testid="step-state" data-state=${state}>
            <span class="dl-icon" aria-hidden="true">${STEP_ICON[state] || ""}</span>${t(`step.${state}`)}${due && state !== "done"
              ? html`<span class="dl-extra"> (${t("queue.stepDue", { date: formatDateTime(due) })})</span>`
              : null}
          </span>`
      : null}`;
}

export function QueuePage({ query }) {
  const lang = useLang();
  const s = useStore(session);
  useTitle(t("queue.title"));
  const status = query.get("status") || "";
  const overdue = query.get("overdue") === "true";
  const q = query.get("q") || "";
  const view = TABS.find((x) => x.slug === query.get("xem")) || TABS[TABS.length - 1];
  const page = pageOf(query);
  const [draft, setDraft] = useState({ status, overdue, q });
  const [local, setLocal] = useState("");
  useOnChange(JSON.stringify([status, overdue, q]), () => setDraft({ status, overdue, q }));
  const list = useAsync(
    () => get("/submissions/officer/dossiers", { query: { status, overdue: overdue ? "true" : undefined, q, ...view.query, page, size: SIZE } }),
    [status, overdue, q, view.slug, page, lang],
  );
  const xem = view.slug === "tat-ca" ? "" : view.slug;
  const apply = (e) => {
    e.preventDefault();
    const text = draft.q.trim();
    if (text && text.length < 3) return setLocal(t("queue.qShort"));
    setLocal("");
    setQuery({ xem, status: draft.status, overdue: draft.overdue ? "true" : "", q: text });
  };
  // A tab keeps the filters below it; it starts again at the first page.
  const tabHref = (tab) => {
    const p = new URLSearchParams();
    if (tab.slug !== "tat-ca") p.set("xem", tab.slug);
    if (status) p.set("status", status);
    if (overdue) p.set("overdue", "true");
    if (q) p.set("q", q);
    const text = p.toString();
    return `/can-bo${text ? `?${text}` : ""}`;
  };
  return html`<${PageHeading} sub=${s && s.agencies.length ? t("queue.agencies", { list: s.agencies.join(", ") }) : ""}>${t("queue.title")}<//>
    <nav class="queue-tabs" aria-label=${t("queue.tabs")} data-testid="queue-tabs">
      <ul>
        ${TABS.map(
          (tab) => html`<li>
            <a href=${tabHref(tab)} aria-current=${tab.slug === view.slug ? "page" : undefined} data-testid=${`queue-tab-${tab.key}`}>${t(`queue.tab.${tab.key}`)}</a>
          </li>`,
        )}
      </ul>
    </nav>
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
          caption=${`${t("queue.title")}: ${t(`queue.tab.${view.key}`)}`}
          testid="queue"
          rows=${data.items}
          rowProps=${(d) => {
            const state = (d.deadline && d.deadline.step_state) || "";
            return { "data-testid": "queue-row", "data-code": d.code, "data-step-state": state, class: state ? `queue-row step-${state}` : "queue-row" };
          }}
          columns=${[
            { label: t("dossier.code"), cell: (d) => html`<a href=${`/can-bo/ho-so/${d.id}`} data-testid="queue-link">${d.code}</a>` },
            { label: t("proc.name"), cell: (d) => d.procedure.name, vi: true },
            { label: t("queue.step"), cell: (d) => html`<${StepCell} d=${d} />` },
            { label: t("queue.handler"), cell: (d) => (d.handler ? html`<span lang=${viLang()} data-testid="queue-handler">${d.handler.name || "—"}</span>` : "—") },
            {
              label: t("queue.applicant"),
              cell: (d) => html`${d.applicant_name || ""}${d.applicant_phone ? html`<br /><span class="muted">${d.applicant_phone}</span>` : null}`,
            },
            { label: t("dossier.submittedAt"), cell: (d) => formatDateTime(d.submitted_at) },
            { label: t("dossier.appointment"), cell: (d) => (d.appointment_at ? formatDateTime(d.appointment_at) : "—") },
            { label: t("queue.deadline"), cell: (d) => html`<${DeadlineBadge} deadline=${d.deadline} waiting=${d.status === "submitted"} />` },
            {
              label: t("dossier.status"),
              cell: (d) => html`<${StatusBadge} status=${d.status} text=${d.status_text} /><${QueuePaymentState} d=${d} />`,
            },
          ]}
        />
        <${Pager} page=${page} size=${SIZE} total=${data.total} onPage=${(n) => setQuery({ xem, status, overdue: overdue ? "true" : "", q, page: n })} />`,
      html`<p data-testid="queue-empty">${t("queue.empty")}</p>`,
    )}`;
}

// What each action of the one-stop workflow asks for. Which ones are open is the server's to say
// (`d.actions`: the caller's roles, the dossier's status and step); an action this list does not know
// gets a note only.
const FORMS = {
  accept: { fields: ["assignee", "note"] },
  refuse: { fields: ["reason", "note"], danger: true },
  "request-supplement": { fields: ["items", "note"] },
  transfer: { fields: ["agency", "reason", "note"] },
  assign: { fields: ["assignee", "note"] },
  start: { fields: ["note"] },
  "request-payment": { fields: ["lines", "note"] },
  propose: { fields: ["outcome", "file", "note"] },
  approve: { fields: ["note"] },
  "send-back": { fields: ["note"], noteRequired: true },
  consult: { fields: ["agency", "kind", "days", "note"], noteRequired: true },
  answer: { fields: ["note"], noteRequired: true },
  apologise: { fields: ["reason", "days"], daysRequired: true },
  stop: { fields: ["reason", "note"], danger: true },
  "return-result": { fields: ["note"] },
};
// The citizen's actions never show on the officer's screen (an account holding both roles acts as a
// citizen on its own page).
const CITIZENS = ["withdraw", "resubmit"];

/** The officer's actions open now, in the server's order, each with its form. */
export function actionsOf(d) {
  return (d.actions || [])
    .filter((name) => !CITIZENS.includes(name))
    .map((name) => {
      let form = FORMS[name] || { fields: ["note"] };
      // Moving on a dossier waiting for a payment by hand: it was paid at the counter (the receipt number).
      if (name === "start" && d.status === "payment_requested") form = { fields: ["receipt", "note"], noteRequired: true };
      // At the one-stop desk a supplement request is the completion request (Mẫu số 02, "hoàn thiện").
      const label = name === "request-supplement" && d.step === "reception" ? "request-completion" : name;
      return { name, label, ...form };
    });
}

const actText = (a, key) => {
  const own = t(`act.${a.label}.${key}`);
  return own === `act.${a.label}.${key}` ? "" : own;
};

// The agency directory, loaded once a page load (the same for every dossier).
let directory = null;
const agencyDirectory = () => {
  if (!directory) {
    directory = get("/catalog/agencies").then(
      (r) => (Array.isArray(r) ? r : (r && r.items) || []),
      (err) => {
        directory = null;
        throw err;
      },
    );
  }
  return directory;
};

const LEVELS = ["commune", "city", "central"];

/** A picker of the system's other agencies, grouped by level (the dossier's own agency left out). */
function AgencySelect({ id, value, onChange, error, exclude, required }) {
  const lang = useLang();
  const list = useAsync(() => agencyDirectory(), [lang]);
  const items = (list.data || []).filter((a) => a.code !== exclude && a.active !== false);
  const groups = LEVELS.map((level) => [level, items.filter((a) => a.level === level)]).filter(([, xs]) => xs.length);
  const others = items.filter((a) => !LEVELS.includes(a.level));
  // Always a hint, of one line: the form does not move when the list arrives.
  const hint = list.loading ? t("act.agencyLoading") : list.error ? list.error.title || t("error.title") : t("act.agencyHint");
  return html`<${Field} id=${id} label=${t("act.agency")} error=${error} hint=${hint} required=${required}>
    <select
      id=${id}
      value=${value}
      onChange=${onChange}
      required=${required}
      aria-required=${required ? "true" : undefined}
      aria-invalid=${error ? "true" : undefined}
      aria-describedby=${describedBy(id, hint, error)}
      data-testid="action-agency"
    >
      <option value="">${t("act.agencyChoose")}</option>
      ${groups.map(
        ([level, xs]) => html`<optgroup label=${t(`level.${level}`)}>
          ${xs.map((a) => html`<option value=${a.code} lang=${viLang()} selected=${a.code === value}>${a.name}</option>`)}
        </optgroup>`,
      )}
      ${others.map((a) => html`<option value=${a.code} lang=${viLang()} selected=${a.code === value}>${a.name}</option>`)}
    </select>
  <//>`;
}

/**
 * The agency's specialists (`GET /auth/agencies/{code}/staff`); its default one chosen first. The empty
 * choice leaves it to the server: the agency's default specialist. When the list cannot be had (an older
 * auth service answers 404), the empty choice is all there is, and the hint says so.
 */
function AssigneeSelect({ id, agency, value, setValue, error, current }) {
  const lang = useLang();
  const staff = useAsync(() => get(`/auth/agencies/${encodeURIComponent(agency)}/staff`), [agency, lang]);
  const specialists = ((staff.data && staff.data.items) || []).filter((p) => (p.roles || []).includes("specialist"));
  const chosenDefault = useRef(false);
  useEffect(() => {
    if (chosenDefault.current || !staff.data) return;
    chosenDefault.current = true;
    const def = specialists.find((p) => p.default_specialist);
    if (def && !value && (!current || current.id !== def.id)) setValue(def.id);
  }, [staff.data]);
  const hint = staff.loading ? t("act.assigneeLoading") : staff.error ? t("act.assigneeUnavailable") : t("act.assigneeHint");
  return html`<${Field} id=${id} label=${t("act.assignee")} error=${error} hint=${hint}>
    <select
      id=${id}
      value=${value}
      onChange=${(e) => setValue(e.target.value)}
      aria-invalid=${error ? "true" : undefined}
      aria-describedby=${describedBy(id, hint, error)}
      aria-busy=${staff.loading ? "true" : undefined}
      data-testid="action-assignee"
    >
      <option value="">${t("act.assigneeDefault")}</option>
      ${specialists.map(
        (p) => html`<option value=${p.id} lang=${viLang()} selected=${p.id === value}>
          ${p.full_name}${p.default_specialist ? ` ${t("act.assigneeDefaultMark")}` : ""}${current && current.id === p.id ? ` — ${t("officer.handler").toLowerCase()}` : ""}
        </option>`,
      )}
    </select>
  <//>`;
}

function ActionForm({ d, action, onDone, onCancel }) {
  const { v, setV, set, fe, error, busy, send } = useForm({ note: "", reason: "", items: "", assignee: "", agency: "", outcome: "", kind: "opinion", days: "", amount: "", receipt: "" });
  const [file, setFile] = useState(null);
  const [lines, setLines] = useState(() => [emptyLine()]);
  const ref = useRef(null);
  const has = (f) => action.fields.includes(f);
  useEffect(() => {
    const first = ref.current && ref.current.querySelector("input, select, textarea, button[type=submit]");
    if (first) first.focus();
  }, [action.name]);
  const submit = (e) => {
    e.preventDefault();
    const items = v.items
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean);
    const days = v.days.trim() ? Number(v.days.trim()) : null;
    const amount = v.amount.trim() ? Number(v.amount.trim().replace(/[.\s]/g, "")) : null;
    const refusing = has("outcome") && v.outcome === "refuse";
    const missing = {};
    if ((has("reason") || refusing) && !v.reason.trim()) missing.reason = t("act.reasonRequired");
    if (has("items") && !items.length) missing.items = t("act.itemsRequired");
    if (has("agency") && !v.agency) missing.agency = t("act.agencyRequired");
    if (has("outcome") && !v.outcome) missing.outcome = t("act.outcomeRequired");
    if (has("file") && (!file || !(file.type === "application/pdf" || /\.pdf$/i.test(file.name)))) missing.file = t("act.pdfRequired");
    if (action.noteRequired && !v.note.trim()) missing.note = t("act.noteRequired");
    if (has("days") && (action.daysRequired || days !== null) && !(Number.isInteger(days) && days >= 1 && days <= 60)) missing.days = t("act.daysRequired");
    if (has("lines")) Object.assign(missing, lineErrors(lines));
    if (has("amount") && !(Number.isInteger(amount) && amount >= 1)) missing.amount = t("act.amountRequired");
    if (has("receipt") && !v.receipt.trim()) missing.receipt = t("act.receiptRequired");
    const path = `/submissions/dossiers/${d.id}/actions/${action.name}`;
    const headers = { "If-Match": `"${d.rev}"` };
    const fields = {};
    if (v.note.trim()) fields.note = v.note.trim();
    if ((has("reason") || refusing) && v.reason.trim()) fields.reason = v.reason.trim();
    if (has("items") && items.length) fields.items = items;
    if (has("assignee") && v.assignee) fields.assignee = v.assignee;
    if (has("agency") && v.agency) fields.agency = v.agency;
    if (has("outcome") && v.outcome) fields.outcome = v.outcome;
    if (has("kind")) fields.kind = v.kind;
    if (has("days") && days !== null) fields.days = days;
    if (has("lines") && lines.length) {
      // The lines and their sum: the payment service makes the order of exactly this.
      fields.lines = cleanLines(lines);
      fields.amount = fields.lines.reduce((n, l) => n + l.amount, 0);
    }
    if (has("amount") && amount !== null) fields.amount = amount;
    if (has("receipt") && v.receipt.trim()) fields.items = [v.receipt.trim()];
    const act = async () => {
      if (has("file")) {
        // The text fields before the file: the server reads the form as it streams.
        const form = new FormData();
        for (const [k, x] of Object.entries(fields)) form.append(k, String(x));
        form.append("file", file, file.name);
        await request("POST", path, { form, headers });
      } else {
        await request("POST", path, { body: fields, headers });
      }
      onDone(action);
    };
    send(Object.keys(missing).length ? localProblem(missing) : null, act, { leaves: true });
  };
  const id = (k) => `act-${k}`;
  const help = action.name === "accept" ? t("act.accept.helpAssign") : actText(action, "help");
  const noteLabel = actText({ label: "note" }, action.name) || (action.noteRequired ? t("timeline.note") : t("act.note"));
  const radios = (name, options, testid) => html`<fieldset class="fieldset radios" id=${id(name)} tabindex="-1" aria-describedby=${fe[name] ? `${id(name)}-error` : undefined}>
    <legend>${t(`act.${name}`)}${has(name) && name === "outcome" ? html`<span class="req" aria-hidden="true"> *</span>` : null}</legend>
    ${fe[name] ? html`<p class="error-msg" id=${`${id(name)}-error`}><span class="visually-hidden">${t("common.error")}: </span>${fe[name]}</p>` : null}
    ${options.map(
      (o) => html`<div class="radio">
        <input type="radio" id=${id(`${name}-${o}`)} name=${id(name)} value=${o} checked=${v[name] === o} onChange=${() => setV({ ...v, [name]: o })} data-testid=${`${testid}-${o}`} />
        <label for=${id(`${name}-${o}`)}>${t(`act.${name}.${o}`)}</label>
      </div>`,
    )}
  </fieldset>`;
  return html`<form
    ref=${ref}
    class="action-form"
    onSubmit=${submit}
    onKeyDown=${(e) => e.key === "Escape" && !busy && (e.preventDefault(), onCancel())}
    novalidate
    data-testid="action-form"
    data-action=${action.name}
  >
    <h3>${t(`act.${action.label}`)}</h3>
    ${help ? html`<p class="muted">${help}</p>` : null}
    <${ProblemAlert} error=${error} prefix="act-" />
    ${has("assignee")
      ? html`<${AssigneeSelect} id=${id("assignee")} agency=${d.agency.code} value=${v.assignee} setValue=${(x) => setV((o) => ({ ...o, assignee: x }))} error=${fe.assignee} current=${d.handler} />`
      : null}
    ${has("agency") ? html`<${AgencySelect} id=${id("agency")} value=${v.agency} onChange=${set("agency")} error=${fe.agency} exclude=${d.agency.code} required />` : null}
    ${has("kind") ? radios("kind", ["opinion", "step"], "action-kind") : null}
    ${has("outcome") ? radios("outcome", ["grant", "refuse"], "action-outcome") : null}
    ${has("reason") || (has("outcome") && v.outcome === "refuse")
      ? html`<${TextareaField}
          id=${id("reason")}
          label=${action.name === "propose" ? t("act.refuseReason") : action.name === "apologise" ? t("act.apologyReason") : t("act.reason")}
          value=${v.reason}
          onInput=${set("reason")}
          error=${fe.reason}
          required
          data-testid="action-reason"
        />`
      : null}
    ${has("items")
      ? html`<${TextareaField} id=${id("items")} label=${t("act.items")} hint=${t("act.itemsHint")} rows="4" value=${v.items} onInput=${set("items")} error=${fe.items} required data-testid="action-items" />`
      : null}
    ${has("days")
      ? html`<${Field}
          id=${id("days")}
          label=${t("act.days")}
          hint=${action.name === "apologise" ? t("act.daysApologyHint", { date: d.appointment_at ? formatDateTime(d.appointment_at) : "—" }) : t("act.daysConsultHint")}
          type="number"
          inputmode="numeric"
          min="1"
          max="60"
          class="field-short"
          value=${v.days}
          onInput=${set("days")}
          error=${fe.days}
          required=${!!action.daysRequired}
          data-testid="action-days"
        />`
      : null}
    ${has("amount")
      ? html`<${Field} id=${id("amount")} label=${t("act.amount")} hint=${t("act.amountHint")} inputmode="numeric" class="field-short" value=${v.amount} onInput=${set("amount")} error=${fe.amount} required data-testid="action-amount" />`
      : null}
    ${has("receipt")
      ? html`<${Field} id=${id("receipt")} label=${t("act.receipt")} hint=${t("act.receiptHint")} value=${v.receipt} onInput=${set("receipt")} error=${fe.receipt} required data-testid="action-receipt" />`
      : null}
    ${has("file")
      ? html`<div class=${`field ${fe.file ? "field-error" : ""}`}>
          <p class="label" id=${id("file-label")}>${t("act.filePdf")}<span class="req" aria-hidden="true"> *</span></p>
          <${FilePicker}
            id=${id("file")}
            label=${t("upload.chooseOne")}
            extraLabel=${t("act.filePdf")}
            hint=${t("act.filePdfHint")}
            accept="application/pdf,.pdf"
            error=${fe.file}
            chosen=${file ? file.name : t("upload.noneChosen")}
            onChange=${(e) => setFile(e.target.files[0] || null)}
            testid="action-file"
          />
        </div>`
      : null}
    ${has("lines") ? html`<${LinesEditor} lines=${lines} setLines=${setLines} errors=${fe} />` : null}
    ${has("note")
      ? html`<${TextareaField} id=${id("note")} label=${noteLabel} value=${v.note} onInput=${set("note")} error=${fe.note} required=${!!action.noteRequired} data-testid="action-note" />`
      : null}
    <div class="actions">
      <button type="submit" class=${`btn ${action.danger ? "btn-danger" : "btn-primary"}`} disabled=${busy} data-testid="action-submit">
        ${busy ? t("common.wait") : t("act.confirm", { action: t(`act.${action.label}`) })}
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

  const available = actionsOf(d);
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
    const said = t(`act.done.${a.label}`);
    const text = said === `act.done.${a.label}` ? t("act.done.other") : said;
    if (a.name === "transfer") {
      // The dossier now belongs to the other agency: its page is no longer this officer's to see.
      setFlash("success", text);
      navigate("/can-bo");
      return;
    }
    setDone(text);
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
          [
            t("officer.originalAppointment"),
            d.original_appointment_at && d.original_appointment_at !== d.appointment_at
              ? html`<span data-testid="original-appointment">${formatDateTime(d.original_appointment_at)}</span>`
              : "",
          ],
          [t("officer.where"), d.step_text ? html`<${StepText} d=${d} />` : ""],
          [
            t("officer.stepDue"),
            d.step && d.step_due_at
              ? html`<span data-testid="step-due">${formatDateTime(d.step_due_at)}${past(d.step_due_at) ? html` <span class="deadline dl-overdue">${t("officer.late")}</span>` : null}</span>`
              : "",
          ],
          [t("officer.handler"), d.handler ? html`<span data-testid="handler" lang=${viLang()}>${d.handler.name || d.handler.id}</span>` : d.step && d.step !== "reception" ? t("officer.noHandler") : ""],
          [t("officer.approvedBy"), d.approved_by ? html`<span data-testid="approved-by"><${Vi}>${d.approved_by.name}<//>${d.approved_at ? ` — ${formatDateTime(d.approved_at)}` : ""}</span>` : ""],
          [t("dossier.supplements"), d.supplement_count ? String(d.supplement_count) : ""],
        ].filter(([k]) => k)}
      />
    </div>

    ${d.proposal ? html`<${ProposalCard} d=${d} save=${save} />` : null}
    <${OfficerPayments} d=${d} />

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
                ${t(`act.${a.label}`)}
              </button>`,
            )}
          </div>`
        : html`<p class="muted">${t("act.none")}</p>`}
      ${action ? html`<${ActionForm} key=${action.name} d=${d} action=${action} onDone=${finished} onCancel=${() => cancelAction(action)} />` : null}
    </section>

    ${d.consultations && d.consultations.length ? html`<${Consultations} d=${d} />` : null}
    ${d.transfers && d.transfers.length
      ? html`<section class="card" aria-labelledby="transfers-title">
          <h2 id="transfers-title">${t("transfer.title")}</h2>
          <${Transfers} d=${d} officer />
        </section>`
      : null}
    ${d.apologies && d.apologies.length
      ? html`<section class="card" aria-labelledby="apologies-title">
          <h2 id="apologies-title">${t("apology.title")}</h2>
          <${Apologies} d=${d} officer />
        </section>`
      : null}
    <${Papers} d=${d} />

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
          <ul class="file-list" data-testid="results">
            ${d.results.map(
              (f) => html`<li class="file-item">
                <span class="file-name">${f.name}</span> <span class="muted">(${formatBytes(f.size)})</span>
                <button type="button" class="btn btn-small btn-secondary" onClick=${() => save(`/submissions/dossiers/${d.id}/results/${f.id}`, f.name)} data-testid="result-download">
                  ${t("file.download")}<span class="visually-hidden"> ${f.name}</span>
                </button>
              </li>`,
            )}
          </ul>
        </section>`
      : null}

    ${d.rating
      ? html`<section class="card" aria-labelledby="officer-rating-title" data-testid="officer-rating">
          <h2 id="officer-rating-title">${t("rating.title")}</h2>
          <${RatingView} rating=${d.rating} officer />
        </section>`
      : null}

    <section class="card" aria-labelledby="hist-title">
      <h2 id="hist-title">${t("dossier.history")}</h2>
      <${Timeline} history=${d.history} statusText=${statusName} />
    </section>`;
}

/** The specialist's proposal, as the leader reviews it: the outcome, who, their note, the draft files. */
function ProposalCard({ d, save }) {
  const p = d.proposal;
  const files = (d.proposed || []).filter((f) => !p.files || !p.files.length || p.files.includes(f.id));
  return html`<section class="card" aria-labelledby="proposal-title" data-testid="proposal">
    <h2 id="proposal-title">${t("proposal.title")}</h2>
    <${Facts}
      items=${[
        [t("proposal.outcome"), html`<span class=${`badge ${p.outcome === "grant" ? "st-ok" : "st-bad"}`} data-testid="proposal-outcome" data-outcome=${p.outcome}>${t(`proposal.outcome.${p.outcome}`)}</span>`],
        [t("proposal.by"), p.by ? html`<span lang=${viLang()} data-testid="proposal-by">${p.by.name || p.by.id}</span>` : ""],
        [t("proposal.at"), formatDateTime(p.at)],
        [t("timeline.reason"), p.reason || ""],
        [t("timeline.note"), p.note || ""],
      ]}
    />
    ${files.length
      ? html`<h3>${t("proposal.files")}</h3>
          <ul class="file-list" data-testid="proposed">
            ${files.map(
              (f) => html`<li class="file-item">
                <span class="file-name">${f.name}</span> <span class="muted">(${formatBytes(f.size)})</span>
                <button type="button" class="btn btn-small btn-secondary" onClick=${() => save(`/submissions/dossiers/${d.id}/results/${f.id}`, f.name)} data-testid="proposed-download">
                  ${t("file.download")}<span class="visually-hidden"> ${f.name}</span>
                </button>
              </li>`,
            )}
          </ul>`
      : null}
  </section>`;
}

/** Other agencies asked for an opinion or their step: the question, the due time, the answer. */
function Consultations({ d }) {
  return html`<section class="card" aria-labelledby="consult-title" data-testid="consultations">
    <h2 id="consult-title">${t("consult.title")}</h2>
    <ul class="event-list">
      ${d.consultations.map(
        (c) => html`<li data-testid="consultation" data-answered=${c.answered_at ? "true" : "false"}>
          <p>
            <strong>${t(`consult.kind.${c.kind}`)}: <${Vi}>${c.agency.name}<//></strong>
            <span class="muted"> — <time datetime=${c.asked_at}>${formatDateTime(c.asked_at)}</time></span>
          </p>
          <p><${Vi}>${c.question}<//></p>
          <p class="muted">
            ${t("consult.askedBy")}: <${Vi}>${c.asked_by.name}<//> · ${t("consult.due")}: ${formatDateTime(c.due_at)}
            ${!c.answered_at && past(c.due_at) ? html` <span class="deadline dl-overdue">${t("officer.late")}</span>` : null}
          </p>
          ${c.answered_at
            ? html`<p><span class="label">${t("consult.answer")}:</span> <${Vi}>${c.answer}<//>
                <span class="muted"> (${t("consult.answeredBy", { name: (c.answered_by && c.answered_by.name) || "", at: formatDateTime(c.answered_at) })})</span></p>`
            : html`<p><span class="deadline dl-waiting">${t("consult.waiting")}</span></p>`}
        </li>`,
      )}
    </ul>
  </section>`;
}
