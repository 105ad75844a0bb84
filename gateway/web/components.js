// Shared pieces of the interface: labelled fields, alerts for problems, paging, status badges.
import { html, useState, useEffect, useRef, useCallback } from "./lib.js";
import { t, pick, formatDateTime, useLang, getLang } from "./i18n.js";
import { moved } from "./router.js";
import { announcement } from "./notifications.js";

/** Say `text` in the page's polite live region (again, when it is the same text as last time). */
export function announce(text) {
  announcement.set("");
  setTimeout(() => announcement.set(text), 60);
}

let uid = 0;
export const useId = (prefix = "f") => {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++uid}`;
  return ref.current;
};

/** Load data for a page: {data, error, loading, reload, setData}. Reloads when deps change. */
export function useAsync(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve()
      .then(fn)
      .then(
        (data) => mine === seq.current && setState({ data, error: null, loading: false }),
        (error) => mine === seq.current && setState({ data: null, error, loading: false }),
      );
  }, deps);
  useEffect(() => {
    run();
    return () => {
      seq.current++;
    };
  }, [run]);
  const setData = (data) => setState((s) => ({ ...s, data: typeof data === "function" ? data(s.data) : data }));
  return { ...state, reload: run, setData };
}

/**
 * Calls `fn(value)` when `value` changes after the first render: a form's draft follows the address
 * (another query, the back button) without an effect on mount. Such an effect runs after the first paint
 * and would wipe what the person typed before it ran (a slow phone, a loaded machine). `value` is
 * compared with ===: pass a string for several values.
 */
export function useOnChange(value, fn) {
  const seen = useRef(value);
  useEffect(() => {
    if (seen.current === value) return;
    seen.current = value;
    fn(value);
  }, [value]);
}

/**
 * Sets the document title ("… — Dịch vụ công Hải Phòng"). `null`: a page inside this one sets it (its
 * effect runs before this one's, which would otherwise overwrite it).
 */
export function useTitle(title) {
  useLang();
  useEffect(() => {
    if (title === null) return;
    document.title = title ? `${title} — ${t("app.short")}` : t("app.title");
  }, [title]);
}

// Letters only Vietnamese writes (ă â đ ê ô ơ ư and the tone marks on vowels), in NFC.
const VIETNAMESE = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/i;
export const looksVietnamese = (s) => typeof s === "string" && VIETNAMESE.test(s);

/**
 * The `lang` for text the API gives in Vietnamese only (procedure names, agencies, fields, components,
 * an officer's notes): "vi" while the page speaks English, so a screen reader reads it with a
 * Vietnamese voice (WCAG 3.1.2); nothing in Vietnamese, where the page's own lang is right.
 */
export const viLang = () => (getLang() === "en" ? "vi" : undefined);

/** Vietnamese text from the API, marked as such in English mode. */
export function Vi({ children }) {
  return getLang() === "en" ? html`<span lang="vi">${children}</span>` : children;
}

/**
 * A sentence of the interface's language with Vietnamese names in it (an English notification naming a
 * procedure and a ward): each run of Vietnamese words, between punctuation, is marked lang="vi".
 */
export function ViRuns({ text }) {
  if (getLang() !== "en" || !looksVietnamese(text)) return text;
  const out = [];
  // Clauses end at punctuation; inside one, a run goes from its first Vietnamese word to its last, and
  // on over the capitalised words right after it (a name ending in a word without marks: "Đức Anh").
  for (const clause of String(text).split(/([“”"«»()[\],.;:!?\n]+)/)) {
    const words = clause.split(/(\s+)/);
    const vi = words.map((w, i) => (looksVietnamese(w) ? i : -1)).filter((i) => i >= 0);
    if (!vi.length) {
      out.push(clause);
      continue;
    }
    const first = vi[0];
    let last = vi[vi.length - 1];
    while (last + 2 < words.length && /^\p{Lu}/u.test(words[last + 2])) last += 2;
    out.push(words.slice(0, first).join(""));
    out.push(html`<span lang="vi">${words.slice(first, last + 1).join("")}</span>`);
    out.push(words.slice(last + 1).join(""));
  }
  return out.filter((x) => x !== "");
}

/**
 * A confirmation that takes its button's place (WCAG 2.4.3): when it opens, the focus goes to its
 * question (the `question` ref); `cancel()` closes it and gives the focus back to the button that opened
 * it (the `button` ref). `setOpen(false)` closes it without moving the focus (after it was answered).
 */
export function useConfirmation() {
  const [open, setOpen] = useState(false);
  const question = useRef(null);
  const button = useRef(null);
  const backToButton = useRef(false);
  useEffect(() => {
    if (open && question.current) question.current.focus();
    else if (!open && backToButton.current) {
      backToButton.current = false;
      if (button.current) button.current.focus();
    }
  }, [open]);
  const cancel = () => {
    backToButton.current = true;
    setOpen(false);
  };
  return { open, setOpen, question, button, cancel };
}

/** Where a page stands: `trail` of [href, label] links, then `here` (the current page). */
export function Breadcrumb({ trail, here }) {
  return html`<nav class="breadcrumb" aria-label=${t("nav.breadcrumb")}>
    <ol>
      ${trail.map(([href, label]) => html`<li><a href=${href}>${label}</a></li>`)}
      <li aria-current="page">${here}</li>
    </ol>
  </nav>`;
}

/** A button that shows and hides the region whose id is `controls` (aria-expanded says which). */
export function DisclosureButton({ open, onToggle, controls, buttonRef, class: cls, testid, children }) {
  return html`<button ref=${buttonRef} type="button" class=${cls} aria-expanded=${open ? "true" : "false"} aria-controls=${controls} onClick=${onToggle} data-testid=${testid}>
    ${children}
  </button>`;
}

export function PageHeading({ children, sub }) {
  const ref = useRef(null);
  // A heading that replaces another one (a page that finished loading) takes the focus the old one
  // had, so keyboard and screen-reader users are not left on the document's body.
  useEffect(() => {
    const active = document.activeElement;
    if (moved.yes && ref.current && (!active || active === document.body)) ref.current.focus({ preventScroll: true });
  }, []);
  return html`<div class="page-heading">
    <h1 id="page-title" tabindex="-1" ref=${ref}>${children}</h1>
    ${sub ? html`<p class="lead">${sub}</p>` : null}
  </div>`;
}

export function Loading({ label }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label || t("common.loading")}</p>`;
}

/**
 * An alert: kind is "error" (role=alert), "success", "info" or "warning" (role=status). `live={false}`
 * for a message said another way (a one-time message is said in the page's live region instead: a
 * status region inserted together with its text is often not read out).
 */
export function Alert({ kind = "info", title, children, testid, focus = false, live = true }) {
  const ref = useRef(null);
  useEffect(() => {
    if (focus && ref.current) ref.current.focus();
  }, [focus, title]);
  return html`<div
    ref=${ref}
    class=${`alert alert-${kind}`}
    role=${live ? (kind === "error" ? "alert" : "status") : undefined}
    tabindex=${focus ? "-1" : undefined}
    data-testid=${testid}
  >
    ${title ? html`<p class="alert-title">${title}</p>` : null}
    ${children}
  </div>`;
}

export function focusField(e) {
  const id = e.currentTarget.getAttribute("href").slice(1);
  const el = document.getElementById(id);
  if (!el) return;
  e.preventDefault();
  el.scrollIntoView({ block: "center" });
  el.focus();
}

/**
 * The answer of a failed call: the problem's title and detail and, for validation errors, each field's
 * message linking to the field (ids are `${prefix}${field name}`).
 */
const alertKeys = new WeakMap();
let alertSeq = 0;

export function ProblemAlert({ error, prefix, testid = "problem", focus = true }) {
  if (!error) return null;
  // A new error is a new alert (keyed by the error object): it takes the focus and is read out again,
  // even when its words are those of the last one (a second failed try).
  if (typeof error === "object" && !alertKeys.has(error)) alertKeys.set(error, ++alertSeq);
  const fields = error.fieldErrors ? Object.entries(error.fieldErrors()) : [];
  const title = error.title || t("error.title");
  const detail = error.detail && error.detail !== error.title ? error.detail : "";
  return html`<${Alert} key=${typeof error === "object" ? alertKeys.get(error) : error} kind="error" title=${title} testid=${testid} focus=${focus}>
    ${detail && !fields.length ? html`<p>${detail}</p>` : null}
    ${fields.length
      ? html`<ul class="error-list">
          ${fields.map(
            ([name, msg]) =>
              html`<li>${prefix !== undefined ? html`<a href=${`#${prefix}${name.replace(/\./g, "-")}`} onClick=${focusField}>${msg}</a>` : msg}</li>`,
          )}
        </ul>`
      : null}
  <//>`;
}

/**
 * A form's values and its sending. `v` holds the values, `set(name)` is the onInput of the input for
 * one of them, `fe` the server's (or localProblem's) message for each field. `send(problem, action)`:
 * a problem found before sending (localProblem's, or null) is shown instead of sending; otherwise the
 * form is busy while `action` runs, and its failure is shown. With `{ leaves: true }` success takes the
 * person elsewhere (or closes the form), so the form stays busy after it.
 */
export function useForm(initial = {}) {
  const [v, setV] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  const set = (k) => (e) => setV({ ...v, [k]: e.target.value });
  const send = async (problem, action, { leaves = false } = {}) => {
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
      if (leaves) setBusy(false);
    }
    if (!leaves) setBusy(false);
  };
  return { v, setV, set, fe, error, setError, busy, setBusy, send };
}

/** The ids of a control's hint and error message, for its aria-describedby (undefined when neither). */
export const describedBy = (id, hint, error) => [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;

/** A labelled input with its hint and error (aria-describedby, aria-invalid). */
export function Field({ id, label, error, hint, type = "text", value, onInput, required, children, class: cls, ...rest }) {
  return html`<div class=${`field ${error ? "field-error" : ""} ${cls || ""}`}>
    <label for=${id}>${label}${required ? html`<span class="req" aria-hidden="true"> *</span>` : null}</label>
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    ${error ? html`<p class="error-msg" id=${`${id}-error`}><span class="visually-hidden">${t("common.error")}: </span>${error}</p>` : null}
    ${children ||
    html`<input
      id=${id}
      type=${type}
      value=${value ?? ""}
      onInput=${onInput}
      required=${required}
      aria-required=${required ? "true" : undefined}
      aria-invalid=${error ? "true" : undefined}
      aria-describedby=${describedBy(id, hint, error)}
      ...${rest}
    />`}
  </div>`;
}

export function SelectField({ id, label, error, hint, value, onChange, options, required, placeholder, ...rest }) {
  return html`<${Field} id=${id} label=${label} error=${error} hint=${hint} required=${required}>
    <select id=${id} value=${value ?? ""} onChange=${onChange} required=${required} aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy(id, hint, error)} ...${rest}>
      ${placeholder !== undefined ? html`<option value="">${placeholder}</option>` : null}
      ${options.map((o) => html`<option value=${o.value} lang=${o.lang} selected=${String(o.value) === String(value ?? "")}>${o.label}</option>`)}
    </select>
  <//>`;
}

export function TextareaField({ id, label, error, hint, value, onInput, required, rows = 3, ...rest }) {
  return html`<${Field} id=${id} label=${label} error=${error} hint=${hint} required=${required}>
    <textarea id=${id} rows=${rows} value=${value ?? ""} onInput=${onInput} required=${required} aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy(id, hint, error)} ...${rest}></textarea>
  <//>`;
}

/**
 * A list loaded with useAsync, as a page shows it: a spinner the first time, its failure, `empty` when
 * it has no items (when `empty` is given), otherwise `render(data)`.
 */
export function showList(list, render, empty) {
  if (list.loading && !list.data) return html`<${Loading} />`;
  if (list.error) return html`<${ProblemAlert} error=${list.error} />`;
  if (empty !== undefined && !list.data.items.length) return empty;
  return render(list.data);
}

/**
 * A table that stacks into cards on narrow screens (each cell carries its column's name as data-label).
 * `columns`: {label, cell(row), hidden: the header is for screen readers only, vi: the cells
 * hold Vietnamese text from the API (lang, see viLang), props(row): the cell's other attributes}; `rowProps(row)`: each row's attributes (key, data-testid…); `caption`: read by screen
 * readers only.
 */
export function DataTable({ columns, rows, rowProps, caption, testid }) {
  return html`<table class="table table-stack" data-testid=${testid}>
    ${caption ? html`<caption class="visually-hidden">${caption}</caption>` : null}
    <thead>
      <tr>
        ${columns.map((c) => html`<th scope="col">${c.hidden ? html`<span class="visually-hidden">${c.label}</span>` : c.label}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr ...${rowProps ? rowProps(r) : {}}>
          ${columns.map((c) => html`<td data-label=${c.label} lang=${c.vi ? viLang() : undefined} ...${c.props ? c.props(r) : {}}>${c.cell(r)}</td>`)}
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Paging: previous / page x of y / next. */
export function Pager({ page, size, total, onPage, label }) {
  const pages = Math.max(1, Math.ceil((total || 0) / (size || 20)));
  if (pages <= 1) return null;
  return html`<nav class="pager" aria-label=${label || t("pager.label")}>
    <button type="button" class="btn btn-secondary" disabled=${page <= 1} onClick=${() => onPage(page - 1)} data-testid="pager-prev">
      ${t("pager.prev")}
    </button>
    <span class="pager-pos" aria-live="polite">${t("pager.pos", { page, pages })}</span>
    <button type="button" class="btn btn-secondary" disabled=${page >= pages} onClick=${() => onPage(page + 1)} data-testid="pager-next">
      ${t("pager.next")}
    </button>
  </nav>`;
}

const STATUS_CLASS = {
  draft: "st-draft",
  submitted: "st-new",
  accepted: "st-ok",
  refused: "st-bad",
  processing: "st-work",
  supplement_requested: "st-warn",
  payment_requested: "st-warn",
  withdrawn: "st-closed",
  stopped: "st-bad",
  finished: "st-ok",
  returned: "st-ok",
};

export function StatusBadge({ status, text, testid = "status" }) {
  return html`<span class=${`badge ${STATUS_CLASS[status] || ""}`} data-testid=${testid} data-status=${status}>${pick(text) || status}</span>`;
}

/** The deadline state of an officer's queue item: colour and words (never colour alone). */
export function DeadlineBadge({ deadline, waiting = false }) {
  if (!deadline) return null;
  const state = deadline.paused ? "paused" : deadline.state;
  if (!state) return waiting ? html`<span class="deadline dl-waiting" data-testid="deadline" data-state="waiting">${t("deadline.waiting")}</span>` : html`<span class="muted">—</span>`;
  const left = deadline.working_days_left;
  const extra =
    state === "on_time" || state === "due_soon"
      ? t("deadline.left", { n: left ?? 0 })
      : state === "overdue" && left !== null && left !== undefined
        ? t("deadline.late", { n: Math.abs(left) })
        : "";
  // Before acceptance the clock is the reception's (hạn tiếp nhận); a procedure that states no time gets
  // the configured default, said so the officer (and the administrator) can tell.
  const reception = deadline.kind === "reception" && state !== "done";
  return html`<span class=${`deadline dl-${state}`} data-testid="deadline" data-state=${state} data-kind=${deadline.kind || ""}>
    <span class="dl-icon" aria-hidden="true">${{ on_time: "●", due_soon: "▲", overdue: "■", done: "✓", paused: "Ⅱ" }[state] || ""}</span>
    ${reception ? html`<span class="dl-kind">${t("deadline.reception")}: </span>` : null}${t(`deadline.${state}`)}${extra ? html`<span class="dl-extra"> (${extra})</span>` : null}
    ${deadline.defaulted ? html`<span class="dl-extra muted" data-testid="deadline-defaulted"> — ${t("deadline.defaulted")}</span>` : null}
  </span>`;
}

// An entry's action in words, when the portal has them and they say more than its status.
const actionWord = (name) => {
  if (!name || ["submit", "withdraw", "resubmit"].includes(name)) return "";
  const word = t(`act.${name}`);
  return word === `act.${name}` ? "" : word;
};

/** The dossier's history, oldest first: each entry's status, action, who and whom it went to. */
export function Timeline({ history, statusText }) {
  if (!history || !history.length) return html`<p class="muted">${t("timeline.empty")}</p>`;
  return html`<ol class="timeline" data-testid="timeline">
    ${history.map(
      (h) => html`<li class="timeline-item">
        <p class="timeline-head">
          <strong>${statusText ? statusText(h.status) : h.status}</strong>${actionWord(h.action) ? html`<span> — ${actionWord(h.action)}</span>` : null}
          <span class="muted"> — <time datetime=${h.at}>${formatDateTime(h.at)}</time></span>
          <span class="muted"> · ${t(`role.${h.actor_role}`)}${h.actor_name && h.actor_role !== "citizen" ? html` (<${Vi}>${h.actor_name}<//>)` : null}</span>
        </p>
        ${h.to_name ? html`<p class="muted">${t("timeline.to", { name: "" })}<${Vi}>${h.to_name}<//></p>` : null}
        ${h.reason ? html`<p><span class="label">${t("timeline.reason")}:</span> <${Vi}>${h.reason}<//></p>` : null}
        ${h.items && h.items.length
          ? html`<div><span class="label">${t("timeline.items")}:</span><ul lang=${viLang()}>${h.items.map((i) => html`<li>${i}</li>`)}</ul></div>`
          : null}
        ${h.note ? html`<p><span class="label">${t("timeline.note")}:</span> <${Vi}>${h.note}<//></p>` : null}
      </li>`,
    )}
  </ol>`;
}

/**
 * The top of a filed dossier's page (the citizen's and the officer's): its title, the message of the
 * action just done (it takes the focus), a failure.
 */
export function DossierTitle({ d, done, error }) {
  return html`<${PageHeading}>${t("dossier.title", { code: d.code })}<//>
    ${done ? html`<${Alert} kind="success" testid="action-done" focus>${done}<//>` : null}
    <${ProblemAlert} error=${error} />`;
}

/** A filed dossier's status, as a sentence. */
export function StatusLine({ d }) {
  return html`<p class="status-line">${t("dossier.status")}: <${StatusBadge} status=${d.status} text=${d.status_text} testid="dossier-status" /></p>`;
}

/** Facts of a filed dossier that every view of it shows: its case (when there are several), when it was filed and accepted. */
export const filingFacts = (d) => [
  d.cases && d.cases.length > 1 ? [t("wizard.case"), d.case] : [null, null],
  [t("dossier.submittedAt"), formatDateTime(d.submitted_at)],
  [t("dossier.acceptedAt"), d.accepted_at ? formatDateTime(d.accepted_at) : ""],
];

/** Names of statuses, for the timeline (the API's DOSSIER_STATUS labels). */
export const STATUSES = [
  "draft",
  "submitted",
  "accepted",
  "refused",
  "processing",
  "supplement_requested",
  "payment_requested",
  "withdrawn",
  "stopped",
  "finished",
  "returned",
];
export const statusName = (s) => t(`status.${s}`);

/** Server-escaped search highlight: only <mark> may be inside; anything else is shown as plain text. */
export function Highlighted({ htmlText, text }) {
  // The catalogue's names are Vietnamese only.
  if (htmlText && !/<(?!\/?mark>)/i.test(htmlText)) {
    return html`<span lang=${viLang()} dangerouslySetInnerHTML=${{ __html: htmlText }}></span>`;
  }
  return html`<span lang=${viLang()}>${text}</span>`;
}

/**
 * A definition list of label/value pairs, skipping empty values. A value that is Vietnamese text is
 * marked lang="vi" in English mode (the interface's own English words never hold Vietnamese letters).
 */
export function Facts({ items, testid }) {
  const rows = items.filter(([, v]) => v !== null && v !== undefined && v !== "");
  return html`<dl class="facts" data-testid=${testid}>
    ${rows.map(([k, v]) => html`<div class="fact"><dt>${k}</dt><dd lang=${looksVietnamese(v) ? viLang() : undefined}>${v}</dd></div>`)}
  </dl>`;
}

/**
 * A file input whose button speaks the portal's language (the native one follows the browser's):
 * the input stays focusable and operable (visually hidden), its label is drawn as the button.
 */
export function FilePicker({ id, label, extraLabel, hint, error, errorIds, onChange, accept, multiple, inputRef, invalid, testid, chosen }) {
  const hintId = hint ? `${id}-hint` : null;
  // errorIds: messages about this input shown elsewhere (a refused file), read with it as well.
  const errId = [error ? `${id}-error` : null, ...(errorIds || [])].filter(Boolean).join(" ") || null;
  return html`<div class="file-picker">
    <input
      ref=${inputRef}
      type="file"
      id=${id}
      class="file-input"
      accept=${accept}
      multiple=${multiple}
      onChange=${onChange}
      aria-describedby=${[hintId, errId].filter(Boolean).join(" ") || undefined}
      aria-invalid=${invalid || error ? "true" : undefined}
      data-testid=${testid}
    />
    <label for=${id} class="btn btn-secondary file-button">
      <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
        <path fill="currentColor" d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z" />
      </svg>
      ${label}${extraLabel ? html`<span class="visually-hidden">: <${Vi}>${extraLabel}<//></span>` : null}
    </label>
    ${chosen ? html`<span class="file-chosen">${chosen}</span>` : null}
    ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
    ${error ? html`<p class="error-msg" id=${`${id}-error`}>${error}</p>` : null}
  </div>`;
}
