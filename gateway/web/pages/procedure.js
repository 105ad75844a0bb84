// A procedure's page: what to prepare, time, fees, legal basis, and "NỘP TRỰC TUYẾN" when it can be
// filed online.
import { html } from "../lib.js";
import { get } from "../api.js";
import { t, useLang, formatMoney, formatBytes } from "../i18n.js";
import { PageHeading, Loading, ProblemAlert, Facts, useAsync, useTitle } from "../components.js";
import { levelName, OnlineBadge } from "./home.js";

export const feeWhen = (w) => t(`fee.when.${w || "unspecified"}`);
export const fileTypes = (c) => (c.file_types || []).map((x) => x.toUpperCase()).join(", ");

/** Components grouped by case (trường hợp), in order. */
export function groupComponents(components) {
  const groups = [];
  for (const c of components || []) {
    const name = c.group || "";
    let g = groups.find((x) => x.name === name);
    if (!g) groups.push((g = { name, items: [] }));
    g.items.push(c);
  }
  return groups;
}

function ComponentsTable({ components }) {
  const groups = groupComponents(components);
  if (!groups.length) return html`<p class="muted">${t("proc.noComponents")}</p>`;
  return groups.map(
    (g) => html`<div class="comp-group">
      ${g.name ? html`<h3 class="h4">${g.name}</h3>` : null}
      <table class="table table-stack" data-testid="components">
        <thead>
          <tr>
            <th scope="col">${t("comp.name")}</th>
            <th scope="col">${t("comp.originals")}</th>
            <th scope="col">${t("comp.copies")}</th>
            <th scope="col">${t("comp.required")}</th>
            <th scope="col">${t("comp.files")}</th>
          </tr>
        </thead>
        <tbody>
          ${g.items.map(
            (c) => html`<tr>
              <td data-label=${t("comp.name")}>
                ${c.name}
                ${c.forms && c.forms.length ? html`<p class="muted small">${t("comp.forms")}: ${c.forms.join(", ")}</p>` : null}
              </td>
              <td data-label=${t("comp.originals")}>${c.originals ?? 0}</td>
              <td data-label=${t("comp.copies")}>${c.copies ?? 0}</td>
              <td data-label=${t("comp.required")}>${c.required === false ? t("common.no") : t("common.yes")}</td>
              <td data-label=${t("comp.files")}>${fileTypes(c)}${c.max_bytes ? html`<br /><span class="muted small">${t("comp.max", { size: formatBytes(c.max_bytes) })}</span>` : null}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`,
  );
}

export function FeeTable({ fees, testid = "fees" }) {
  if (!fees || !fees.length) return html`<p data-testid=${testid}>${t("fee.none")}</p>`;
  return html`<table class="table table-stack" data-testid=${testid}>
    <thead>
      <tr>
        <th scope="col">${t("fee.name")}</th>
        <th scope="col">${t("fee.amount")}</th>
        <th scope="col">${t("fee.when")}</th>
        <th scope="col">${t("fee.note")}</th>
      </tr>
    </thead>
    <tbody>
      ${fees.map(
        (f) => html`<tr>
          <td data-label=${t("fee.name")}>${f.name}</td>
          <td data-label=${t("fee.amount")} class="num">${formatMoney(f.amount, f.currency)}</td>
          <td data-label=${t("fee.when")}>${feeWhen(f.when)}</td>
          <td data-label=${t("fee.note")} class="pre-line">${f.note || ""}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

export function ProcedurePage({ code }) {
  const lang = useLang();
  const p = useAsync(() => get(`/catalog/procedures/${encodeURIComponent(code)}`, { auth: false }), [code, lang]);
  useTitle(p.data ? p.data.name : t("proc.title"));
  if (p.loading) return html`<${PageHeading}>${t("proc.title")}<//><${Loading} />`;
  if (p.error) return html`<${PageHeading}>${t("proc.title")}<//><${ProblemAlert} error=${p.error} />`;
  const d = p.data;
  const channelName = (k) => t(`channel.${k}`);
  return html`<nav class="breadcrumb" aria-label=${t("nav.breadcrumb")}>
      <ol>
        <li><a href="/">${t("nav.home")}</a></li>
        <li><a href="/tim-kiem">${t("nav.procedures")}</a></li>
        <li aria-current="page">${d.code}</li>
      </ol>
    </nav>
    <${PageHeading}>${d.name}<//>
    ${d.status === "withdrawn" ? html`<p class="alert alert-warning" role="status">${t("proc.withdrawn")}</p>` : null}
    <div class="proc-head">
      <${Facts}
        testid="procedure-facts"
        items=${[
          [t("proc.code"), d.code],
          [t("proc.field"), d.field],
          [t("proc.agency"), (d.agencies || []).join("; ")],
          [t("proc.level"), (d.levels || []).map(levelName).join(", ")],
          [t("proc.online"), html`<${OnlineBadge} level=${d.online_level} />`],
          [t("proc.time"), d.processing_time ? d.processing_time.text : ""],
          [t("proc.fees"), d.fee_summary || t("fee.free")],
        ]}
      />
      <div class="file-online">
        ${d.fileable
          ? html`<a class="btn btn-primary btn-big" href=${`/nop-truc-tuyen/${encodeURIComponent(d.code)}`} data-testid="file-online">${t("proc.fileOnline")}</a>
              <p class="muted small">${t("proc.fileOnlineHint")}</p>`
          : html`<p class="alert alert-info" data-testid="not-online">${t("proc.notOnline")}</p>`}
      </div>
    </div>

    ${d.steps && d.steps.length
      ? html`<section aria-labelledby="s-steps"><h2 id="s-steps">${t("proc.steps")}</h2>
          <ol class="steps-list">${d.steps.map((s) => html`<li class="pre-line">${s}</li>`)}</ol></section>`
      : null}
    ${d.channels && d.channels.length
      ? html`<section aria-labelledby="s-channels"><h2 id="s-channels">${t("proc.channels")}</h2>
          <table class="table table-stack">
            <thead><tr><th scope="col">${t("proc.channel")}</th><th scope="col">${t("proc.time")}</th><th scope="col">${t("proc.fees")}</th><th scope="col">${t("proc.description")}</th></tr></thead>
            <tbody>
              ${d.channels.map(
                (c) => html`<tr>
                  <td data-label=${t("proc.channel")}>${channelName(c.kind)}</td>
                  <td data-label=${t("proc.time")}>${c.time ? c.time.text : ""}</td>
                  <td data-label=${t("proc.fees")}>${(c.fees || []).map((f) => html`<div>${f.name}: ${formatMoney(f.amount, f.currency)}</div>`)}</td>
                  <td data-label=${t("proc.description")} class="pre-line">${c.description || ""}</td>
                </tr>`,
              )}
            </tbody>
          </table></section>`
      : null}
    <section aria-labelledby="s-components"><h2 id="s-components">${t("proc.components")}</h2>
      <${ComponentsTable} components=${d.components} /></section>
    <section aria-labelledby="s-time"><h2 id="s-time">${t("proc.time")}</h2>
      <p>${d.processing_time ? d.processing_time.text : t("proc.unknown")}</p></section>
    <section aria-labelledby="s-fees"><h2 id="s-fees">${t("proc.feesTitle")}</h2><${FeeTable} fees=${d.fees} /></section>
    ${d.conditions
      ? html`<section aria-labelledby="s-cond"><h2 id="s-cond">${t("proc.conditions")}</h2><p class="pre-line">${d.conditions}</p></section>`
      : null}
    ${d.results && d.results.length
      ? html`<section aria-labelledby="s-results"><h2 id="s-results">${t("proc.results")}</h2>
          <ul>${d.results.map((r) => html`<li>${r.name}</li>`)}</ul></section>`
      : null}
    <section aria-labelledby="s-legal"><h2 id="s-legal">${t("proc.legal")}</h2>
      ${d.legal_basis && d.legal_basis.length
        ? html`<ul class="legal" data-testid="legal-basis">${d.legal_basis.map((l) => html`<li>${l.number ? html`<strong>${l.number}</strong>: ` : null}${l.title}</li>`)}</ul>`
        : html`<p class="muted">${t("proc.unknown")}</p>`}
    </section>
    ${d.audience ? html`<section aria-labelledby="s-aud"><h2 id="s-aud">${t("proc.audience")}</h2><p>${d.audience}</p></section>` : null}
    ${d.fileable
      ? html`<p class="file-online-bottom"><a class="btn btn-primary btn-big" href=${`/nop-truc-tuyen/${encodeURIComponent(d.code)}`}>${t("proc.fileOnline")}</a></p>`
      : null}`;
}
