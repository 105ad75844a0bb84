// Tra cứu hồ sơ: anyone follows a dossier with its code and the citizen ID or phone it was filed with.
import { html, useState } from "../lib.js";
import { get } from "../api.js";
import { t, formatDateTime } from "../i18n.js";
import { PageHeading, ProblemAlert, Field, Facts, StatusBadge, useTitle } from "../components.js";
import { localProblem, validCitizenId, validPhone } from "./auth.js";

export function TrackPage({ query }) {
  useTitle(t("track.title"));
  const [code, setCode] = useState(query.get("code") || "");
  const [by, setBy] = useState("citizen_id");
  const [value, setValue] = useState("");
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  const submit = async (e) => {
    e.preventDefault();
    const local = localProblem({
      code: code.trim() ? "" : t("track.codeRequired"),
      [by]: by === "citizen_id" ? (validCitizenId(value) ? "" : t("v.citizenId")) : validPhone(value) ? "" : t("v.phone"),
    });
    setResult(null);
    if (local) return setError(local);
    setError(null);
    setBusy(true);
    try {
      setResult(await get("/submissions/track", { query: { code: code.trim(), [by]: value.trim() }, auth: false }));
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<div class="narrow">
    <${PageHeading} sub=${t("track.lead")}>${t("track.title")}<//>
    <${ProblemAlert} error=${error} prefix="track-" />
    <form class="card form" onSubmit=${submit} novalidate data-testid="track-form">
      <${Field} id="track-code" label=${t("dossier.code")} hint=${t("track.codeHint")} value=${code} onInput=${(e) => setCode(e.target.value)} error=${fe.code} autocomplete="off" required data-testid="track-code" />
      <fieldset class="fieldset radios">
        <legend>${t("track.by")}</legend>
        <div class="radio">
          <input type="radio" id="track-by-id" name="by" checked=${by === "citizen_id"} onChange=${() => setBy("citizen_id")} data-testid="track-by-id" />
          <label for="track-by-id">${t("person.citizenId")}</label>
        </div>
        <div class="radio">
          <input type="radio" id="track-by-phone" name="by" checked=${by === "phone"} onChange=${() => setBy("phone")} data-testid="track-by-phone" />
          <label for="track-by-phone">${t("person.phone")}</label>
        </div>
      </fieldset>
      <${Field}
        id=${`track-${by}`}
        label=${by === "citizen_id" ? t("person.citizenId") : t("person.phone")}
        type=${by === "phone" ? "tel" : "text"}
        inputmode=${by === "phone" ? "tel" : "numeric"}
        value=${value}
        onInput=${(e) => setValue(e.target.value)}
        error=${fe[by]}
        autocomplete="off"
        required
        data-testid="track-value"
      />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="track-submit">${t("track.button")}</button></div>
    </form>
    ${result
      ? html`<section class="card" aria-labelledby="track-result" data-testid="track-result">
          <h2 id="track-result">${t("track.result")}</h2>
          <${Facts}
            items=${[
              [t("dossier.code"), result.code],
              [t("proc.name"), result.procedure_name],
              [t("wizard.agency"), result.agency_name],
              [t("dossier.status"), html`<${StatusBadge} status=${result.status} text=${result.status_text} />`],
              [t("dossier.submittedAt"), formatDateTime(result.submitted_at)],
              [t("dossier.appointment"), result.appointment_at ? formatDateTime(result.appointment_at) : ""],
            ]}
          />
        </section>`
      : null}
  </div>`;
}
