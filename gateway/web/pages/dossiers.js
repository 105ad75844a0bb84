// Hồ sơ của tôi: the citizen's dossiers, and one dossier's page (/ho-so/:id): a draft opens the wizard,
// a filed dossier shows its status, appointment, history, receipt, supplement and withdrawal.
import { html, useState, useEffect, useCallback, useStore } from "../lib.js";
import { get, post, downloadFile } from "../api.js";
import { t, pick, useLang, formatDateTime, formatBytes } from "../i18n.js";
import { navigate, setQuery, pageOf } from "../router.js";
import { session, hasRole } from "../session.js";
import { arrivals } from "../notifications.js";
import { PageHeading, DossierTitle, StatusLine, filingFacts, Breadcrumb, useConfirmation, Loading, viLang, ProblemAlert, Alert, Pager, DataTable, showList, StatusBadge, Facts, Timeline, SelectField, TextareaField, STATUSES, statusName, useAsync, useTitle, announce, useOnChange } from "../components.js";
import { DraftWizard, SuccessStep, ComponentUpload, componentsFor } from "./wizard.js";
import { useOrganisations, roleName } from "./organisations.js";
import { Papers, StepText, Transfers, Apologies } from "./onestop.js";
import { PaymentCard } from "./payment.js";
import { RatingSection } from "./rating.js";

const SIZE = 20;
const WITHDRAWABLE = ["submitted", "accepted", "processing", "supplement_requested", "payment_requested"];

export function MyDossiersPage({ query }) {
  const lang = useLang();
  useTitle(t("nav.myDossiers"));
  const s = useStore(session);
  const status = query.get("status") || "";
  // Whose dossiers: the person's own, or (to-chuc) an organisation's they belong to.
  const org = query.get("to-chuc") || "";
  const page = pageOf(query);
  const [draft, setDraft] = useState(status);
  useOnChange(status, setDraft);
  const list = useAsync(
    () => get("/submissions/dossiers", { query: { status, page, size: SIZE, ...(org ? { organisation: org } : {}) } }),
    [status, page, lang, org],
  );
  return html`<${PageHeading} sub=${t("mine.lead")}>${t("nav.myDossiers")}<//>
    ${s && s.orgs.length ? html`<${OrganisationSwitch} value=${org} status=${status} />` : null}
    <form class="inline-filters" onSubmit=${(e) => (e.preventDefault(), setQuery({ status: draft, "to-chuc": org }))}>
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
    ${showList(
      list,
      (data) => html`<${DataTable}
          caption=${t("nav.myDossiers")}
          testid="my-dossiers"
          rows=${data.items}
          rowProps=${(d) => ({ "data-testid": "my-dossier-row", "data-id": d.id })}
          columns=${[
            { label: t("dossier.code"), cell: (d) => html`<a href=${`/ho-so/${d.id}`} data-testid="my-dossier-link">${d.code || t("dossier.draftLink")}</a>` },
            { label: t("proc.name"), cell: (d) => d.procedure.name, vi: true },
            { label: t("wizard.agency"), cell: (d) => d.agency.name, vi: true },
            { label: t("dossier.submittedAt"), cell: (d) => (d.submitted_at ? formatDateTime(d.submitted_at) : "—") },
            { label: t("dossier.appointment"), cell: (d) => (d.appointment_at ? formatDateTime(d.appointment_at) : "—") },
            {
              label: t("dossier.status"),
              cell: (d) =>
                html`<${StatusBadge} status=${d.status} text=${d.status_text} />${d.step_text
                  ? html`<br /><span class="muted" data-testid="my-dossier-step">${pick(d.step_text)}</span>`
                  : null}${d.rateable
                  ? html`<br /><a href=${`/ho-so/${d.id}#danh-gia`} class="rate-link" data-testid="rate-link">${t("rating.rate")}<span class="visually-hidden"> ${t("rating.ofDossier", { code: d.code })}</span></a>`
                  : d.rating
                    ? html`<br /><span class="muted" data-testid="rated">${t("rating.rated")}</span>`
                    : null}`,
            },
          ]}
        />
        <${Pager} page=${page} size=${SIZE} total=${data.total} onPage=${(n) => setQuery({ status, "to-chuc": org, page: n })} />`,
      html`<p data-testid="mine-empty">${t("mine.empty")} <a href="/tim-kiem?online=true">${t("home.tileOnline")}</a></p>`,
    )}`;
}

/** Whose dossiers "Hồ sơ của tôi" lists: the person's own, or one of their organisations'. */
function OrganisationSwitch({ value, status }) {
  const lang = useLang();
  const orgs = useOrganisations([lang]);
  const options = [
    { value: "", label: t("org.personal") },
    ...((orgs.data || []).map((o) => ({ value: o.id, label: `${o.name} — ${roleName(o.role)}`, lang: viLang() }))),
  ];
  return html`<div class="inline-filters" data-testid="org-switch">
    <${SelectField} id="org-switch" label=${t("org.switch")} value=${value} options=${options}
      onChange=${(e) => setQuery({ status, "to-chuc": e.target.value })} data-testid="org-switch-select" />
    ${value ? html`<a href=${`/to-chuc/${value}`} data-testid="org-page-link">${t("org.details")}</a>` : null}
  </div>`;
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
  // A draft's wizard and the success step set their own titles (null: this one's would win).
  const own = state.d && (state.d.status === "draft" || query.get("buoc") === "4");
  useTitle(own ? null : state.d && state.d.code ? t("dossier.title", { code: state.d.code }) : t("dossier.titlePlain"));

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
  const withdrawal = useConfirmation();
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  // "Rút hồ sơ" gives its place to the confirmation, so focus has to be carried by hand (WCAG 2.4.3).

  const act = async (action, body) => {
    setBusy(true);
    setError(null);
    setDone("");
    try {
      await post(`/submissions/dossiers/${d.id}/actions/${action}`, body, { headers: { "If-Match": `"${d.rev}"` } });
      const text = t(`mine.done.${action}`);
      setDone(text);
      withdrawal.setOpen(false);
      // The message takes the focus (the button that was pressed is gone); the live region says it too,
      // for screen readers that do not read a focused message that is not a control.
      announce(text);
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
  // The latest apology: the appointment it set is the one the citizen now waits for.
  const open = !["refused", "withdrawn", "stopped", "returned"].includes(d.status);
  const apology = open && d.apologies && d.apologies.length ? d.apologies[d.apologies.length - 1] : null;
  const supplementItems = (d.supplement_items && d.supplement_items.length ? d.supplement_items : last && last.items) || [];

  return html`<${Breadcrumb}
      trail=${[
        ["/", t("nav.home")],
        ["/ho-so", t("nav.myDossiers")],
      ]}
      here=${d.code}
    />
    <${DossierTitle} d=${d} done=${done} error=${error} />
    <div class="dossier-head card">
      <${StatusLine} d=${d} />
      <${Facts}
        testid="dossier-facts"
        items=${[
          [t("dossier.code"), html`<span data-testid="dossier-code">${d.code}</span>`],
          [t("proc.name"), html`<a href=${`/thu-tuc/${encodeURIComponent(d.procedure.code)}`} lang=${viLang()}>${d.procedure.name}</a>`],
          [t("where.agency"), html`<span data-testid="dossier-agency" lang=${viLang()}>${d.agency.name}</span>`],
          [t("where.step"), d.step_text ? html`<${StepText} d=${d} />` : ""],
          ...filingFacts(d),
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
        ${WITHDRAWABLE.includes(d.status) && !withdrawal.open
          ? html`<button type="button" ref=${withdrawal.button} class="btn btn-danger-outline" onClick=${() => withdrawal.setOpen(true)} data-testid="withdraw">${t("mine.withdraw")}</button>`
          : null}
      </div>
      ${withdrawal.open
        ? html`<form
            class="confirm-box"
            aria-labelledby="withdraw-title"
            onSubmit=${(e) => (e.preventDefault(), act("withdraw", reason.trim() ? { reason: reason.trim() } : {}))}
            onKeyDown=${(e) => e.key === "Escape" && !busy && (e.preventDefault(), withdrawal.cancel())}
            data-testid="withdraw-form"
          >
            <h2 class="h3" id="withdraw-title" tabindex="-1" ref=${withdrawal.question} data-testid="withdraw-title">${t("mine.withdrawConfirm")}</h2>
            <p>${t("mine.withdrawText")}</p>
            <${TextareaField} id="withdraw-reason" label=${t("mine.withdrawReason")} value=${reason} onInput=${(e) => setReason(e.target.value)} />
            <div class="actions">
              <button type="submit" class="btn btn-danger" disabled=${busy} data-testid="withdraw-confirm">${t("mine.withdrawYes")}</button>
              <button type="button" class="btn btn-secondary" onClick=${withdrawal.cancel} data-testid="withdraw-cancel">${t("common.cancel")}</button>
            </div>
          </form>`
        : null}
    </div>

    <${PaymentCard} d=${d} counter />

    ${apology
      ? html`<${Alert} kind="warning" testid="apology-notice" live=${false}>
          <p>${t("apology.citizen", { date: formatDateTime(apology.new_appointment_at) })}</p>
        <//>`
      : null}

    ${d.status === "supplement_requested"
      ? html`<section class="card supplement" aria-labelledby="supp-title" data-testid="supplement">
          <h2 id="supp-title">${t("mine.supplementTitle")}</h2>
          <${Alert} kind="warning" title=${t("mine.supplementAsked")}>
            ${supplementItems.length ? html`<ul lang=${viLang()}>${supplementItems.map((i) => html`<li>${i}</li>`)}</ul>` : null}
            ${last && last.note ? html`<p lang=${viLang()}>${last.note}</p>` : null}
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
          <p class="muted">${t("results.signed")}</p>
          <${FileList} files=${d.results} pathFor=${(f) => `/submissions/dossiers/${d.id}/results/${f.id}`} testid="results" />
        </section>`
      : null}

    <${RatingSection} d=${d} onRated=${reload} />

    ${d.transfers && d.transfers.length
      ? html`<section aria-labelledby="transfers-title" class="card">
          <h2 id="transfers-title">${t("transfer.title")}</h2>
          <${Transfers} d=${d} />
        </section>`
      : null}

    ${d.apologies && d.apologies.length
      ? html`<section aria-labelledby="apologies-title" class="card">
          <h2 id="apologies-title">${t("apology.title")}</h2>
          <${Apologies} d=${d} />
        </section>`
      : null}

    <${Papers} d=${d} skip=${["01"]} />

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
