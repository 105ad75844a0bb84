// Xác thực văn bản: anyone checks a signed result, by the code of its stamp's QR (/xac-thuc?ma=…) or by
// uploading the PDF. The answer says plainly: authentic and unchanged, changed since it was signed, or
// not signed by an agency of this system.
import { html, useState, useEffect, useRef } from "../lib.js";
import { get, request } from "../api.js";
import { t, formatDateTime, formatBytes } from "../i18n.js";
import { PageHeading, ProblemAlert, Alert, Field, Facts, FilePicker, useForm, useTitle, announce } from "../components.js";
import { localProblem } from "./auth.js";

const MAX_BYTES = 20 * 1024 * 1024; // the service's own limit (SUBMISSION_VERIFY_MAX_BYTES)

function RecordFacts({ record }) {
  return html`<${Facts}
    testid="verify-record"
    items=${[
      [t("verify.code"), record.code],
      [t("verify.agency"), record.agency && record.agency.name],
      [t("dossier.code"), record.dossier_code],
      [t("verify.signedAt"), formatDateTime(record.signed_at)],
      [t("verify.fileName"), record.file_name],
      [t("verify.size"), record.size ? formatBytes(record.size) : ""],
      [t("verify.sha256"), html`<code class="digest">${record.sha256}</code>`],
    ]}
  />`;
}

// The verdict of an uploaded document, as one clear alert and the facts behind it.
function Verdict({ v }) {
  const kinds = { authentic: "success", changed: "error", unknown: "error", unsigned: "warning", unreadable: "warning" };
  const sig = v.signature;
  return html`<section class="card" aria-labelledby="verify-result" data-testid="verify-result" data-verdict=${v.verdict}>
    <h2 id="verify-result" tabindex="-1">${t("verify.result")}</h2>
    <${Alert} kind=${kinds[v.verdict] || "warning"} title=${t(`verify.v.${v.verdict}`)} testid="verify-verdict" live=${false}>
      <p>${t(`verify.v.${v.verdict}.text`)}</p>
    <//>
    ${sig
      ? html`<${Facts}
          testid="verify-signature"
          items=${[
            [t("verify.agency"), sig.agency ? `${sig.agency.name} (${sig.agency.code})` : t("verify.unknownSigner")],
            [t("verify.signedAt"), sig.signed_at ? formatDateTime(sig.signed_at) : ""],
            [t("verify.authentic"), v.authentic ? t("common.yes") : t("common.no")],
            [t("verify.unchanged"), v.unchanged ? t("common.yes") : t("common.no")],
            [t("verify.code"), v.code || ""],
          ]}
        />`
      : null}
    ${v.record ? html`<h3>${t("verify.recordTitle")}</h3><${RecordFacts} record=${v.record} />` : null}
  </section>`;
}

export function VerifyPage({ query }) {
  useTitle(t("verify.title"));
  const [code, setCode] = useState(query.get("ma") || "");
  const [file, setFile] = useState(null);
  const [found, setFound] = useState(null); // a code's record
  const [verdict, setVerdict] = useState(null); // an upload's verdict
  const byCode = useForm();
  const byFile = useForm();
  const heading = useRef(null);

  const lookup = (value) => {
    const c = (value || "").trim();
    setFound(null);
    byCode.send(localProblem({ code: c ? "" : t("verify.codeRequired") }), async () => {
      setFound(await get("/submissions/verify", { query: { code: c }, auth: false }));
    });
  };
  // Opened from the QR code: look the code up at once.
  useEffect(() => {
    if (query.get("ma")) lookup(query.get("ma"));
  }, []);
  useEffect(() => {
    if (found) announce(t("verify.foundSay", { agency: found.agency.name }));
    if (verdict) {
      const h = document.getElementById("verify-result");
      if (h) h.focus();
      announce(t(`verify.v.${verdict.verdict}`));
    }
  }, [found, verdict]);

  const check = (e) => {
    e.preventDefault();
    setVerdict(null);
    const problem = localProblem({
      file: !file ? t("verify.fileRequired") : file.size > MAX_BYTES ? t("verify.tooLarge") : "",
    });
    byFile.send(problem, async () => {
      const form = new FormData();
      form.append("file", file, file.name);
      setVerdict(await request("POST", "/submissions/verify", { form, auth: false }));
    });
  };

  return html`<div class="narrow">
    <${PageHeading} sub=${t("verify.lead")}>${t("verify.title")}<//>

    <form class="card form" onSubmit=${(e) => { e.preventDefault(); lookup(code); }} novalidate data-testid="verify-code-form">
      <h2>${t("verify.byCode")}</h2>
      <${ProblemAlert} error=${byCode.error} prefix="verify-" />
      <${Field} id="verify-code" label=${t("verify.code")} hint=${t("verify.codeHint")} value=${code} onInput=${(e) => setCode(e.target.value)} error=${byCode.fe.code} autocomplete="off" required data-testid="verify-code" />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${byCode.busy} data-testid="verify-code-submit">${t("verify.lookUp")}</button></div>
    </form>
    ${found
      ? html`<section class="card" aria-labelledby="verify-found" data-testid="verify-found">
          <h2 id="verify-found" tabindex="-1" ref=${heading}>${t("verify.foundTitle")}</h2>
          <${Alert} kind="info" live=${false}><p>${t("verify.foundText")}</p><//>
          <${RecordFacts} record=${found} />
        </section>`
      : null}

    <form class="card form" onSubmit=${check} novalidate data-testid="verify-file-form">
      <h2>${t("verify.byFile")}</h2>
      <${ProblemAlert} error=${byFile.error} prefix="verify-" />
      <${FilePicker}
        id="verify-file"
        label=${t("verify.choose")}
        hint=${t("verify.fileHint")}
        accept="application/pdf,.pdf"
        error=${byFile.fe.file}
        chosen=${file ? `${file.name} (${formatBytes(file.size)})` : ""}
        onChange=${(e) => setFile(e.target.files[0] || null)}
        testid="verify-file"
      />
      <div class="actions"><button type="submit" class="btn btn-primary" disabled=${byFile.busy} data-testid="verify-file-submit">${t("verify.check")}</button></div>
    </form>
    ${verdict ? html`<${Verdict} v=${verdict} />` : null}
  </div>`;
}
