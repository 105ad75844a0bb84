// Nộp trực tuyến: the four steps with a stepper. Step 1 creates the draft (with the receiving ward and
// the case), then the draft lives at /ho-so/<id>?buoc=N and reopens at the step it had reached.
import { html, useState, useEffect, useRef, useStore } from "../lib.js";
import { session, filerOrgs } from "../session.js";
import { API, get, post, put, del, upload, idempotencyKey, accessToken, refreshTokens, ApiError } from "../api.js";
import { t, pick, useLang, getLang, formatBytes, formatMoney, formatDateTime } from "../i18n.js";
import { navigate } from "../router.js";
import { handOver, receive } from "../flash.js";
import { PageHeading, Loading, ProblemAlert, Alert, Field, Facts, useAsync, useTitle, useId, focusField, FilePicker, Vi, ViRuns, viLang, announce } from "../components.js";
import { localProblem, validCitizenId, validPhone, validEmail } from "./auth.js";
import { FeeTable } from "./procedure.js";
import { Captcha } from "./captcha.js";
import { PaymentCard, counterAllowed } from "./payment.js";
import { loadDraft, saveDraft, clearDraft } from "../drafts.js";

export const STEP_KEYS = ["wizard.step1", "wizard.step2", "wizard.step3", "wizard.step4"];

/** The cases a procedure's components are grouped in (two or more), as the submission service sees them. */
export function casesOf(procedure) {
  const seen = [];
  for (const c of procedure.components || []) if (c.group && !seen.includes(c.group)) seen.push(c.group);
  return seen.length > 1 ? seen : [];
}

/** The components a dossier files, for its case. */
export function componentsFor(d) {
  const comps = (d.procedure && d.procedure.components) || [];
  if (!d.cases || d.cases.length < 2) return comps;
  return comps.filter((c) => !c.group || c.group === d.case);
}

const missingComponents = (d) => (d.missing || []).filter((m) => m.item.startsWith("component:"));
const applicantMissing = (d) => (d.missing || []).some((m) => m.item === "applicant") || !d.applicant;

/** The furthest step a draft can open at. */
export function resumeStep(d) {
  if (applicantMissing(d)) return 1;
  if (missingComponents(d).length) return 2;
  return 3;
}

export function Stepper({ current, reachable = current, hrefFor }) {
  return html`<nav class="stepper-nav" aria-label=${t("wizard.stepsLabel")}>
    <ol class="stepper" data-testid="stepper">
      ${STEP_KEYS.map((k, i) => {
        const n = i + 1;
        const state = n < current ? "done" : n === current ? "current" : "todo";
        const label = html`<span class="step-num" aria-hidden="true">${state === "done" ? "✓" : n}</span>
          <span class="step-text">${t(k)}</span>
          <span class="visually-hidden"> (${t(`wizard.state.${state}`)})</span>`;
        const link = hrefFor && n !== current && n <= reachable && n < 4;
        return html`<li class=${`step is-${state}`} aria-current=${n === current ? "step" : undefined} data-testid=${`step-${n}`}>
          ${link ? html`<a href=${hrefFor(n)}>${label}</a>` : html`<span class="step-label">${label}</span>`}
        </li>`;
      })}
    </ol>
  </nav>`;
}

// -- step 1 -------------------------------------------------------------------------------------------

// Who a party is (domain/applicant.py): a Vietnamese individual (personal ID), a foreigner (passport and
// nationality); and, as the dossier's owner only, a business or another organisation (enterprise or tax
// code, legal representative). The server decides which kinds a procedure admits; the form offers those.
const KINDS = ["individual", "foreigner", "business", "organization"];
const FILER_KINDS = ["individual", "foreigner"];
const PERSON_FIELDS = {
  individual: ["full_name", "citizen_id", "date_of_birth", "phone", "email", "address"],
  foreigner: ["full_name", "passport_no", "nationality", "date_of_birth", "phone", "email", "address"],
};
const ORG_FIELDS = ["name", "tax_code", "phone", "email", "address"];
const REP_FIELDS = ["full_name", "position", "citizen_id"];
const emptyPerson = () => ({ kind: "individual", full_name: "", citizen_id: "", passport_no: "", nationality: "", date_of_birth: "", phone: "", email: "", address: "" });
const emptyOrg = (kind) => ({ kind, name: "", tax_code: "", phone: "", email: "", address: "", representative: { full_name: "", position: "", citizen_id: "" } });
const isOrg = (kind) => kind === "business" || kind === "organization";
const bare = (v) => String(v || "").replace(/[\s.\-()]/g, "");
const anyPhone = (v) => validPhone(v) || /^\+[1-9]\d{7,14}$/.test(bare(v)) || /^02\d{9}$/.test(bare(v));

// A date of birth is typed as Vietnamese write it, day first: 17/05/1990 (also 17-05-1990, 17.05.1990 or
// 17051990, and ISO 1990-05-17, which cannot be misread). A date picker follows the browser's locale
// instead (17051990 became 1990-12-05) and its calendar button lost the focus ring.
const DATE_SHAPE = /^(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{4})|(\d{2})(\d{2})(\d{4}))$/;

/** The typed date as ISO (1990-05-17); "" when it is not a date's shape, null when no such day exists. */
export function parseDate(text) {
  const m = String(text || "").trim().match(DATE_SHAPE);
  if (!m) return "";
  const [y, mo, d] = m[1] ? [m[1], m[2], m[3]] : m[4] ? [m[6], m[5], m[4]] : [m[9], m[8], m[7]];
  const iso = `${y}-${mo.padStart(2, "0")}-${d.padStart(2, "0")}`;
  const day = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === iso ? iso : null;
}

/** 1990-05-17 → 17/05/1990 (what the field shows). */
const dayFirst = (iso) => (/^\d{4}-\d{2}-\d{2}$/.test(iso || "") ? iso.split("-").reverse().join("/") : iso || "");

function dobError(text) {
  if (!String(text || "").trim()) return t("v.dob");
  const iso = parseDate(text);
  if (iso === "") return t("v.dobFormat");
  if (iso === null) return t("v.dobNoSuchDay", { value: text.trim() });
  return iso >= new Date().toISOString().slice(0, 10) || iso < "1900-01-01" ? t("v.dobPast") : "";
}

function personErrors(p, prefix) {
  const foreigner = p.kind === "foreigner";
  return {
    [`${prefix}.full_name`]: p.full_name.trim().length >= 2 ? "" : t("v.fullName"),
    ...(foreigner
      ? {
          [`${prefix}.passport_no`]: /^[A-Za-z0-9]{6,12}$/.test(bare(p.passport_no)) ? "" : t("v.passport"),
          [`${prefix}.nationality`]: /^[A-Za-z]{2}$/.test(p.nationality.trim()) && p.nationality.trim().toUpperCase() !== "VN" ? "" : t("v.nationality"),
        }
      : { [`${prefix}.citizen_id`]: validCitizenId(p.citizen_id) ? "" : t("v.citizenId") }),
    [`${prefix}.date_of_birth`]: dobError(p.date_of_birth),
    [`${prefix}.phone`]: (foreigner ? anyPhone(p.phone) : validPhone(p.phone)) ? "" : t("v.phone"),
    [`${prefix}.email`]: !p.email.trim() || validEmail(p.email) ? "" : t("v.email"),
    [`${prefix}.address`]: p.address.trim().length >= 5 ? "" : t("v.address"),
  };
}

function orgErrors(o, prefix) {
  const rep = o.representative;
  return {
    [`${prefix}.name`]: o.name.trim().length >= 2 ? "" : t("v.orgName"),
    [`${prefix}.tax_code`]: /^\d{10}(-\d{3})?$/.test(o.tax_code.replace(/\s/g, "")) ? "" : t("v.taxCode"),
    [`${prefix}.representative.full_name`]: rep.full_name.trim().length >= 2 ? "" : t("v.fullName"),
    [`${prefix}.representative.position`]: rep.position.trim().length >= 2 ? "" : t("v.position"),
    [`${prefix}.representative.citizen_id`]: validCitizenId(rep.citizen_id) ? "" : t("v.citizenId"),
    [`${prefix}.phone`]: anyPhone(o.phone) ? "" : t("v.phone"),
    [`${prefix}.email`]: !o.email.trim() || validEmail(o.email) ? "" : t("v.email"),
    [`${prefix}.address`]: o.address.trim().length >= 5 ? "" : t("v.address"),
  };
}

function cleanPerson(p) {
  const kind = p.kind === "foreigner" ? "foreigner" : "individual";
  const out = { kind };
  for (const k of PERSON_FIELDS[kind]) {
    const v = (p[k] || "").trim();
    if (v || k !== "email") out[k] = k === "date_of_birth" ? parseDate(v) || v : k === "nationality" ? v.toUpperCase() : v;
  }
  if (!out.email) delete out.email;
  return out;
}

function cleanOrg(o) {
  const out = { kind: o.kind };
  for (const k of ORG_FIELDS) {
    const v = (o[k] || "").trim();
    if (v) out[k] = v;
  }
  out.representative = Object.fromEntries(REP_FIELDS.map((k) => [k, (o.representative[k] || "").trim()]));
  return out;
}

const cleanParty = (p) => (isOrg(p.kind) ? cleanOrg(p) : cleanPerson(p));

function KindChoice({ who, kinds, value, onChange }) {
  return html`<fieldset class="fieldset radios" data-testid=${`${who}-kinds`}>
    <legend>${t(`wizard.${who}Kind`)}</legend>
    ${kinds.map(
      (k) => html`<div class="radio">
        <input type="radio" id=${`s1-${who}-kind-${k}`} name=${`${who}-kind`} value=${k} checked=${k === value} onChange=${() => onChange(k)} data-testid=${`${who}-kind-${k}`} />
        <label for=${`s1-${who}-kind-${k}`}>${t(`kind.${k}`)}</label>
      </div>`,
    )}
  </fieldset>`;
}

function PersonFields({ who, value, onChange, errors, verified = false }) {
  const set = (k) => (e) => onChange({ ...value, [k]: e.target.value });
  const id = (k) => `s1-${who}-${k}`;
  const err = (k) => errors[`${who}.${k}`];
  const mine = who === "submitter";
  const foreigner = value.kind === "foreigner";
  // The date as understood, written back day first when the field is left: 17051990 shows 17/05/1990.
  const tidyDate = (e) => {
    const iso = parseDate(e.target.value);
    if (iso && dayFirst(iso) !== e.target.value) onChange({ ...value, date_of_birth: dayFirst(iso) });
  };
  return html`<fieldset class="fieldset" data-testid=${`${who}-fields`}>
    <legend>${t(`wizard.${who}`)}</legend>
    <div class="grid-2">
      <${Field} id=${id("full_name")} label=${t("person.fullName")} value=${value.full_name} onInput=${set("full_name")} error=${err("full_name")} autocomplete=${mine ? "name" : "off"} required data-testid=${`${who}-full-name`} />
      ${foreigner
        ? html`<${Field} id=${id("passport_no")} label=${t("person.passport")} value=${value.passport_no} onInput=${set("passport_no")} error=${err("passport_no")} maxlength="12" autocomplete="off" required data-testid=${`${who}-passport`} />
            <${Field} id=${id("nationality")} label=${t("person.nationality")} hint=${t("person.nationalityHint")} value=${value.nationality} onInput=${set("nationality")} error=${err("nationality")} maxlength="2" autocomplete="off" required data-testid=${`${who}-nationality`} />`
        : html`<${Field} id=${id("citizen_id")} label=${t("person.citizenId")} hint=${t(verified ? "person.citizenIdVerified" : "person.citizenIdHint")} value=${value.citizen_id} onInput=${set("citizen_id")} error=${err("citizen_id")} inputmode="numeric" maxlength="12" autocomplete="off" required readonly=${verified} data-testid=${`${who}-citizen-id`} />`}
      <${Field} id=${id("date_of_birth")} label=${t("person.dob")} hint=${t("person.dobHint")} value=${value.date_of_birth} onInput=${set("date_of_birth")} onBlur=${tidyDate} error=${err("date_of_birth")} inputmode="numeric" maxlength="10" autocomplete=${mine ? "bday" : "off"} required data-testid=${`${who}-dob`} />
      <${Field} id=${id("phone")} label=${t("person.phone")} hint=${t(foreigner ? "person.phoneAnyHint" : "person.phoneHint")} type="tel" value=${value.phone} onInput=${set("phone")} error=${err("phone")} autocomplete=${mine ? "tel" : "off"} required data-testid=${`${who}-phone`} />
      <${Field} id=${id("email")} label=${t("person.emailOptional")} type="email" value=${value.email} onInput=${set("email")} error=${err("email")} autocomplete=${mine ? "email" : "off"} data-testid=${`${who}-email`} />
      <${Field} id=${id("address")} label=${t("person.address")} hint=${t("person.addressHint")} value=${value.address} onInput=${set("address")} error=${err("address")} autocomplete=${mine ? "street-address" : "off"} required data-testid=${`${who}-address`} />
    </div>
  </fieldset>`;
}

function OrgFields({ value, onChange, errors, submitter }) {
  const who = "owner";
  const set = (k) => (e) => onChange({ ...value, [k]: e.target.value });
  const setRep = (k) => (e) => onChange({ ...value, representative: { ...value.representative, [k]: e.target.value } });
  const id = (k) => `s1-${who}-${k.replace(".", "-")}`;
  const err = (k) => errors[`${who}.${k}`];
  const rep = value.representative;
  const iAmRep = !!submitter.citizen_id && rep.citizen_id === submitter.citizen_id && rep.full_name === submitter.full_name;
  const beRep = (e) =>
    onChange({
      ...value,
      representative: e.target.checked
        ? { ...rep, full_name: submitter.full_name, citizen_id: submitter.citizen_id }
        : { ...rep, full_name: "", citizen_id: "" },
    });
  return html`<fieldset class="fieldset" data-testid="org-fields">
    <legend>${t(`kind.${value.kind}`)}</legend>
    <div class="grid-2">
      <${Field} id=${id("name")} label=${t("org.name")} value=${value.name} onInput=${set("name")} error=${err("name")} autocomplete="organization" required data-testid="org-name" />
      <${Field} id=${id("tax_code")} label=${t(value.kind === "business" ? "org.enterpriseCode" : "org.taxCode")} hint=${t("org.taxCodeHint")} value=${value.tax_code} onInput=${set("tax_code")} error=${err("tax_code")} inputmode="numeric" maxlength="14" autocomplete="off" required data-testid="org-tax-code" />
      <${Field} id=${id("phone")} label=${t("person.phone")} hint=${t("person.phoneAnyHint")} type="tel" value=${value.phone} onInput=${set("phone")} error=${err("phone")} autocomplete="off" required data-testid="org-phone" />
      <${Field} id=${id("email")} label=${t("person.emailOptional")} type="email" value=${value.email} onInput=${set("email")} error=${err("email")} autocomplete="off" data-testid="org-email" />
      <${Field} id=${id("address")} label=${t("org.address")} value=${value.address} onInput=${set("address")} error=${err("address")} autocomplete="off" required data-testid="org-address" />
    </div>
    <fieldset class="fieldset">
      <legend>${t("org.representative")}</legend>
      <div class="checkbox">
        <input type="checkbox" id="s1-i-am-rep" checked=${iAmRep} onChange=${beRep} data-testid="i-am-representative" />
        <label for="s1-i-am-rep">${t("org.iAmRepresentative")}</label>
      </div>
      <div class="grid-2">
        <${Field} id=${id("representative.full_name")} label=${t("person.fullName")} value=${rep.full_name} onInput=${setRep("full_name")} error=${err("representative.full_name")} autocomplete="off" required data-testid="rep-full-name" />
        <${Field} id=${id("representative.position")} label=${t("org.position")} hint=${t("org.positionHint")} value=${rep.position} onInput=${setRep("position")} error=${err("representative.position")} autocomplete="off" required data-testid="rep-position" />
        <${Field} id=${id("representative.citizen_id")} label=${t("person.citizenId")} value=${rep.citizen_id} onInput=${setRep("citizen_id")} error=${err("representative.citizen_id")} inputmode="numeric" maxlength="12" autocomplete="off" required data-testid="rep-citizen-id" />
      </div>
    </fieldset>
    ${iAmRep ? null : html`<p class="muted small" data-testid="authorization-note">${t("wizard.authorizationNote")}</p>`}
  </fieldset>`;
}

/**
 * Step 1. New mode: `agencies` to choose from, creates the draft. Draft mode: `dossier`.
 *
 * What is typed is kept on this device as it changes (drafts.js: per user, and per procedure before the
 * draft exists or per dossier after), filled in again after a reload or offline, and removed once the
 * server has it. Offline, "Tiếp tục" waits: the step is sent when the connection is back (the `online`
 * event, and a retry every 20 s while the device says it is online but the portal does not answer).
 * `context` (new mode): what the form needs to show again offline (the procedure's code, name, cases;
 * the agencies; the account's prefill), kept with the values.
 */
function ApplicantStep({ procedure, agencies, dossier, prefill: account, onDone, handed, context }) {
  const s = useStore(session);
  const user = s && s.claims ? s.claims.sub : null;
  const scope = dossier ? `dossier:${dossier.id}` : `new:${procedure.code}`;
  // Handed over from the new-dossier page (the draft made, its applicant refused) wins over the copy here.
  const kept = useRef(handed ? null : loadDraft(user, scope));
  const local = kept.current && kept.current.values;
  const fromApplicant = dossier && dossier.applicant;
  // A holder verified through VNeID files as themself: the submitter's ID is that identity's, not typed.
  const { identity_level: level, ...prefill } = account || {};
  const verifiedId = level >= 1 ? prefill.citizen_id : null;
  const start = (p) => {
    const given = Object.fromEntries(Object.entries(p || {}).filter(([, v]) => v !== null && v !== undefined));
    if (isOrg(given.kind)) return { ...emptyOrg(given.kind), ...given, representative: { ...emptyOrg(given.kind).representative, ...(given.representative || {}) } };
    const person = { ...emptyPerson(), ...given };
    return { ...person, date_of_birth: dayFirst(person.date_of_birth) };
  };
  // The kinds the procedure admits as owner (the dossier knows them; before the draft exists, all: the
  // server refuses one it does not admit, and the draft's page then offers only those).
  const allowed = (dossier && dossier.applicant_kinds) || KINDS;
  const selfAllowed = allowed.some((k) => FILER_KINDS.includes(k));
  const firstOrg = allowed.find(isOrg) || "business";
  // The form as the server (or the account) has it; the copy kept here, when there is one, replaces it.
  const initial = () => ({
    submitter: (handed && handed.submitter) || start(fromApplicant ? fromApplicant.submitter : prefill),
    hasOwner: !!(fromApplicant && fromApplicant.owner) || !!(handed && handed.owner) || !selfAllowed,
    owner: (handed && handed.owner) || (fromApplicant && fromApplicant.owner ? start(fromApplicant.owner) : selfAllowed ? start(null) : emptyOrg(firstOrg)),
  });
  const asVerified = (p) => (verifiedId ? { ...p, kind: "individual", citizen_id: verifiedId } : p);
  const [submitter, setSubmitterAs] = useState(() => asVerified((local && local.submitter) || initial().submitter));
  const setSubmitter = (p) => setSubmitterAs(asVerified(p));
  const [hasOwner, setHasOwner] = useState(() => (local && selfAllowed ? !!local.hasOwner : initial().hasOwner));
  const [owner, setOwner] = useState(() => (local && local.owner) || initial().owner);
  const ownerKinds = allowed;
  const setOwnerKind = (k) => setOwner(isOrg(k) ? (isOrg(owner.kind) ? { ...owner, kind: k } : emptyOrg(k)) : isOrg(owner.kind) ? { ...emptyPerson(), kind: k } : { ...owner, kind: k });
  // Filing for an organisation the person is staff or representative of: it becomes the owner, as
  // registered (the server fills it in), so no owner is typed.
  const orgChoices = dossier ? [] : filerOrgs(s);
  const orgNames = useAsync(() => (orgChoices.length ? get("/auth/organisations").then((r) => r.items) : []), [orgChoices.length]);
  const [forOrg, setForOrg] = useState(
    () => new URLSearchParams(location.search).get("to-chuc") || (local && !dossier && orgChoices.some((o) => o.id === local.forOrg) ? local.forOrg : ""),
  );
  const byOrg = !!(forOrg || (dossier && dossier.organisation_id));
  const cases = dossier ? dossier.cases || [] : casesOf(procedure);
  const [caseName, setCase] = useState(() =>
    local && cases.includes(local.caseName) ? local.caseName : dossier ? dossier.case || cases[0] || "" : cases[0] || "",
  );
  const [agency, setAgency] = useState(() =>
    local && agencies && agencies.some((a) => a.code === local.agency) ? local.agency : agencies && agencies.length === 1 ? agencies[0].code : "",
  );
  const [error, setError] = useState((handed && handed.error) || null);
  const [busy, setBusy] = useState(false);
  // One key for this step's creation, kept with the copy: a creation sent again after a lost answer (the
  // connection dropped) is the same draft, not a second one.
  const key = useRef((kept.current && kept.current.key) || idempotencyKey());
  const [restored, setRestored] = useState(!!local);
  const [pending, setPending] = useState(!!(kept.current && kept.current.pending));
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};

  // Kept on this device as it changes (not on arrival: an untouched form is not a draft).
  const save = useRef({ skip: true, done: false });
  useEffect(() => {
    if (save.current.skip || save.current.done) {
      save.current.skip = false;
      return;
    }
    saveDraft(user, scope, {
      values: { submitter, hasOwner, owner, forOrg, caseName, agency },
      context: context || null,
      pending,
      key: key.current,
    });
  }, [submitter, hasOwner, owner, forOrg, caseName, agency, pending]);

  const discard = () => {
    clearDraft(user, scope);
    const first = initial();
    save.current.skip = true; // the form as it was: not a draft to keep
    setSubmitter(first.submitter);
    setHasOwner(first.hasOwner);
    setOwner(first.owner);
    setRestored(false);
    setPending(false);
    announce(t("draft.discarded"));
  };

  const submit = async (e) => {
    e.preventDefault();
    const problem = localProblem({
      agency_code: !dossier && agencies && agencies.length > 1 && !agency ? t("v.agency") : "",
      ...personErrors(submitter, "submitter"),
      ...(hasOwner && !byOrg ? (isOrg(owner.kind) ? orgErrors(owner, "owner") : personErrors(owner, "owner")) : {}),
    });
    if (problem) return setError(problem);
    await send();
  };

  // Offline: the step waits, kept here, and is sent when the connection is back.
  const wait = () => {
    setBusy(false);
    if (!pending) announce(t("draft.waiting"));
    setPending(true);
  };
  const sending = useRef(false);
  const send = async () => {
    if (sending.current) return;
    if (navigator.onLine === false) return wait();
    sending.current = true;
    try {
      await sendNow();
    } finally {
      sending.current = false;
    }
  };
  const sendRef = useRef(send);
  sendRef.current = send;
  const resumeAtOnce = useRef(pending); // a step left waiting before a reload: sent as soon as online
  useEffect(() => {
    if (!pending) return undefined;
    const retry = () => {
      if (navigator.onLine === false || sending.current) return;
      announce(t("draft.sending"));
      sendRef.current();
    };
    if (resumeAtOnce.current) {
      resumeAtOnce.current = false;
      retry();
    }
    window.addEventListener("online", retry);
    const timer = setInterval(retry, 20000);
    return () => {
      window.removeEventListener("online", retry);
      clearInterval(timer);
    };
  }, [pending]);

  const sendNow = async () => {
    setError(null);
    setBusy(true);
    const applicant = { submitter: cleanPerson(submitter) };
    if (hasOwner && !byOrg) applicant.owner = cleanParty(owner);
    let id = dossier && dossier.id;
    try {
      if (!dossier) {
        const body = { procedure_code: procedure.code };
        if (agency) body.agency_code = agency;
        if (cases.length > 1 && caseName) body.case = caseName;
        if (forOrg) body.organisation_id = forOrg;
        const created = await post("/submissions/dossiers", body, { headers: { "Idempotency-Key": key.current } });
        id = created.id;
      } else if (cases.length > 1 && caseName && caseName !== dossier.case) {
        await put(`/submissions/dossiers/${id}/case`, { case: caseName });
      }
    } catch (err) {
      if (err.code === "network") return wait();
      setBusy(false);
      return setError(err);
    }
    if (!dossier) {
      // The draft exists: what is kept here now belongs to it (until its applicant is saved).
      save.current.done = true;
      clearDraft(user, scope);
      saveDraft(user, `dossier:${id}`, { values: { submitter, hasOwner, owner, forOrg, caseName, agency }, pending: false });
    }
    try {
      await put(`/submissions/dossiers/${id}/applicant`, applicant);
    } catch (err) {
      setBusy(false);
      if (!dossier) {
        // The draft exists now: show the same form, with the answer, on the draft's own page.
        handOver(`applicant:${id}`, { submitter, owner: hasOwner ? owner : null, error: err });
        return navigate(`/ho-so/${id}?buoc=1`, { replace: true });
      }
      if (err.code === "network") return wait();
      return setError(err);
    }
    // The server has step 1: nothing is kept here any more.
    save.current.done = true;
    clearDraft(user, dossier ? scope : `dossier:${id}`);
    setPending(false);
    setBusy(false);
    onDone(id);
  };

  return html`<form class="form" onSubmit=${submit} novalidate data-testid="step1-form">
    ${pending ? html`<${Alert} kind="warning" testid="draft-waiting">${t("draft.waiting")}<//>` : null}
    ${restored && !pending
      ? html`<${Alert} kind="info" testid="draft-restored">
          <p>${t("draft.restored")}</p>
          <p><button type="button" class="btn btn-secondary" onClick=${discard} data-testid="draft-discard">${t("draft.discard")}</button></p>
        <//>`
      : null}
    <${ProblemAlert} error=${error} prefix="s1-" />
    <p class="muted small">${t("common.requiredNote")}</p>
    <fieldset class="fieldset">
      <legend>${t("wizard.receiving")}</legend>
      ${dossier
        ? html`<p data-testid="agency-name"><span class="label">${t("wizard.agency")}:</span> <${Vi}>${dossier.agency.name}<//></p>`
        : agencies && agencies.length > 1
          ? html`<${Field} id="s1-agency_code" label=${t("wizard.chooseAgency")} hint=${t("wizard.chooseAgencyHint")} error=${fe.agency_code} required>
              <select
                id="s1-agency_code"
                value=${agency}
                onChange=${(e) => setAgency(e.target.value)}
                required
                aria-required="true"
                aria-invalid=${fe.agency_code ? "true" : undefined}
                aria-describedby=${`s1-agency_code-hint${fe.agency_code ? " s1-agency_code-error" : ""}`}
                data-testid="agency-select"
              >
                <option value="">${t("wizard.agencyPlaceholder")}</option>
                ${agencies.map((a) => html`<option value=${a.code} lang=${viLang()} selected=${a.code === agency}>${a.name}</option>`)}
              </select>
            <//>`
          : agencies && agencies.length === 1
            ? html`<p data-testid="agency-name"><span class="label">${t("wizard.agency")}:</span> <${Vi}>${agencies[0].name}<//></p>`
            : null}
      ${cases.length > 1
        ? html`<fieldset class="fieldset radios" data-testid="cases">
            <legend>${t("wizard.case")}</legend>
            ${cases.map(
              (c, i) => html`<div class="radio">
                <input type="radio" id=${`s1-case-${i}`} name="case" value=${c} checked=${c === caseName} onChange=${() => setCase(c)} data-testid="case-option" />
                <label for=${`s1-case-${i}`} lang=${viLang()}>${c}</label>
              </div>`,
            )}
          </fieldset>`
        : null}
    </fieldset>
    ${procedure && procedure.audience ? html`<p class="muted small" data-testid="audience"><span class="label">${t("wizard.audience")}:</span> <${Vi}>${procedure.audience}<//></p>` : null}
    ${verifiedId
      ? null
      : html`<${KindChoice} who="submitter" kinds=${FILER_KINDS} value=${submitter.kind || "individual"} onChange=${(k) => setSubmitter({ ...submitter, kind: k })} />`}
    ${orgChoices.length
      ? html`<${Field} id="s1-organisation" label=${t("org.fileAs")} hint=${t("org.fileAsHint")}>
          <select id="s1-organisation" value=${forOrg} onChange=${(e) => setForOrg(e.target.value)} aria-describedby="s1-organisation-hint" data-testid="file-for">
            <option value="">${t("org.personal")}</option>
            ${orgChoices.map((o) => {
              const named = (orgNames.data || []).find((n) => n.id === o.id);
              return html`<option value=${o.id} lang=${viLang()} selected=${o.id === forOrg}>${named ? `${named.name} (${named.tax_code})` : o.id}</option>`;
            })}
          </select>
        <//>`
      : null}
    ${dossier && dossier.organisation
      ? html`<p data-testid="owner-organisation">${t("org.ownerIs", { name: dossier.organisation.name, code: dossier.organisation.tax_code })}</p>`
      : null}
    <${PersonFields} who="submitter" value=${submitter} onChange=${setSubmitter} errors=${fe} verified=${!!verifiedId} />
    ${selfAllowed && !byOrg
      ? html`<div class="checkbox">
          <input type="checkbox" id="s1-has-owner" checked=${hasOwner} onChange=${(e) => setHasOwner(e.target.checked)} data-testid="has-owner" />
          <label for="s1-has-owner">${t("wizard.ownerDiffers")}</label>
        </div>`
      : null}
    ${hasOwner && !byOrg ? html`<${KindChoice} who="owner" kinds=${ownerKinds} value=${owner.kind || "individual"} onChange=${setOwnerKind} />` : null}
    ${hasOwner && !byOrg
      ? isOrg(owner.kind)
        ? html`<${OrgFields} value=${owner} onChange=${setOwner} errors=${fe} submitter=${submitter} />`
        : html`<${PersonFields} who="owner" value=${owner} onChange=${setOwner} errors=${fe} />
            <p class="muted small" data-testid="authorization-note">${t("wizard.authorizationNote")}</p>`
      : null}
    <div class="actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="step1-next">${busy ? t("common.wait") : t("wizard.next")}</button>
      ${procedure ? html`<a href=${`/thu-tuc/${encodeURIComponent(procedure.code)}`}>${t("wizard.cancel")}</a>` : null}
    </div>
  </form>`;
}

/** What step 1 needs to show again offline (kept with the values, drafts.js): no more than the form uses. */
function offlineContext({ procedure, agencies, me }) {
  return {
    procedure: {
      code: procedure.code,
      name: procedure.name,
      fileable: procedure.fileable,
      audience: procedure.audience || "",
      components: (procedure.components || []).map((c) => ({ id: c.id, group: c.group || null })),
    },
    agencies: (agencies || []).map((a) => ({ code: a.code, name: a.name })),
    me: me && {
      full_name: me.full_name,
      citizen_id: me.citizen_id,
      phone: me.phone,
      email: me.email,
      identity: me.identity ? { birth_date: me.identity.birth_date, address: me.identity.address } : null,
      identity_level: me.identity_level || 0,
    },
  };
}

/** /nop-truc-tuyen/:code — step 1 before a draft exists. */
export function NewDossierPage({ code }) {
  const lang = useLang();
  const s = useStore(session);
  const user = s && s.claims ? s.claims.sub : null;
  useTitle(`${t("wizard.step1")} — ${t("wizard.title")}`);
  const data = useAsync(
    () =>
      Promise.all([
        get(`/catalog/procedures/${encodeURIComponent(code)}`, { auth: false }),
        get("/submissions/agencies", { query: { procedure: code } }),
        get("/auth/me").catch(() => null),
      ]).then(
        ([procedure, agencies, me]) => ({ procedure, agencies, me }),
        (err) => {
          // Offline: the form as kept on this device with what was typed, if anything was.
          const kept = err && err.code === "network" ? loadDraft(user, `new:${code}`) : null;
          if (kept && kept.context && kept.context.procedure) return { ...kept.context, offline: true };
          throw err;
        },
      ),
    [code, lang],
  );
  return html`<${PageHeading} sub=${data.data ? html`<${Vi}>${data.data.procedure.name}<//>` : ""}>${t("wizard.title")}<//>
    <${Stepper} current=${1} />
    <section aria-labelledby="step-title" class="card step-card">
      <h2 id="step-title">${t("wizard.step1")}</h2>
      ${data.data && data.data.offline ? html`<${Alert} kind="info" testid="draft-offline-copy" live=${false}>${t("draft.offlineCopy")}<//>` : null}
      ${data.loading
        ? html`<${Loading} />`
        : data.error
          ? html`<${ProblemAlert} error=${data.error} />`
          : !data.data.procedure.fileable
            ? html`<${Alert} kind="warning">${t("proc.notOnline")}<//>`
            : html`<${ApplicantStep}
                procedure=${data.data.procedure}
                agencies=${data.data.agencies}
                context=${offlineContext(data.data)}
                prefill=${data.data.me && {
                  full_name: data.data.me.full_name,
                  citizen_id: data.data.me.citizen_id,
                  phone: data.data.me.phone,
                  email: data.data.me.email,
                  date_of_birth: data.data.me.identity && data.data.me.identity.birth_date,
                  address: data.data.me.identity && data.data.me.identity.address,
                  identity_level: data.data.me.identity_level || 0,
                }}
                onDone=${(id) => navigate(`/ho-so/${id}?buoc=2`, { replace: true })}
              />`}
    </section>`;
}

// -- step 2 -------------------------------------------------------------------------------------------

const EXTENSIONS = { jpg: ["jpg", "jpeg"], jpeg: ["jpg", "jpeg"], tif: ["tif", "tiff"] };
const extsOf = (types) => [...new Set((types || []).flatMap((x) => EXTENSIONS[x.toLowerCase()] || [x.toLowerCase()]))];

/** Checks made before the upload: the component's types and size. Returns a message or "". */
export function checkFile(file, component) {
  const types = component.file_types && component.file_types.length ? component.file_types : ["pdf", "jpg", "png", "docx", "xlsx"];
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  if (!file.name.includes(".") || !extsOf(types).includes(ext)) {
    return t("upload.badType", { name: file.name, types: types.map((x) => x.toUpperCase()).join(", ") });
  }
  if (!file.size) return t("upload.empty", { name: file.name });
  if (component.max_bytes && file.size > component.max_bytes) {
    return t("upload.tooBig", { name: file.name, size: formatBytes(file.size), max: formatBytes(component.max_bytes) });
  }
  return "";
}

// -- resumable uploads (tus, docs/submission.md "Resumable uploads (tus)") --------------------------------

let tusLoaded = null;
/** The vendored tus-js-client (a browserify bundle that sets window.tus), loaded on the first upload. */
function loadTus() {
  if (!tusLoaded) {
    tusLoaded = import("../vendor/tus.min.js").then(() => window.tus).catch(() => null);
  }
  return tusLoaded;
}

const TUS_CHUNK = 32 * 1024 * 1024; // a PATCH at most (the gateway takes 64 MB); a multiple of S3's parts
const TUS_RETRY = [0, 1000, 3000, 5000, 10000, 20000, 30000];

/** What a failed tus request answered: our problem+json, or a network failure. */
function tusProblem(err) {
  const res = err && err.originalResponse;
  if (res) {
    let body = null;
    try {
      body = JSON.parse(res.getBody() || "null");
    } catch {
      body = null;
    }
    return new ApiError(res.getStatus(), body || { detail: t("error.http", { status: res.getStatus() }) });
  }
  return new ApiError(0, { code: "network", title: t("error.network"), detail: t("error.network") });
}

/**
 * A file sent with tus: in chunks, resumed after a broken connection (retries, and again when the
 * browser is back online), a previous upload of the same file to the same component resumed from where
 * it stopped (tus-js-client keeps its URL in localStorage), then attached to the dossier by its id.
 * Returns {promise, pause, resume, abort}; handlers: progress(fraction), paused(bool).
 */
function resumableUpload(tus, file, dossierId, componentId, handlers) {
  let settle;
  const promise = new Promise((resolve, reject) => (settle = { resolve, reject }));
  let stopped = false; // paused by the person (not resumed by the network's return)
  let waiting = false; // failed for the network: resumed when the browser is online again
  const online = () => {
    if (waiting && !stopped) {
      waiting = false;
      handlers.paused(false);
      job.start();
    }
  };
  const done = () => window.removeEventListener("online", online);
  window.addEventListener("online", online);
  const job = new tus.Upload(file, {
    endpoint: `${API}/submissions/uploads`,
    chunkSize: TUS_CHUNK,
    retryDelays: TUS_RETRY,
    metadata: { dossier_id: dossierId, component_id: componentId, filename: file.name, filetype: file.type || "" },
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    fingerprint: async (f) => ["dvc-tus", dossierId, componentId, f.name, f.type, f.size, f.lastModified].join("/"),
    onBeforeRequest: async (req) => {
      const token = await accessToken();
      if (token) req.setHeader("Authorization", `Bearer ${token}`);
      req.setHeader("Accept-Language", getLang());
    },
    onShouldRetry: (err) => {
      const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
      if (status === 401) {
        refreshTokens();
        return true;
      }
      return !status || status >= 500 || status === 409 || status === 423;
    },
    onProgress: (sent, total) => handlers.progress(total ? sent / total : 0),
    onError: (err) => {
      const problem = tusProblem(err);
      if (problem.status === 0 && !navigator.onLine && !stopped) {
        waiting = true; // the network is gone: wait for it, keep the offset
        handlers.paused(true, true);
        return;
      }
      done();
      settle.reject(problem);
    },
    onSuccess: async () => {
      done();
      try {
        const uploadId = job.url.split("/").pop();
        settle.resolve(await post(`/submissions/dossiers/${dossierId}/attachments`, { upload_id: uploadId, component_id: componentId }));
      } catch (e) {
        settle.reject(e);
      }
    },
  });
  job
    .findPreviousUploads()
    .then((previous) => {
      if (previous.length) job.resumeFromPreviousUpload(previous[0]);
    })
    .catch(() => {})
    .finally(() => job.start());
  return {
    promise,
    pause: () => {
      stopped = true;
      job.abort();
      handlers.paused(true);
    },
    resume: () => {
      stopped = false;
      waiting = false;
      handlers.paused(false);
      job.start();
    },
    abort: () => {
      stopped = true;
      done();
      job.abort(true).catch(() => {}); // terminate: the server drops its parts
      settle.reject(new ApiError(0, { code: "aborted", title: t("error.aborted"), detail: t("error.aborted") }));
    },
  };
}

/** One dossier component: its files, a picker, upload progress and errors. */
export function ComponentUpload({ dossierId, component: c, index, attachments, onChanged, missing, headingLevel = 3, canRemove = () => true }) {
  const [uploads, setUploads] = useState([]); // {key, name, progress, abort}
  const [errors, setErrors] = useState([]);
  const [said, setSaid] = useState("");
  const input = useRef(null);
  const nameId = useId("comp-name");
  const pickId = `file-${c.id}`;
  const Title = `h${headingLevel}`;
  const mine = attachments.filter((a) => a.component_id === c.id);

  const pick = async (e) => {
    const files = [...(e.target.files || [])];
    e.target.value = "";
    setErrors([]);
    const problems = [];
    for (const file of files) {
      const bad = checkFile(file, c);
      if (bad) {
        problems.push(bad);
        continue;
      }
      const key = `${Date.now()}-${Math.random()}`;
      const change = (fields) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, ...fields } : x)));
      const tus = await loadTus();
      let job;
      if (tus && tus.isSupported) {
        job = resumableUpload(tus, file, dossierId, c.id, {
          progress: (p) => change({ progress: p }),
          paused: (paused, offline = false) => change({ paused, offline }),
        });
      } else {
        // Without tus (the library could not load): the whole file in one request.
        const form = new FormData();
        form.append("component_id", c.id);
        form.append("file", file, file.name);
        job = upload(`/submissions/dossiers/${dossierId}/attachments`, form, (p) => change({ progress: p }));
      }
      setUploads((u) => [...u, { key, name: file.name, progress: 0, paused: false, offline: false, abort: job.abort, pause: job.pause, resume: job.resume }]);
      setSaid(t("upload.started", { name: file.name }));
      try {
        await job.promise;
        setSaid(t("upload.done", { name: file.name }));
        await onChanged();
      } catch (err) {
        if (err.code !== "aborted") setErrors((x) => [...x, t("upload.failed", { name: file.name, detail: err.detail || err.title || err.message })]);
        else setSaid(t("upload.cancelled", { name: file.name }));
      } finally {
        setUploads((u) => u.filter((x) => x.key !== key));
      }
    }
    if (problems.length) setErrors((x) => [...problems, ...x]);
  };

  const remove = async (a) => {
    setErrors([]);
    try {
      await del(`/submissions/dossiers/${dossierId}/attachments/${a.id}`);
      setSaid(t("upload.removed", { name: a.name }));
      await onChanged();
      if (input.current) input.current.focus();
    } catch (err) {
      setErrors([err.detail || err.message]);
    }
  };

  const types = (c.file_types && c.file_types.length ? c.file_types : ["pdf", "jpg", "png", "docx", "xlsx"]).map((x) => x.toUpperCase()).join(", ");
  const accept = extsOf(c.file_types && c.file_types.length ? c.file_types : ["pdf", "jpg", "png", "docx", "xlsx"])
    .map((x) => `.${x}`)
    .join(",");
  return html`<section class=${`card comp ${missing ? "comp-missing" : ""}`} aria-labelledby=${nameId} data-testid="component" data-component-id=${c.id}>
    <${Title} id=${nameId} class="comp-name">${index !== undefined ? `${index}. ` : ""}<${Vi}>${c.name}<//><//>
    <p class="comp-meta">
      ${c.lookup
        ? html`<span class="badge badge-optional" data-testid="component-lookup">${t("comp.lookup")}</span>`
        : c.required === false
          ? html`<span class="badge badge-optional">${t("comp.optional")}</span>`
          : html`<span class="badge badge-required">${t("comp.requiredBadge")}</span>`}
      <span>${t("comp.originals")}: ${c.originals ?? 0}</span>
      <span>${t("comp.copies")}: ${c.copies ?? 0}</span>
      ${c.forms && c.forms.length ? html`<span>${t("comp.forms")}: <${Vi}>${c.forms.join(", ")}<//></span>` : null}
    </p>
    ${mine.length
      ? html`<ul class="file-list" aria-label=${t("upload.files")}>
          ${mine.map(
            (a) => html`<li class="file-item" data-testid="attachment">
              <span class="file-name">${a.name}</span> <span class="muted">(${formatBytes(a.size)})</span>
              ${canRemove(a)
                ? html`<button type="button" class="btn btn-small btn-danger-outline" onClick=${() => remove(a)} data-testid="remove-attachment">
                    ${t("upload.remove")}<span class="visually-hidden"> ${a.name}</span>
                  </button>`
                : null}
            </li>`,
          )}
        </ul>`
      : html`<p class="muted small" data-testid="no-file">${t("upload.none")}</p>`}
    ${uploads.map(
      (u) => html`<div class="progress-row" data-testid="upload-progress">
        <label for=${`prog-${u.key}`} class="small">${t("upload.uploading", { name: u.name })}</label>
        <progress id=${`prog-${u.key}`} max="100" value=${Math.round(u.progress * 100)}>${Math.round(u.progress * 100)}%</progress>
        <span class="small" aria-hidden="true">${Math.round(u.progress * 100)}%</span>
        ${u.pause && !u.paused
          ? html`<button type="button" class="btn btn-small btn-secondary" onClick=${u.pause} data-testid="upload-pause">${t("upload.pause")}<span class="visually-hidden"> ${u.name}</span></button>`
          : null}
        ${u.resume && u.paused
          ? html`<button type="button" class="btn btn-small btn-secondary" onClick=${u.resume} data-testid="upload-resume">${t("upload.resume")}<span class="visually-hidden"> ${u.name}</span></button>`
          : null}
        <button type="button" class="btn btn-small btn-secondary" onClick=${u.abort}>${t("upload.cancel")}<span class="visually-hidden"> ${u.name}</span></button>
        ${u.paused ? html`<span class="small muted" data-testid="upload-paused">${t(u.offline ? "upload.offline" : "upload.paused")}</span>` : null}
      </div>`,
    )}
    ${errors.length
      ? html`<div class="error-msg" role="alert" id=${`${pickId}-refused`} data-testid="upload-error">${errors.map((m) => html`<p>${m}</p>`)}</div>`
      : null}
    ${missing && !mine.length ? html`<p class="error-msg" id=${`${pickId}-missing`} data-testid="component-missing">${t("upload.missingOne")}</p>` : null}
    <div class="file-pick">
      <${FilePicker}
        id=${pickId}
        inputRef=${input}
        label=${t("upload.choose")}
        extraLabel=${c.name}
        hint=${t("upload.hint", { types, max: formatBytes(c.max_bytes || 10485760) })}
        errorIds=${[errors.length ? `${pickId}-refused` : null, missing && !mine.length ? `${pickId}-missing` : null].filter(Boolean)}
        accept=${accept}
        multiple
        onChange=${pick}
        invalid=${missing || errors.length > 0}
        testid="file-input"
      />
    </div>
    <p class="visually-hidden" role="status" aria-live="polite">${said}</p>
  </section>`;
}

function FilesStep({ d, reload, go }) {
  // Presses of "Tiếp tục" that found files missing; 0 while no error is shown. Each press shows the
  // summary anew (a new key: it takes the focus and is read out again); once every file is there the
  // summary goes, and is said to have gone, and a file removed afterwards does not bring it back (nor
  // does it take the focus from the file input, where removing leaves it).
  const [tries, setTries] = useState(0);
  const [said, setSaid] = useState("");
  const comps = componentsFor(d);
  const stillMissing = missingComponents(d);
  const missingIds = new Set(stillMissing.map((m) => m.item.slice("component:".length)));
  useEffect(() => {
    if (tries && !stillMissing.length) {
      setTries(0);
      setSaid(t("wizard.filesComplete"));
    }
  }, [tries, stillMissing.length]);
  const next = async () => {
    setSaid("");
    const fresh = await reload();
    if (missingComponents(fresh || d).length) return setTries((n) => n + 1);
    go(3);
  };
  return html`<div data-testid="step2">
    <p>${t("wizard.filesLead")}</p>
    ${tries && stillMissing.length
      ? html`<${Alert} key=${tries} kind="error" title=${t("wizard.filesMissing")} testid="files-missing" focus>
          <ul class="error-list">
            ${stillMissing.map((m) => {
              const id = m.item.slice("component:".length);
              return html`<li><a href=${`#file-${id}`} onClick=${focusField}><${ViRuns} text=${pick(m)} /></a></li>`;
            })}
          </ul>
        <//>`
      : null}
    ${comps.map(
      (c, i) => html`<${ComponentUpload}
        dossierId=${d.id}
        component=${c}
        index=${i + 1}
        attachments=${d.attachments || []}
        onChanged=${reload}
        missing=${tries > 0 && missingIds.has(c.id)}
      />`,
    )}
    <p class="visually-hidden" role="status" data-testid="files-said">${said}</p>
    <div class="actions">
      <a class="btn btn-secondary" href=${`/ho-so/${d.id}?buoc=1`}>${t("wizard.back")}</a>
      <button type="button" class="btn btn-primary" onClick=${next} data-testid="step2-next">${t("wizard.next")}</button>
    </div>
  </div>`;
}

// -- step 3 -------------------------------------------------------------------------------------------

function FeesStep({ d, go, onSubmitted }) {
  const lang = useLang();
  const fees = useAsync(() => get(`/submissions/dossiers/${d.id}/fees`), [d.id, lang]);
  const [pass, setPass] = useState(null); // what the captcha gives: its id and answer or proof
  const [nonce, setNonce] = useState(0);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [method, setMethod] = useState("online");
  const fe = error && error.fieldErrors ? error.fieldErrors() : {};
  // A fee due on filing (the dossier says so, or its fee table): paid online after submitting (the
  // payment order is made for a filed dossier), or at the counter where the procedure allows it.
  const dueAtFiling =
    !!fees.data &&
    !fees.data.free &&
    Number(fees.data.total) > 0 &&
    d.fee_due_at_filing !== false;
  const counter = counterAllowed(d);

  const submit = async (e) => {
    e.preventDefault();
    if (!pass || pass.pending) return setError(localProblem({ captcha_answer: t(pass ? "captcha.wait" : "captcha.required") }));
    setError(null);
    setBusy(true);
    try {
      const filed = await post(`/submissions/dossiers/${d.id}/submit`, pass);
      if (dueAtFiling) handOver(`pay:${d.id}`, counter ? method : "online");
      onSubmitted(filed);
    } catch (err) {
      setBusy(false);
      if (err.code === "captcha-invalid" || (err.code === "validation-error" && err.errors.some((x) => String(x.field).includes("captcha")))) {
        // Said in the error summary, which takes the focus (the refused answer and its image are gone).
        setError(localProblem({ captcha_answer: err.code === "captcha-invalid" ? err.detail || err.title : t("captcha.required") }));
        setNonce((n) => n + 1);
      } else setError(err);
    }
  };
  const s = d.applicant && d.applicant.submitter;
  return html`<form onSubmit=${submit} novalidate data-testid="step3-form">
    <${ProblemAlert} error=${error} prefix="s3-" />
    ${error && error.code === "dossier-incomplete" ? html`<p><a href=${`/ho-so/${d.id}?buoc=2`}>${t("wizard.toFiles")}</a></p>` : null}
    <h3>${t("wizard.summary")}</h3>
    <${Facts}
      items=${[
        [t("proc.name"), d.procedure.name],
        [t("wizard.agency"), d.agency.name],
        d.cases && d.cases.length > 1 ? [t("wizard.case"), d.case] : [null, null],
        [t("wizard.submitterName"), s ? s.full_name : ""],
        [t("wizard.fileCount"), String((d.attachments || []).length)],
      ].filter(([k]) => k)}
    />
    <h3>${t("fee.title")}</h3>
    ${fees.loading
      ? html`<${Loading} />`
      : fees.error
        ? html`<${ProblemAlert} error=${fees.error} focus=${false} />`
        : html`<${FeeTable} fees=${fees.data.items} testid="fee-table" />
            <p class="fee-total" data-testid="fee-total">
              <strong>${t("fee.total")}:</strong> ${fees.data.free ? t("fee.free") : formatMoney(fees.data.total, fees.data.currency)}
            </p>
            ${dueAtFiling
              ? html`<fieldset class="fieldset radios pay-method" data-testid="pay-method">
                  <legend>${t("wizard.payHow")}</legend>
                  <div class="radio">
                    <input type="radio" id="s3-pay-online" name="pay-method" value="online" checked=${method === "online" || !counter} onChange=${() => setMethod("online")} aria-describedby="s3-pay-online-hint" data-testid="pay-method-online" />
                    <div>
                      <label for="s3-pay-online">${t("wizard.payOnline")}</label>
                      <p class="hint" id="s3-pay-online-hint">${t("wizard.payOnlineHint")}</p>
                    </div>
                  </div>
                  ${counter
                    ? html`<div class="radio">
                        <input type="radio" id="s3-pay-counter" name="pay-method" value="counter" checked=${method === "counter"} onChange=${() => setMethod("counter")} aria-describedby="s3-pay-counter-hint" data-testid="pay-method-counter" />
                        <div>
                          <label for="s3-pay-counter">${t("wizard.payCounter")}</label>
                          <p class="hint" id="s3-pay-counter-hint">${t("wizard.payCounterHint")}</p>
                        </div>
                      </div>`
                    : null}
                  <p class="muted small">${t("wizard.payAfter")}</p>
                </fieldset>`
              : null}`}
    <${Captcha} setPass=${setPass} nonce=${nonce} error=${fe.captcha_answer} />
    <div class="actions">
      <a class="btn btn-secondary" href=${`/ho-so/${d.id}?buoc=2`}>${t("wizard.back")}</a>
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="submit-dossier">${busy ? t("common.wait") : t("wizard.submit")}</button>
    </div>
  </form>`;
}

// -- the draft's wizard and step 4 ------------------------------------------------------------------------

/** /ho-so/:id while the dossier is a draft. */
export function DraftWizard({ d, query, reload, setDossier }) {
  const reach = resumeStep(d);
  const asked = parseInt(query.get("buoc") || "", 10);
  const step = asked >= 1 && asked <= 3 ? Math.min(asked, reach) : reach;
  // Each step its own title, so a tab, the history and a screen reader tell the steps apart.
  useTitle(`${t(STEP_KEYS[step - 1])} — ${t("wizard.title")}`);
  const go = (n) => navigate(`/ho-so/${d.id}?buoc=${n}`);
  const handed = useRef(receive(`applicant:${d.id}`));
  useEffect(() => {
    if (String(step) !== query.get("buoc")) navigate(`/ho-so/${d.id}?buoc=${step}`, { replace: true });
  }, [step]);
  // A new step: its heading takes the focus (the page's own heading did on arrival).
  const shown = useRef(step);
  useEffect(() => {
    if (shown.current === step) return;
    shown.current = step;
    const h = document.getElementById("step-title");
    if (h) h.focus();
  }, [step]);

  return html`<${PageHeading} sub=${html`<${Vi}>${d.procedure.name}<//>`}>${t("wizard.title")}<//>
    <${Stepper} current=${step} reachable=${reach} hrefFor=${(n) => `/ho-so/${d.id}?buoc=${n}`} />
    <section aria-labelledby="step-title" class="card step-card" key=${step}>
      <h2 id="step-title" tabindex="-1">${t(STEP_KEYS[step - 1])}</h2>
      ${step === 1
        ? html`<${ApplicantStep}
            procedure=${d.procedure}
            dossier=${d}
            prefill=${d.prefill}
            handed=${handed.current}
            onDone=${async () => {
              await reload();
              go(2);
            }}
          />`
        : step === 2
          ? html`<${FilesStep} d=${d} reload=${reload} go=${go} />`
          : html`<${FeesStep}
              d=${d}
              go=${go}
              onSubmitted=${async (r) => {
                handOver(`receipt:${d.id}`, r);
                navigate(`/ho-so/${d.id}?buoc=4`, { replace: true });
                await reload();
              }}
            />`}
    </section>`;
}

/** Step 4: filed — the dossier code and what happens next. */
export function SuccessStep({ d }) {
  useTitle(t("wizard.successTitle"));
  const receipt = useRef(receive(`receipt:${d.id}`));
  const r = receipt.current;
  const method = useRef(receive(`pay:${d.id}`));
  const heading = useRef(null);
  // Filed: the button pressed is gone, so the step's heading takes the focus, and the outcome and the
  // code are said (the success box appears with its text, which is often not read out by itself).
  useEffect(() => {
    if (heading.current) heading.current.focus();
    announce(`${t("wizard.successTitle")}. ${t("wizard.codeIs")} ${d.code}.`);
  }, []);
  return html`<${PageHeading} sub=${html`<${Vi}>${d.procedure.name}<//>`}>${t("wizard.title")}<//>
    <${Stepper} current=${4} />
    <section class="card step-card" aria-labelledby="step-title" data-testid="step4">
      <h2 id="step-title" tabindex="-1" ref=${heading}>${t("wizard.step4")}</h2>
      <div class="alert alert-success success-box" data-testid="submit-success">
        <p class="alert-title">${t("wizard.successTitle")}</p>
        <p>${t("wizard.codeIs")}</p>
        <p class="dossier-code" data-testid="dossier-code">${d.code}</p>
      </div>
      <${Facts}
        items=${[
          [t("proc.name"), d.procedure.name],
          [t("wizard.agency"), d.agency.name],
          [t("dossier.submittedAt"), formatDateTime(d.submitted_at)],
          [t("dossier.status"), pick(d.status_text)],
          [t("fee.total"), r ? formatMoney(r.fee_total) : formatMoney(d.fees ? d.fees.total : 0)],
          [t("wizard.fileCount"), String(r ? r.attachments : (d.attachments || []).length)],
        ]}
      />
      ${method.current === "counter" ? html`<p data-testid="pay-counter-chosen">${t("wizard.payCounterChosen")}</p>` : null}
      <${PaymentCard} d=${d} counter=${method.current !== "online"} headingLevel=${3} />
      <h3>${t("wizard.nextTitle")}</h3>
      <p data-testid="next-steps">${r && r.next ? html`<${ViRuns} text=${pick(r.next)} />` : t("wizard.nextDefault")}</p>
      <ul class="next-list">
        <li>${t("wizard.nextNotify")}</li>
        <li>${t("wizard.nextTrack")}</li>
      </ul>
      <div class="actions">
        <a class="btn btn-primary" href=${`/ho-so/${d.id}`} data-testid="view-dossier">${t("wizard.viewDossier")}</a>
        <a class="btn btn-secondary" href="/ho-so">${t("nav.myDossiers")}</a>
        <a href="/">${t("nav.home")}</a>
      </div>
    </section>`;
}
