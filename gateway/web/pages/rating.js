// A citizen's rating of a finished dossier (issue 21): the five criteria of the national portal, 1–5 each
// (overall, reception, guidance, time, result), and a comment. On the dossier's page at #danh-gia while
// the API says `rateable`; once given, shown read-only there (and to the agency's leaders on the
// officer's page, without who gave it). POST /submissions/dossiers/{id}/rating, once.
import { html, useState, useEffect, useRef } from "../lib.js";
import { post } from "../api.js";
import { t, formatDateTime } from "../i18n.js";
import { ProblemAlert, Alert, Facts, TextareaField, announce, viLang } from "../components.js";

export const CRITERIA = ["overall", "reception", "guidance", "time", "result"];
const LEVELS = [1, 2, 3, 4, 5];
const COMMENT_MAX = 1000;

/** "4/5 — Hài lòng". */
export const scoreText = (n) => t("rating.scoreText", { n, words: t(`rating.${n}`) });

/** A rating given: each criterion in numbers and words, the comment, when. */
export function RatingView({ rating, officer = false, testid = "rating-given" }) {
  const scores = rating.scores || {};
  return html`<div data-testid=${testid}>
    <h3 class="h3">${officer ? t("rating.givenOfficer") : t("rating.given")}</h3>
    <${Facts}
      items=${[
        ...CRITERIA.map((k) => [t(`rating.${k}`), scores[k] ? html`<span data-testid=${`rating-score-${k}`} data-score=${scores[k]}>${scoreText(scores[k])}</span>` : ""]),
        [t("rating.commentGiven"), rating.comment ? html`<span class="pre-line" lang=${viLang()} data-testid="rating-comment-given">${rating.comment}</span>` : ""],
        [t("rating.ratedAt"), rating.rated_at ? formatDateTime(rating.rated_at) : ""],
      ]}
    />
  </div>`;
}

/**
 * The dossier page's section #danh-gia: the form while `d.rateable`, the rating once `d.rating` is there,
 * nothing otherwise. `onRated` reloads the dossier.
 */
export function RatingSection({ d, onRated }) {
  const [scores, setScores] = useState({});
  const [comment, setComment] = useState("");
  const [error, setError] = useState(null);
  const [local, setLocal] = useState({});
  const [busy, setBusy] = useState(false);
  const [given, setGiven] = useState(null);
  const heading = useRef(null);
  const rating = d.rating || given;

  // Opened from a link to #danh-gia (the notification, "Hồ sơ của tôi", the tracking page): the section
  // comes into view and its heading takes the focus.
  useEffect(() => {
    if (location.hash !== "#danh-gia" || !heading.current) return;
    requestAnimationFrame(() => {
      heading.current.scrollIntoView({ block: "start" });
      heading.current.focus({ preventScroll: true });
    });
  }, []);

  if (!rating && !d.rateable) return null;

  const submit = async (e) => {
    e.preventDefault();
    const missing = {};
    for (const k of CRITERIA) if (!scores[k]) missing[k] = t("rating.choose", { name: t(`rating.${k}`) });
    if (comment.length > COMMENT_MAX) missing.comment = t("rating.commentTooLong");
    setLocal(missing);
    if (Object.keys(missing).length) {
      // The local problems as the server's would be: a list linking to each group.
      setError({
        title: t("error.check"),
        fieldErrors: () => missing,
      });
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const body = { ...scores };
      if (comment.trim()) body.comment = comment.trim();
      const r = await post(`/submissions/dossiers/${d.id}/rating`, body);
      setGiven(r);
      announce(t("rating.thanks"));
      if (onRated) await onRated();
    } catch (err) {
      setError(err);
      // Already rated (by another tab) or no longer rateable: what the dossier is now.
      if (err.status === 409 && onRated) onRated();
    }
    setBusy(false);
  };

  const fe = error && error.fieldErrors ? { ...error.fieldErrors(), ...local } : local;
  return html`<section id="danh-gia" class="card rating" aria-labelledby="rating-title" data-testid="rating">
    <h2 id="rating-title" tabindex="-1" ref=${heading}>${t("rating.title")}</h2>
    ${rating
      ? html`${given ? html`<${Alert} kind="success" testid="rating-thanks" live=${false} focus>${t("rating.thanks")}<//>` : null}
          <${RatingView} rating=${rating} />`
      : html`<p>${t("rating.lead")}</p>
          <${ProblemAlert} error=${error} prefix="rating-" testid="rating-problem" />
          <form class="form" onSubmit=${submit} novalidate data-testid="rating-form">
            ${CRITERIA.map(
              (k) => html`<fieldset class=${`fieldset radios rating-scale ${fe[k] ? "field-error" : ""}`} data-testid=${`rating-${k}`}>
                <legend>${t(`rating.${k}`)}<span class="req" aria-hidden="true"> *</span></legend>
                ${fe[k] ? html`<p class="error-msg" id=${`rating-${k}-error`}><span class="visually-hidden">${t("common.error")}: </span>${fe[k]}</p>` : null}
                <div class="rating-options">
                  ${LEVELS.map((n) => {
                    const id = n === 1 ? `rating-${k}` : `rating-${k}-${n}`;
                    return html`<div class="radio rating-option">
                      <input
                        type="radio"
                        id=${id}
                        name=${`rating-${k}`}
                        value=${n}
                        checked=${scores[k] === n}
                        onChange=${() => setScores({ ...scores, [k]: n })}
                        aria-describedby=${fe[k] ? `rating-${k}-error` : undefined}
                        required
                        data-testid=${`rating-${k}-${n}`}
                      />
                      <label for=${id}><span class="rating-n">${n}</span> ${t(`rating.${n}`)}</label>
                    </div>`;
                  })}
                </div>
              </fieldset>`,
            )}
            <${TextareaField}
              id="rating-comment"
              label=${t("rating.comment")}
              hint=${t("rating.commentHint", { n: Math.max(0, COMMENT_MAX - comment.length) })}
              value=${comment}
              onInput=${(e) => setComment(e.target.value)}
              error=${fe.comment}
              maxlength=${COMMENT_MAX}
              rows=${4}
              data-testid="rating-comment"
            />
            <div class="actions">
              <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="rating-submit">${t("rating.submit")}</button>
            </div>
          </form>`}
  </section>`;
}
