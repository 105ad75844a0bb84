// Hồ sơ của tôi: the citizen's dossiers, and one dossier's page (/ho-so/:id): a draft opens the wizard,
// a filed dossier shows its status, appointment, history, receipt, supplement and withdrawal.
import { html, useState, useEffect, useCallback, useStore } from "../lib.js";
import { get, post, downloadFile } from "../api.js";
import { t, pick, useLang, formatDateTime, formatBytes } from "../i18n.js";
import { navigate, setQuery } from "../router.js";
import { session, hasRole } from "../session.js";
import { arrivals } from "../notifications.js";
import {
  PageHeading,
  Loading,
  ProblemAlert,
  Alert,
  Pager,
  StatusBadge,
  Facts,
  Timeline,
  SelectField,
  TextareaField,
  STATUSES,
  statusName,
  useAsync,
  useTitle,
} from "../components.js";
import { DraftWizard, SuccessStep, ComponentUpload, componentsFor } from "./wizard.js";

const SIZE = 20;
const WITHDRAWABLE = ["submitted", "accepted", "processing", "supplement_requested", "payment_requested"];

export function MyDossiersPage({ query }) {
  const lang = useLang();
  useTitle(t("nav.myDossiers"));
  const status = query.get("status") || "";
  const page = Math.max(1, parseInt(query.get("page") || "1", 10) || 1);
  const [draft, setDraft] = useState(status);
  useEffect(() => setDraft(status), [status]);
  const list = useAsync(() => get("/submissions/dossiers", { query: { status, page, size: SIZE } }), [status, page, lang]);
  return html`<${PageHeading} sub=${t("mine.lead")}>${t("nav.myDossiers")}<//>
    <form class="inline-filters" onSubmit=${(e) => (e.preventDefault(), setQuery({ status: draft }))}>
      <${SelectField}
        id="mine-status"
        label=${t("dossier.status")}
        value=${draft}
        onChange=${(e) => setDraft(e.target.value)}
        options=${[{ value: "", label: t("filters.all") }, ...STATUSES.map((s) => ({ value: s, label: statusName(s) }))]}
        data-testid="mine-status"
      />
      <button type="submit" class="btn btn-secondary" data-testid="mine-filter">${t("filters.apply")}</button>
    </form>
    ${list.loading && !list.data
      ? html`<${Loading} />`
      : list.error
        ? html`<${ProblemAlert} error=${list.error} />`
        : list.data.items.length
          ? html`<table class="table table-stack" data-testid="my-dossiers">
                <caption class="visually-hidden">${t("nav.myDossiers")}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t("dossier.code")}</th>
                    <th scope="col">${t("proc.name")}</th>
                    <th scope="col">${t("wizard.agency")}</th>
                    <th scope="col">${t("dossier.submittedAt")}</th>
                    <th scope="col">${t("dossier.appointment")}</th>
                    <th scope="col">${t("dossier.status")}</th>
                  </tr>
                </thead>
                <tbody>
                  ${list.data.items.map(
                    (d) => html`<tr data-testid="my-dossier-row" data-id=${d.id}>
                      <td data-label=${t("dossier.code")}>
                        <a href=${`/ho-so/${d.id}`} data-testid="my-dossier-link">${d.code || t("dossier.draftLink")}</a>
                      </td>
                      <td data-label=${t("proc.name")}>${d.procedure.name}</td>
                      <td data-label=${t("wizard.agency")}>${d.agency.name}</td>
                      <td data-label=${t("dossier.submittedAt")}>${d.submitted_at ? formatDateTime(d.submitted_at) : "—"}</td>
                      <td data-label=${t("dossier.appointment")}>${d.appointment_at ? formatDateTime(d.appointment_at) : "—"}</td>
                      <td data-label=${t("dossier.status")}><${StatusBadge} status=${d.status} text=${d.status_text} /></td>
                    </tr>`,
                  )}
                </tbody>
              </table>
              <${Pager} page=${page} size=${SIZE} total=${list.data.total} onPage=${(n) => setQuery({ status, page: n })} />`
          : html`<p data-testid="mine-empty">${t("mine.empty")} <a href="/tim-kiem?online=true">${t("home.tileOnline")}</a></p>`}`;
}

/** /ho-so/:id — loads the dossier and shows the wizard (draft), the success step or its page. */
export function DossierPage({ id, query }) {
  const lang = useLang();
  const s = useStore(session);
  const officerOnly = hasRole(s, "officer") && !hasRole(s, "citizen");
  const [state, setState] = useState({ d: null, error: null, loading: true });
  const load = useCallback(async () => {
    try {
      const d = await get(`/submissions/dossiers/${encodeURIComponent(id)}`);
      setState({ d, error: null, loading: false });
      return d;
    } catch (error) {
      setState((st) => ({ d: st.d, error, loading: false }));
      return null;
    }
  }, [id]);
  useEffect(() => {
    if (officerOnly) navigate(`/can-bo/ho-so/${encodeURIComponent(id)}`, { replace: true });
    else load();
  }, [id, lang, officerOnly]);
  // A notification about this dossier (accepted, supplement requested…): show the new state.
  useEffect(() => arrivals.subscribe((n) => n && n.dossier_id === id && load()), [id]);
  useTitle(state.d && state.d.code ? t("dossier.title", { code: state.d.code }) : t("dossier.titlePlain"));

  if (officerOnly) return null;
  if (state.loading && !state.d) return html`<${PageHeading}>${t("dossier.titlePlain")}<//><${Loading} />`;
  if (!state.d) return html`<${PageHeading}>${t("dossier.titlePlain")}<//><${ProblemAlert} error=${state.error} />`;
  const d = state.d;
  if (d.status === "draft") return html`<${DraftWizard} d=${d} query=${query} reload=${load} />`;
  if (query.get("buoc") === "4") return html`<${SuccessStep} d=${d} />`;
  return html`<${DossierDetail} d=${d} reload=${load} error=${state.error} />`;
}

export function FileList({ files, pathFor, testid = "file-list" }) {
  const [error, setError] = useState(null);
  if (!files || !files.length) return html`<p class="muted">${t("upload.none")}</p>`;
  const save = async (f) => {
    setError(null);
    try {
      await downloadFile(pathFor(f), f.name);
    } catch (err) {
      setError(err);
    }
  };
  return html`<${ProblemAlert} error=${error} focus=${false} />
    <ul class="file-list" data-testid=${testid}>
      ${files.map(
        (f) => html`<li class="file-item">
          <span class="file-name">${f.name}</span> <span class="muted">(${formatBytes(f.size)})</span>
          <button type="button" class="btn btn-small btn-secondary" onClick=${() => save(f)} data-testid="download-file">
            ${t("file.download")}<span class="visually-hidden"> ${f.name}</span>
          </button>
        </li>`,
      )}
    </ul>`;
}

function DossierDetail({ d, reload }) {
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);

  const act = async (action, body) => {
    setBusy(true);
    setError(null);
    setDone("");
    try {
      await post(`/submissions/dossiers/${d.id}/actions/${action}`, body, { headers: { "If-Match": `"${d.rev}"` } });
      setDone(t(`mine.done.${action}`));
      setConfirming(false);
      await reload();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const receipt = async () => {
    setError(null);
    try {
      await downloadFile(`/submissions/dossiers/${d.id}/receipt`, `giay-tiep-nhan-${d.code}.pdf`);
    } catch (err) {
      setError(err);
    }
  };
  // A problem belongs to the state it was met in: a new upload or status clears it.
  useEffect(() => setError(null), [d.rev]);
  const last = [...(d.history || [])].reverse().find((h) => h.status === "supplement_requested");
  // During a supplement only what was added since the request can be removed; the filed files stay.
  const since = last ? new Date(last.at).getTime() : Infinity;
  const addedSince = (a) => new Date(a.uploaded_at).getTime() >= since;
  const supplementItems = (d.supplement_items && d.supplement_items.length ? d.supplement_items : last && last.items) || [];

  return html`<nav class="breadcrumb" aria-label=${t("nav.breadcrumb")}>
      <ol>
        <li><a href="/">${t("nav.home")}</a></li>
        <li><a href="/ho-so">${t("nav.myDossiers")}</a></li>
        <li aria-current="page">${d.code}</li>
      </ol>
    </nav>
    <${PageHeading}>${t("dossier.title", { code: d.code })}<//>
    ${done ? html`<${Alert} kind="success" testid="action-done">${done}<//>` : null}
    <${ProblemAlert} error=${error} />
    <div class="dossier-head card">
      <p class="status-line">${t("dossier.status")}: <${StatusBadge} status=${d.status} text=${d.status_text} testid="dossier-status" /></p>
      <${Facts}
        testid="dossier-facts"
        items=${[
          [t("dossier.code"), html`<span data-testid="dossier-code">${d.code}</span>`],
          [t("proc.name"), html`<a href=${`/thu-tuc/${encodeURIComponent(d.procedure.code)}`}>${d.procedure.name}</a>`],
          [t("wizard.agency"), d.agency.name],
          d.cases && d.cases.length > 1 ? [t("wizard.case"), d.case] : [null, null],
          [t("dossier.submittedAt"), formatDateTime(d.submitted_at)],
          [t("dossier.acceptedAt"), d.accepted_at ? formatDateTime(d.accepted_at) : ""],
          [
            t("dossier.appointment"),
            d.appointment_at ? html`<strong data-testid="appointment">${formatDateTime(d.appointment_at)}</strong>` : "",
          ],
          [t("dossier.finishedAt"), d.finished_at ? formatDateTime(d.finished_at) : ""],
          [t("dossier.onTime"), d.on_time === true ? t("common.yes") : d.on_time === false ? t("common.no") : ""],
        ].filter(([k]) => k)}
      />
      <div class="actions">
        ${d.receipt_available
          ? html`<button type="button" class="btn btn-primary" onClick=${receipt} data-testid="receipt-download">${t("dossier.receipt")}</button>`
          : null}
        ${WITHDRAWABLE.includes(d.status) && !confirming
          ? html`<button type="button" class="btn btn-danger-outline" onClick=${() => setConfirming(true)} data-testid="withdraw">${t("mine.withdraw")}</button>`
          : null}
      </div>
      ${confirming
        ? html`<form class="confirm-box" onSubmit=${(e) => (e.preventDefault(), act("withdraw", reason.trim() ? { reason: reason.trim() } : {}))} data-testid="withdraw-form">
            <h2 class="h3">${t("mine.withdrawConfirm")}</h2>
            <p>${t("mine.withdrawText")}</p>
            <${TextareaField} id="withdraw-reason" label=${t("mine.withdrawReason")} value=${reason} onInput=${(e) => setReason(e.target.value)} />
            <div class="actions">
              <button type="submit" class="btn btn-danger" disabled=${busy} data-testid="withdraw-confirm">${t("mine.withdrawYes")}</button>
              <button type="button" class="btn btn-secondary" onClick=${() => setConfirming(false)}>${t("common.cancel")}</button>
            </div>
          </form>`
        : null}
    </div>

    ${d.status === "supplement_requested"
      ? html`<section class="card supplement" aria-labelledby="supp-title" data-testid="supplement">
          <h2 id="supp-title">${t("mine.supplementTitle")}</h2>
          <${Alert} kind="warning" title=${t("mine.supplementAsked")}>
            ${supplementItems.length ? html`<ul>${supplementItems.map((i) => html`<li>${i}</li>`)}</ul>` : null}
            ${last && last.note ? html`<p>${last.note}</p>` : null}
          <//>
          <p>${t("mine.supplementHow")}</p>
          ${componentsFor(d).map(
            (c, i) => html`<${ComponentUpload} dossierId=${d.id} component=${c} index=${i + 1} attachments=${d.attachments || []} onChanged=${reload} headingLevel=${3} canRemove=${addedSince} />`,
          )}
          <form onSubmit=${(e) => (e.preventDefault(), act("resubmit", note.trim() ? { note: note.trim() } : {}))}>
            <${TextareaField} id="resubmit-note" label=${t("mine.resubmitNote")} value=${note} onInput=${(e) => setNote(e.target.value)} />
            <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="resubmit">${t("mine.resubmit")}</button>
          </form>
        </section>`
      : null}

    ${d.results && d.results.length
      ? html`<section aria-labelledby="results-title" class="card">
          <h2 id="results-title">${t("dossier.results")}</h2>
          <${FileList} files=${d.results} pathFor=${(f) => `/submissions/dossiers/${d.id}/results/${f.id}`} testid="results" />
        </section>`
      : null}

    <section aria-labelledby="history-title" class="card">
      <h2 id="history-title">${t("dossier.history")}</h2>
      <${Timeline} history=${d.history} statusText=${statusName} />
    </section>

    ${d.status !== "supplement_requested"
      ? html`<section aria-labelledby="files-title" class="card">
          <h2 id="files-title">${t("dossier.files")}</h2>
          <${FileList} files=${d.attachments} pathFor=${(f) => `/submissions/dossiers/${d.id}/attachments/${f.id}`} />
        </section>`
      : null}`;
}
