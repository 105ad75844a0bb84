// A procedure's page: what to prepare, time, fees, legal basis, and "NỘP TRỰC TUYẾN" when it can be
// filed online.
import { html } from "../lib.js";
import { get } from "../api.js";
import { t, pick, useLang, formatMoney, formatBytes } from "../i18n.js";
import { PageHeading, Breadcrumb, Loading, ProblemAlert, Facts, DataTable, useAsync, useTitle, Vi, viLang } from "../components.js";
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
      ${g.name ? html`<h3 class="h4" lang=${viLang()}>${g.name}</h3>` : null}
      <${DataTable}
        testid="components"
        rows=${g.items}
        columns=${[
          {
            label: t("comp.name"),
            cell: (c) => html`<${Vi}>${c.name}<//>
              ${c.forms && c.forms.length ? html`<p class="muted small">${t("comp.forms")}: <${Vi}>${c.forms.join(", ")}<//></p>` : null}`,
          },
          { label: t("comp.originals"), cell: (c) => c.originals ?? 0 },
          { label: t("comp.copies"), cell: (c) => c.copies ?? 0 },
          {
            label: t("comp.required"),
            // Looked up by the office in a national database: shown so, never asked of the citizen.
            cell: (c) => (c.lookup ? html`<span data-testid="component-lookup">${t("comp.lookup")}</span>` : c.required === false ? t("common.no") : t("common.yes")),
          },
          {
            label: t("comp.files"),
            cell: (c) => html`${fileTypes(c)}${c.max_bytes ? html`<br /><span class="muted small">${t("comp.max", { size: formatBytes(c.max_bytes) })}</span>` : null}`,
          },
        ]}
      />
    </div>`,
  );
}

export function FeeTable({ fees, testid = "fees" }) {
  if (!fees || !fees.length) return html`<p data-testid=${testid}>${t("fee.none")}</p>`;
  return html`<${DataTable}
    testid=${testid}
    rows=${fees}
    columns=${[
      { label: t("fee.name"), cell: (f) => f.name, vi: true },
      { label: t("fee.amount"), cell: (f) => formatMoney(f.amount, f.currency), props: () => ({ class: "num" }) },
      { label: t("fee.when"), cell: (f) => feeWhen(f.when) },
      { label: t("fee.note"), cell: (f) => f.note || "", props: (f) => ({ class: "pre-line", lang: f.note ? viLang() : undefined }) },
    ]}
  />`;
}

export function ProcedurePage({ code }) {
  const lang = useLang();
  const p = useAsync(() => get(`/catalog/procedures/${encodeURIComponent(code)}`, { auth: false }), [code, lang]);
  useTitle(p.data ? p.data.name : t("proc.title"));
  if (p.loading) return html`<${PageHeading}>${t("proc.title")}<//><${Loading} />`;
  if (p.error) return html`<${PageHeading}>${t("proc.title")}<//><${ProblemAlert} error=${p.error} />`;
  const d = p.data;
  const channelName = (k) => t(`channel.${k}`);
  return html`<${Breadcrumb}
      trail=${[
        ["/", t("nav.home")],
        ["/tim-kiem", t("nav.procedures")],
      ]}
      here=${d.code}
    />
    <${PageHeading}><${Vi}>${d.name}<//><//>
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
          [t("proc.fees"), d.fee_summary ? html`<${Vi}>${d.fee_summary}<//>` : t("fee.free")],
        ]}
      />
      <div class="file-online">
        ${d.fileable
          ? html`<a class="btn btn-primary btn-big" href=${`/nop-truc-tuyen/${encodeURIComponent(d.code)}`} data-testid="file-online">${t("proc.fileOnline")}</a>
              <p class="muted small">${t("proc.fileOnlineHint")}</p>`
          : d.routing && d.routing.fileable_here === false
            ? html`<div class="alert alert-info" data-testid="not-here">
                <p>${t("proc.notHere")}</p>
                ${d.routing.file_at ? html`<p>${t("proc.fileAt")}: <strong data-testid="file-at">${pick(d.routing.file_at)}</strong></p>` : null}
              </div>`
            : html`<p class="alert alert-info" data-testid="not-online">${t("proc.notOnline")}</p>`}
      </div>
    </div>

    ${d.steps && d.steps.length
      ? html`<section aria-labelledby="s-steps"><h2 id="s-steps">${t("proc.steps")}</h2>
          <ol class="steps-list" lang=${viLang()}>${d.steps.map((s) => html`<li class="pre-line">${s}</li>`)}</ol></section>`
      : null}
    ${d.channels && d.channels.length
      ? html`<section aria-labelledby="s-channels"><h2 id="s-channels">${t("proc.channels")}</h2>
          <${DataTable}
            rows=${d.channels}
            columns=${[
              { label: t("proc.channel"), cell: (c) => channelName(c.kind) },
              { label: t("proc.time"), cell: (c) => (c.time ? html`<${Vi}>${c.time.text}<//>` : "") },
              { label: t("proc.fees"), cell: (c) => (c.fees || []).map((f) => html`<div><${Vi}>${f.name}<//>: ${formatMoney(f.amount, f.currency)}</div>`) },
              { label: t("proc.description"), cell: (c) => c.description || "", props: (c) => ({ class: "pre-line", lang: c.description ? viLang() : undefined }) },
            ]}
          /></section>`
      : null}
    <section aria-labelledby="s-components"><h2 id="s-components">${t("proc.components")}</h2>
      <${ComponentsTable} components=${d.components} /></section>
    <section aria-labelledby="s-time"><h2 id="s-time">${t("proc.time")}</h2>
      <p lang=${d.processing_time ? viLang() : undefined}>${d.processing_time ? d.processing_time.text : t("proc.unknown")}</p></section>
    <section aria-labelledby="s-fees"><h2 id="s-fees">${t("proc.feesTitle")}</h2><${FeeTable} fees=${d.fees} /></section>
    ${d.conditions
      ? html`<section aria-labelledby="s-cond"><h2 id="s-cond">${t("proc.conditions")}</h2><p class="pre-line" lang=${viLang()}>${d.conditions}</p></section>`
      : null}
    ${d.results && d.results.length
      ? html`<section aria-labelledby="s-results"><h2 id="s-results">${t("proc.results")}</h2>
          <ul lang=${viLang()}>${d.results.map((r) => html`<li>${r.name}</li>`)}</ul></section>`
      : null}
    <section aria-labelledby="s-legal"><h2 id="s-legal">${t("proc.legal")}</h2>
      ${d.legal_basis && d.legal_basis.length
        ? html`<ul class="legal" data-testid="legal-basis" lang=${viLang()}>${d.legal_basis.map((l) => html`<li>${l.number ? html`<strong>${l.number}</strong>: ` : null}${l.title}</li>`)}</ul>`
        : html`<p class="muted">${t("proc.unknown")}</p>`}
    </section>
    ${d.audience ? html`<section aria-labelledby="s-aud"><h2 id="s-aud">${t("proc.audience")}</h2><p lang=${viLang()}>${d.audience}</p></section>` : null}
    ${d.fileable
      ? html`<p class="file-online-bottom"><a class="btn btn-primary btn-big" href=${`/nop-truc-tuyen/${encodeURIComponent(d.code)}`}>${t("proc.fileOnline")}</a></p>`
      : null}`;
}
