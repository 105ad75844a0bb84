// Tra cứu hồ sơ: anyone follows a dossier with its code and the citizen ID or phone it was filed with.
import { html, useState, useEffect, useRef, useStore } from "../lib.js";
import { get } from "../api.js";
import { t, pick, formatDateTime } from "../i18n.js";
import { PageHeading, ProblemAlert, Field, Facts, StatusBadge, useForm, useTitle, announce } from "../components.js";
import { session, hasRole } from "../session.js";
import { localProblem, validCitizenId, validPhone } from "./auth.js";

export function TrackPage({ query }) {
  useTitle(t("track.title"));
  // The QR code on every paper points here with the dossier's code (`/tra-cuu?ma=<code>`).
  const given = query.get("ma") || query.get("code") || "";
  const [code, setCode] = useState(given);
  useEffect(() => {
    if (given) setCode(given);
  }, [given]);
  const [by, setBy] = useState("citizen_id");
  const [value, setValue] = useState("");
  const { fe, error, busy, send } = useForm();
  const [result, setResult] = useState(null);
  const heading = useRef(null);
  // The result appears below the form: its heading takes the focus (and scrolls into view), and what
  // was found is said in the live region, so a screen reader hears it without looking for it (4.1.3).
  useEffect(() => {
    if (!result) return;
    if (heading.current) heading.current.focus();
    announce(t("track.found", { code: result.code, status: pick(result.status_text) || result.status }));
  }, [result]);
  const submit = (e) => {
    e.preventDefault();
    const local = localProblem({
      code: code.trim() ? "" : t("track.codeRequired"),
      [by]: by === "citizen_id" ? (validCitizenId(value) ? "" : t("v.citizenId")) : validPhone(value) ? "" : t("v.phone"),
    });
    setResult(null);
    send(local, async () => setResult(await get("/submissions/track", { query: { code: code.trim(), [by]: value.trim() }, auth: false })));
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
          <h2 id="track-result" tabindex="-1" ref=${heading}>${t("track.result")}</h2>
          <${Facts}
            items=${[
              [t("dossier.code"), result.code],
              [t("proc.name"), result.procedure_name],
              [t("wizard.agency"), result.agency_name],
              [t("dossier.status"), html`<${StatusBadge} status=${result.status} text=${result.status_text} />`],
              [t("where.step"), result.step_text ? html`<span data-testid="track-step">${pick(result.step_text)}</span>` : ""],
              [t("dossier.submittedAt"), formatDateTime(result.submitted_at)],
              [t("dossier.appointment"), result.appointment_at ? formatDateTime(result.appointment_at) : ""],
            ]}
          />
          <${RatingInvite} result=${result} />
        </section>`
      : null}
  </div>`;
}

// A dossier that can be rated: returned, refused or withdrawn.
const RATEABLE = ["returned", "refused", "withdrawn"];

/**
 * The owner of a finished dossier, signed in, is invited to rate it (when it is theirs and not rated
 * yet: the tracking answer names no owner, so their own list is asked); someone signed out, to sign in.
 */
function RatingInvite({ result }) {
  const s = useStore(session);
  const citizen = hasRole(s, "citizen");
  const [mine, setMine] = useState(null);
  useEffect(() => {
    setMine(null);
    if (!citizen || !RATEABLE.includes(result.status)) return undefined;
    let gone = false;
    get("/submissions/dossiers", { query: { status: result.status, size: 100 } }).then(
      (page) => !gone && setMine((page.items || []).find((d) => d.code === result.code) || null),
      () => {},
    );
    return () => {
      gone = true;
    };
  }, [result, citizen]);
  if (!RATEABLE.includes(result.status)) return null;
  if (!s) {
    return html`<p class="rating-invite" data-testid="track-rate-sign-in">
      <a href=${`/dang-nhap?next=${encodeURIComponent("/ho-so")}`}>${t("rating.trackSignIn")}</a>
    </p>`;
  }
  if (!mine || !mine.rateable) return null;
  return html`<div class="alert alert-info rating-invite" data-testid="track-rate">
    <p>${t("rating.trackInvite")}</p>
    <p><a class="btn btn-primary" href=${`/ho-so/${mine.id}#danh-gia`} data-testid="track-rate-link">${t("rating.trackLink")}</a></p>
  </div>`;
}
