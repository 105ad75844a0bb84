// Shared pieces of the interface: labelled fields, alerts for problems, paging, status badges.
import { html, useState, useEffect, useRef, useCallback } from "./lib.js";
import { t, pick, formatDateTime, useLang } from "./i18n.js";
import { moved } from "./router.js";

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

/** Sets the document title ("… — Dịch vụ công Hải Phòng"). */
export function useTitle(title) {
  useLang();
  useEffect(() => {
    document.title = title ? `${title} — ${t("app.short")}` : t("app.title");
  }, [title]);
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

/** An alert: kind is "error" (role=alert), "success", "info" or "warning" (role=status). */
export function Alert({ kind = "info", title, children, testid, focus = false }) {
  const ref = useRef(null);
  useEffect(() => {
    if (focus && ref.current) ref.current.focus();
  }, [focus, title]);
  return html`<div
    ref=${ref}
    class=${`alert alert-${kind}`}
    role=${kind === "error" ? "alert" : "status"}
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
export function ProblemAlert({ error, prefix, testid = "problem", focus = true }) {
  if (!error) return null;
  const fields = error.fieldErrors ? Object.entries(error.fieldErrors()) : [];
  const title = error.title || t("error.title");
  const detail = error.detail && error.detail !== error.title ? error.detail : "";
  return html`<${Alert} kind="error" title=${title} testid=${testid} focus=${focus}>
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

/** A labelled input with its hint and error (aria-describedby, aria-invalid). */
export function Field({ id, label, error, hint, type = "text", value, onInput, required, children, class: cls, ...rest }) {
  const hintId = hint ? `${id}-hint` : null;
  const errId = error ? `${id}-error` : null;
  const described = [hintId, errId].filter(Boolean).join(" ") || undefined;
  return html`<div class=${`field ${error ? "field-error" : ""} ${cls || ""}`}>
    <label for=${id}>${label}${required ? html`<span class="req" aria-hidden="true"> *</span>` : null}</label>
    ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
    ${error ? html`<p class="error-msg" id=${errId}><span class="visually-hidden">${t("common.error")}: </span>${error}</p>` : null}
    ${children ||
    html`<input
      id=${id}
      type=${type}
      value=${value ?? ""}
      onInput=${onInput}
      required=${required}
      aria-required=${required ? "true" : undefined}
      aria-invalid=${error ? "true" : undefined}
      aria-describedby=${described}
      ...${rest}
    />`}
  </div>`;
}

export function SelectField({ id, label, error, hint, value, onChange, options, required, placeholder, ...rest }) {
  const hintId = hint ? `${id}-hint` : null;
  const errId = error ? `${id}-error` : null;
  return html`<${Field} id=${id} label=${label} error=${error} hint=${hint} required=${required}>
    <select
      id=${id}
      value=${value ?? ""}
      onChange=${onChange}
      required=${required}
      aria-invalid=${error ? "true" : undefined}
      aria-describedby=${[hintId, errId].filter(Boolean).join(" ") || undefined}
      ...${rest}
    >
      ${placeholder !== undefined ? html`<option value="">${placeholder}</option>` : null}
      ${options.map((o) => html`<option value=${o.value} selected=${String(o.value) === String(value ?? "")}>${o.label}</option>`)}
    </select>
  <//>`;
}

export function TextareaField({ id, label, error, hint, value, onInput, required, rows = 3, ...rest }) {
  const hintId = hint ? `${id}-hint` : null;
  const errId = error ? `${id}-error` : null;
  return html`<${Field} id=${id} label=${label} error=${error} hint=${hint} required=${required}>
    <textarea
      id=${id}
      rows=${rows}
      value=${value ?? ""}
      onInput=${onInput}
      required=${required}
      aria-invalid=${error ? "true" : undefined}
      aria-describedby=${[hintId, errId].filter(Boolean).join(" ") || undefined}
      ...${rest}
    ></textarea>
  <//>`;
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
  return html`<span class=${`deadline dl-${state}`} data-testid="deadline" data-state=${state}>
    <span class="dl-icon" aria-hidden="true">${{ on_time: "●", due_soon: "▲", overdue: "■", done: "✓", paused: "Ⅱ" }[state] || ""}</span>
    ${t(`deadline.${state}`)}${extra ? html`<span class="dl-extra"> (${extra})</span>` : null}
  </span>`;
}

/** The dossier's history, oldest first. */
export function Timeline({ history, statusText }) {
  if (!history || !history.length) return html`<p class="muted">${t("timeline.empty")}</p>`;
  return html`<ol class="timeline" data-testid="timeline">
    ${history.map(
      (h) => html`<li class="timeline-item">
        <p class="timeline-head">
          <strong>${statusText ? statusText(h.status) : h.status}</strong>
          <span class="muted"> — <time datetime=${h.at}>${formatDateTime(h.at)}</time></span>
          <span class="muted"> · ${t(`role.${h.actor_role}`)}</span>
        </p>
        ${h.reason ? html`<p><span class="label">${t("timeline.reason")}:</span> ${h.reason}</p>` : null}
        ${h.items && h.items.length
          ? html`<div><span class="label">${t("timeline.items")}:</span><ul>${h.items.map((i) => html`<li>${i}</li>`)}</ul></div>`
          : null}
        ${h.note ? html`<p><span class="label">${t("timeline.note")}:</span> ${h.note}</p>` : null}
      </li>`,
    )}
  </ol>`;
}

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
  if (htmlText && !/<(?!\/?mark>)/i.test(htmlText)) {
    return html`<span dangerouslySetInnerHTML=${{ __html: htmlText }}></span>`;
  }
  return html`<span>${text}</span>`;
}

/** A definition list of label/value pairs, skipping empty values. */
export function Facts({ items, testid }) {
  const rows = items.filter(([, v]) => v !== null && v !== undefined && v !== "");
  return html`<dl class="facts" data-testid=${testid}>
    ${rows.map(([k, v]) => html`<div class="fact"><dt>${k}</dt><dd>${v}</dd></div>`)}
  </dl>`;
}

/**
 * A file input whose button speaks the portal's language (the native one follows the browser's):
 * the input stays focusable and operable (visually hidden), its label is drawn as the button.
 */
export function FilePicker({ id, label, extraLabel, hint, error, onChange, accept, multiple, inputRef, invalid, testid, chosen }) {
  const hintId = hint ? `${id}-hint` : null;
  const errId = error ? `${id}-error` : null;
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
      ${label}${extraLabel ? html`<span class="visually-hidden">: ${extraLabel}</span>` : null}
    </label>
    ${chosen ? html`<span class="file-chosen">${chosen}</span>` : null}
    ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
    ${error ? html`<p class="error-msg" id=${errId}>${error}</p>` : null}
  </div>`;
}
