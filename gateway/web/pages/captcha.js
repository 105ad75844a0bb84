// Step 3's confirmation code (mã xác nhận). Two ways to pass it, both spent with the same captcha:
// - read the image and type its five characters;
// - or, for whoever cannot see the image (WCAG 1.1.1), let the browser compute a proof of work: the
//   captcha's ALTCHA challenge, solved by ALTCHA's own PBKDF2 worker (vendored) in Web Workers. It needs
//   no perception at all and costs a bot about as much as a citizen's phone (docs/captcha.md).
// The captcha lives a few minutes: the page says when it is about to expire and takes a new one when
// it has (WCAG 2.2.1), announcing each change in the page's live region.
import { html, useState, useEffect, useRef } from "../lib.js";
import { post } from "../api.js";
import { t } from "../i18n.js";
import { Loading, ProblemAlert, Field, announce } from "../components.js";

const WORKER = "/vendor/altcha/pbkdf2.worker.js";
const WARN_BEFORE_S = 60;

/** Solve an ALTCHA (v2) challenge with `n` workers, each trying every n-th counter. {done, stop}. */
export function solve(challenge, n = Math.min(4, Math.max(1, navigator.hardwareConcurrency || 2))) {
  const pool = Array.from({ length: n }, () => new Worker(WORKER));
  const stop = () => pool.forEach((w) => w.terminate());
  const done = new Promise((resolve, reject) => {
    let left = n;
    pool.forEach((w, i) => {
      w.onerror = (e) => {
        stop();
        reject(new Error(e.message || "worker failed"));
      };
      w.onmessage = ({ data }) => {
        if (data && data.error) {
          stop();
          reject(new Error(String(data.error)));
        } else if (data && data.derivedKey) {
          stop();
          resolve({ counter: data.counter, derivedKey: data.derivedKey });
        } else if (--left === 0) {
          stop();
          reject(new Error("not solved in time"));
        }
      };
      w.postMessage({ type: "work", challenge, counterStart: i, counterStep: n, timeout: 120_000 });
    });
  });
  return { done, stop };
}

/** The payload the submission service checks: base64 of {challenge, solution}. */
export const proofOf = (challenge, solution) => btoa(JSON.stringify({ challenge, solution }));

/**
 * The captcha's fieldset. `pass` is what the submit sends: {captcha_id, captcha_answer} or
 * {captcha_id, captcha_proof}, or null while there is nothing to send. A change of `nonce` (a refused
 * answer) takes a new captcha, in the same way (image or computed).
 */
export function Captcha({ setPass, error, nonce }) {
  const [c, setC] = useState(null);
  const [answer, setAnswer] = useState("");
  const [computed, setComputed] = useState(false); // the citizen chose the way without the image
  const [state, setState] = useState("idle"); // of the proof: idle | working | done | failed
  const [failed, setFailed] = useState(null);
  const [busy, setBusy] = useState(false);
  const [left, setLeft] = useState(null); // seconds before the captcha expires
  const solving = useRef(null);

  const load = async (why) => {
    if (busy) return;
    setFailed(null);
    setBusy(true);
    setAnswer(""); // an answer belongs to the image it was read from
    setPass(null);
    if (solving.current) solving.current.stop();
    try {
      const got = await post("/submissions/captcha");
      got.until = Date.now() + got.expires_in * 1000;
      setC(got);
      setLeft(got.expires_in);
      if (why) announce(why);
    } catch (err) {
      setFailed(err);
    }
    setBusy(false);
  };

  // A new captcha (first, refused, expired, asked for): compute its proof at once if that is the way.
  useEffect(() => {
    load(nonce ? t("captcha.renewed") : "");
  }, [nonce]);
  useEffect(() => {
    if (!c || !computed) return;
    setState("working");
    setPass({ pending: true });
    announce(t("captcha.working"));
    const job = solve(c.challenge);
    solving.current = job;
    job.done.then(
      (solution) => {
        setState("done");
        setPass({ captcha_id: c.captcha_id, captcha_proof: proofOf(c.challenge, solution) });
        announce(t("captcha.done"));
      },
      () => {
        setState("failed");
        announce(t("captcha.failed"));
      },
    );
    return () => job.stop();
  }, [c, computed]);
  // Set as it is typed, not in an effect: an Enter right after the last key submits what was typed.
  const type = (value) => {
    setAnswer(value);
    setPass(c && value.trim() ? { captcha_id: c.captcha_id, captcha_answer: value.trim() } : null);
  };

  // The clock: a warning a minute before the end, a new captcha at the end.
  useEffect(() => {
    if (!c) return;
    let warned = false;
    const tick = setInterval(() => {
      const s = Math.max(0, Math.round((c.until - Date.now()) / 1000));
      setLeft(s);
      if (s <= WARN_BEFORE_S && s > 0 && !warned) {
        warned = true; // a throttled tab may skip the exact second
        announce(t("captcha.expiring"));
      }
      if (s === 0) {
        clearInterval(tick);
        load(t("captcha.expired"));
      }
    }, 1000);
    return () => clearInterval(tick);
  }, [c]);

  const switchTo = (yes) => {
    setComputed(yes);
    setState("idle");
    setPass(null);
    // The button pressed is gone: the focus goes to what replaced it, not to the page's body.
    if (yes) setTimeout(() => document.getElementById("captcha-computed")?.focus(), 0);
    else {
      load(t("captcha.renewed")); // the spent work's captcha is still good, but a fresh image reads better
      setTimeout(() => document.getElementById("s3-captcha_answer")?.focus(), 0);
    }
  };

  const expiring = left !== null && left <= WARN_BEFORE_S && left > 0;
  return html`<fieldset class="fieldset captcha" data-testid="captcha">
    <legend>${t("captcha.legend")}</legend>
    ${failed ? html`<${ProblemAlert} error=${failed} focus=${false} />` : null}
    ${computed
      ? html`<div class="captcha-computed" id="captcha-computed" tabindex="-1" data-testid="captcha-computed">
          <p>${t("captcha.computedIntro")}</p>
          ${state === "working" || busy
            ? html`<p class="loading"><span class="spinner" aria-hidden="true"></span>${t("captcha.working")}</p>`
            : state === "done"
              ? html`<p class="captcha-done" data-testid="captcha-done">✓ ${t("captcha.done")}</p>`
              : state === "failed"
                ? html`<p class="error-msg">${t("captcha.failed")}</p>
                    <button type="button" class="btn btn-secondary" onClick=${() => load(t("captcha.renewed"))}>${t("captcha.retry")}</button>`
                : null}
          ${error ? html`<p class="error-msg" id="s3-captcha_answer-error">${error}</p>` : null}
          <button type="button" class="btn btn-link" onClick=${() => switchTo(false)} data-testid="captcha-use-image">${t("captcha.useImage")}</button>
        </div>`
      : html`<div class="captcha-row">
            ${c ? html`<img src=${c.image} alt=${t("captcha.alt")} class="captcha-img" width="150" height="50" data-testid="captcha-image" />` : html`<${Loading} />`}
            <button type="button" class="btn btn-secondary" onClick=${() => load(t("captcha.renewed"))} aria-disabled=${busy ? "true" : undefined} data-testid="captcha-refresh">${t("captcha.refresh")}</button>
          </div>
          <${Field}
            id="s3-captcha_answer"
            label=${t("captcha.answer")}
            hint=${t("captcha.hint")}
            value=${answer}
            onInput=${(e) => type(e.target.value)}
            error=${error}
            autocomplete="off"
            autocapitalize="characters"
            spellcheck="false"
            maxlength="20"
            required
            data-testid="captcha-answer"
          />
          <p class="captcha-alt">
            <button type="button" class="btn btn-link" onClick=${() => switchTo(true)} data-testid="captcha-no-image">${t("captcha.noImage")}</button>
          </p>`}
    ${left !== null
      ? html`<p class=${`hint ${expiring ? "captcha-expiring" : ""}`} data-testid="captcha-clock">
          ${expiring ? t("captcha.expiringIn", { s: left }) : t("captcha.validFor", { m: Math.ceil(left / 60) })}
        </p>`
      : null}
  </fieldset>`;
}
