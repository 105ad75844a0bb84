// What the officer's and the citizen's views of a dossier share about the one-stop workflow: where the
// dossier is (its step, the agency, its transfers), the apologies with their new appointments, and the
// papers of Circular 03/2025/TT-VPCP that apply to it.
import { html, useState } from "../lib.js";
import { downloadFile } from "../api.js";
import { t, pick, formatDateTime } from "../i18n.js";
import { ProblemAlert, Vi, viLang } from "../components.js";

/**
 * The papers (forms 01–06) that apply to the dossier, as [number, path]: 01 once accepted, 02 after a
 * supplement or completion request, 03 when refused, 04 after an apology, 05 when stopped, 06 (the
 * control slip: every hand-over) once filed. `skip`: those the page offers elsewhere.
 */
export function papersOf(d, { skip = [] } = {}) {
  const base = `/submissions/dossiers/${d.id}`;
  const form = (n) => [n, `${base}/forms/${n}`];
  const out = [];
  if (d.receipt_available || d.accepted_at) out.push(["01", `${base}/receipt`]);
  const asked = (d.history || []).some((h) => h.status === "supplement_requested" && !h.change) || d.supplement_count > 0;
  if (asked) out.push(form("02"));
  if (d.status === "refused") out.push(form("03"));
  if (d.apologies && d.apologies.length) out.push(form("04"));
  if (d.status === "stopped") out.push(form("05"));
  if (d.submitted_at) out.push(form("06"));
  return out.filter(([n]) => !skip.includes(n));
}

/** The papers as download buttons (protected files: fetched with the token, saved under their name). */
export function Papers({ d, skip = [], headingLevel = 2 }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState("");
  const papers = papersOf(d, { skip });
  if (!papers.length) return null;
  const save = async (n, path) => {
    setError(null);
    setBusy(n);
    try {
      await downloadFile(path, `mau-so-${n}-${d.code}.pdf`);
    } catch (err) {
      setError(err);
    }
    setBusy("");
  };
  const H = `h${headingLevel}`;
  return html`<section class="card" aria-labelledby="papers-title" data-testid="papers">
    <${H} id="papers-title">${t("papers.title")}<//>
    <p class="muted">${t("papers.lead")}</p>
    <${ProblemAlert} error=${error} focus=${false} testid="papers-problem" />
    <ul class="file-list">
      ${papers.map(
        ([n, path]) => html`<li class="file-item" data-testid="paper" data-form=${n}>
          <span class="file-name"><span class="paper-no">${t("papers.form", { n })}</span> ${t(`papers.${n}`)}</span>
          <button type="button" class="btn btn-small btn-secondary" onClick=${() => save(n, path)} disabled=${busy === n} data-testid=${`paper-${n}`}>
            ${t("papers.download")}<span class="visually-hidden">: ${t(`papers.${n}`)}</span>
          </button>
        </li>`,
      )}
    </ul>
  </section>`;
}

/** Where the dossier is: its step (as the API words it) and, when given, that step's due time. */
export function StepText({ d }) {
  if (!d.step_text) return null;
  return html`<span data-testid="step-text" data-step=${d.step || ""}>${pick(d.step_text)}</span>`;
}

/** Whether an instant has passed (the step's due time, for a word beside it; colour is never alone). */
export const past = (iso) => !!iso && new Date(iso).getTime() < Date.now();

/** The transfers from one agency to another, oldest first. */
export function Transfers({ d, officer = false }) {
  if (!d.transfers || !d.transfers.length) return null;
  return html`<ul class="event-list" data-testid="transfers">
    ${d.transfers.map(
      (x) => html`<li data-testid="transfer">
        <p>
          <strong>${t("transfer.from")} <${Vi}>${x.from_agency.name}<//> ${t("transfer.to")} <${Vi}>${x.to_agency.name}<//></strong>
          <span class="muted"> — <time datetime=${x.at}>${formatDateTime(x.at)}</time></span>
        </p>
        ${x.reason ? html`<p><span class="label">${t("timeline.reason")}:</span> <${Vi}>${x.reason}<//></p>` : null}
        ${officer && x.by && x.by.name ? html`<p><span class="label">${t("transfer.by")}:</span> <${Vi}>${x.by.name}<//></p>` : null}
      </li>`,
    )}
  </ul>`;
}

/** The apologies, each with the appointment it moved (old → new). */
export function Apologies({ d, officer = false }) {
  if (!d.apologies || !d.apologies.length) return null;
  return html`<ul class="event-list" data-testid="apologies">
    ${d.apologies.map(
      (a) => html`<li data-testid="apology">
        <p>
          <strong data-testid="apology-change"
            >${t("apology.change", { old: a.old_appointment_at ? formatDateTime(a.old_appointment_at) : "—", new: formatDateTime(a.new_appointment_at) })}</strong
          >
          <span class="muted"> — <time datetime=${a.at}>${formatDateTime(a.at)}</time></span>
        </p>
        ${a.reason ? html`<p><span class="label">${t("timeline.reason")}:</span> <${Vi}>${a.reason}<//></p>` : null}
        ${officer && a.by && a.by.name ? html`<p class="muted"><${Vi}>${a.by.name}<//></p>` : null}
      </li>`,
    )}
  </ul>`;
}
