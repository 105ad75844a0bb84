// Báo cáo, chỉ số (/bao-cao, leaders and administrators) and Chỉ số phục vụ (/chi-so, everyone): the
// service-quality indexes of Decision 766/QĐ-TTg from the reporting service (issue 21). Numbers first,
// each count a link to the dossiers behind it; charts (charts.js: uPlot, with a table each) for the
// months; the ranking of agencies or communes; the overdue dossiers and who holds each; XLSX and CSV.
import { html, useState, useEffect, useRef, useStore } from "../lib.js";
import { get, downloadFile } from "../api.js";
import { t, pick, useLang, formatDateTime, formatNumber, formatPercent, formatMonth, formatDay, todayLocal } from "../i18n.js";
import { setQuery, pageOf, navigate } from "../router.js";
import { session, hasRole } from "../session.js";
import { PageHeading, Loading, ProblemAlert, Field, SelectField, Pager, DataTable, StatusBadge, useAsync, useTitle, announce, viLang, Vi, ViRuns, statusName, useOnChange } from "../components.js";
import { LineChart } from "../charts.js";

/** The six indexes of Decision 766, in the order the decision lists them, and their maximum points. */
export const INDEXES = [
  ["publicity", 18],
  ["progress", 20],
  ["online", 12],
  ["payment", 10],
  ["satisfaction", 18],
  ["digitisation", 22],
];
const MAX = Object.fromEntries(INDEXES);

// The counts of GET /indexes, as the report lists them; each opens its dossiers (GET /dossiers?metric=).
const COUNT_KEYS = [
  "received",
  "received_online",
  "received_counter",
  "finished",
  "finished_on_time",
  "finished_late",
  "open_within",
  "open_overdue",
  "supplement_requested",
  "refused",
  "withdrawn",
  "stopped",
  "fee_dossiers",
  "paid_online",
  "digitised",
  "digital_results",
  "ratings",
  "satisfied",
];
// Components counted over procedures, not dossiers: nothing to drill into.
const PROCEDURE_METRICS = new Set(["procedures_public", "online_procedures"]);
const CRITERIA = ["overall", "reception", "guidance", "time", "result"];
const DRILL_SIZE = 20;
const RANK_FIRST = 20;

const indexName = (ix) => (ix && ix.name ? pick(ix.name) : "") || t(`index.${ix.key}`);
const metricName = (key, fallback) => {
  const said = t(`metric.${key}`);
  return said === `metric.${key}` ? (fallback ? pick(fallback) : key) : said;
};
const points = (value, max) => (value === null || value === undefined ? t("index.notMeasured") : t("index.points", { value: formatNumber(value), max }));
const pct = (value, max) => (value === null || value === undefined || !max ? null : Math.round((1000 * value) / max) / 10);

/** The first day of this month and today, in Vietnam: the report's default period. */
function defaultPeriod() {
  const today = todayLocal();
  return { from: `${today.slice(0, 8)}01`, to: today };
}

/** The address of this page with `params` (empty values dropped). */
function reportHref(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `/bao-cao${s ? `?${s}` : ""}`;
}

/** /bao-cao — the report of a unit for a period (leaders and administrators). */
export function ReportPage({ query }) {
  const lang = useLang();
  useTitle(t("report.title"));
  const units = useAsync(() => get("/reporting/units"), [lang]);
  const heading = html`<${PageHeading} sub=${html`<${ViRuns} text=${t("report.lead")} />`}>${t("report.title")}<//>`;
  if (units.loading && !units.data) return html`${heading}<${Loading} />`;
  if (!units.data) return html`${heading}<${ProblemAlert} error=${units.error} />`;
  const list = units.data.units || [];
  if (!list.length) return html`${heading}<p data-testid="report-no-units">${t("report.noUnits")}</p>`;
  const fields = (units.data.fields || []).map((f) => (typeof f === "string" ? f : f.name || f.key)).filter(Boolean);
  const period = defaultPeriod();
  const chosen = query.get("don-vi");
  const params = {
    from: query.get("tu") || period.from,
    to: query.get("den") || period.to,
    unit: list.some((u) => u.key === chosen) ? chosen : list[0].key,
    field: query.get("linh-vuc") || "",
  };
  return html`${heading}
    <${Filters} params=${params} units=${list} fields=${fields} />
    <${Report} params=${params} units=${list} metric=${query.get("xem") || ""} page=${pageOf(query)} />`;
}

/** The period, unit and field; "Xem báo cáo" puts them in the address (a report can be shared). */
function Filters({ params, units, fields }) {
  const [v, setV] = useState(params);
  const [error, setError] = useState("");
  useOnChange(JSON.stringify([params.from, params.to, params.unit, params.field]), () => setV(params));
  const set = (k) => (e) => setV({ ...v, [k]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    if (!v.from || !v.to || v.from > v.to) {
      setError(t("report.badDates"));
      requestAnimationFrame(() => document.getElementById("report-from") && document.getElementById("report-from").focus());
      return;
    }
    setError("");
    setQuery({ tu: v.from, den: v.to, "don-vi": v.unit, "linh-vuc": v.field });
  };
  return html`<form class="card report-filters" onSubmit=${submit} novalidate aria-labelledby="report-filters-title" data-testid="report-filters">
    <h2 id="report-filters-title" class="h3">${t("report.filters")}</h2>
    <div class="inline-filters">
      <${Field} id="report-from" type="date" label=${t("report.from")} value=${v.from} onInput=${set("from")} error=${error} required data-testid="report-from" />
      <${Field} id="report-to" type="date" label=${t("report.to")} value=${v.to} onInput=${set("to")} required data-testid="report-to" />
      <${SelectField}
        id="report-unit"
        label=${t("report.unit")}
        value=${v.unit}
        onChange=${set("unit")}
        options=${units.map((u) => ({ value: u.key, label: u.kind === "city" && !u.name ? t("report.unitCity") : u.name, lang: viLang() }))}
        data-testid="report-unit"
      />
      <${SelectField}
        id="report-field"
        label=${t("report.field")}
        value=${v.field}
        onChange=${set("field")}
        placeholder=${t("report.allFields")}
        options=${fields.map((f) => ({ value: f, label: f, lang: viLang() }))}
        data-testid="report-field"
      />
      <div class="actions"><button type="submit" class="btn btn-primary" data-testid="report-apply">${t("report.apply")}</button></div>
    </div>
  </form>`;
}

function Report({ params, units, metric, page }) {
  const lang = useLang();
  const { from, to, unit, field } = params;
  const indexes = useAsync(() => get("/reporting/indexes", { query: { from, to, unit, field } }), [from, to, unit, field, lang]);
  const drill = (m) => reportHref({ tu: from, den: to, "don-vi": unit, "linh-vuc": field, xem: m });
  const r = indexes.data;
  return html`
    ${indexes.loading && !r ? html`<${Loading} />` : null}
    ${!r && indexes.error ? html`<${ProblemAlert} error=${indexes.error} />` : null}
    ${r
      ? html`<${Summary} r=${r} params=${params} />
          ${metric ? html`<${DrillDown} params=${params} metric=${metric} page=${page} />` : null}
          <${IndexCards} r=${r} drill=${drill} />
          <${Counts} r=${r} drill=${drill} />`
      : null}
    <${Trend} unit=${unit} field=${field} maxOf=${r ? Object.fromEntries(r.indexes.map((ix) => [ix.key, ix.max])) : MAX} />
    <${Ranking} params=${params} units=${units} />
    <${Overdue} unit=${unit} drill=${drill} />`;
}

/** The score of the unit for the period, when the figures were last brought up to date, the downloads. */
function Summary({ r, params }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState("");
  const unitName = r.unit ? r.unit.name : "";
  const save = async (ext) => {
    setError(null);
    setBusy(ext);
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    try {
      const f = await downloadFile(`/reporting/indexes.${ext}?${q}`, `chi-so-766-${params.from}-${params.to}.${ext}`);
      announce(t("report.downloaded", { name: f.name || `chi-so-766.${ext}` }));
    } catch (err) {
      setError(err);
    }
    setBusy("");
  };
  return html`<section class="card report-summary" aria-labelledby="report-score-title" data-testid="report-summary">
    <h2 id="report-score-title">${t("report.scoreOf", { unit: "" })}<${Vi}>${unitName}<//></h2>
    <p class="muted" data-testid="report-period">
      ${t("report.period", { from: formatDay(r.from), to: formatDay(r.to) })}${r.field ? html` · ${t("report.field")}: <${Vi}>${r.field}<//>` : null}
      ${r.as_of ? html`<br />${t("report.asOf", { time: formatDateTime(r.as_of) })}` : null}
    </p>
    <p class="score-big">
      <span class="score-number" data-testid="report-score">${r.score === null || r.score === undefined ? t("index.notMeasured") : formatNumber(r.score)}</span>
      ${r.score === null || r.score === undefined ? null : html`<span class="score-max"> / ${r.max || 100}</span>`}
    </p>
    ${r.score === null || r.score === undefined ? null : html`<meter class="meter" min="0" max=${r.max || 100} value=${r.score} aria-hidden="true"></meter>`}
    <${ProblemAlert} error=${error} focus=${false} testid="download-problem" />
    <div class="actions" role="group" aria-label=${t("report.download")}>
      <button type="button" class="btn btn-secondary" disabled=${!!busy} onClick=${() => save("xlsx")} data-testid="report-xlsx">${t("report.xlsx")}</button>
      <button type="button" class="btn btn-secondary" disabled=${!!busy} onClick=${() => save("csv")} data-testid="report-csv">${t("report.csv")}</button>
    </div>
  </section>`;
}

/** Each index: its points out of its maximum, and its components' numerators and denominators. */
function IndexCards({ r, drill }) {
  return html`<section aria-labelledby="report-indexes-title" data-testid="report-indexes">
    <h2 id="report-indexes-title">${t("report.indexes")}</h2>
    <div class="index-grid">
      ${r.indexes.map((ix) => {
        const id = `ix-${ix.key}`;
        return html`<section class="card index-card" aria-labelledby=${id} data-testid="index" data-key=${ix.key}>
          <h3 id=${id}>${indexName(ix)}</h3>
          <p class="index-value" data-testid="index-value">${points(ix.value, ix.max)}</p>
          ${ix.value === null || ix.value === undefined ? null : html`<meter class="meter" min="0" max=${ix.max} value=${ix.value} aria-hidden="true"></meter>`}
          <table class="table table-compact table-stack" data-testid="components">
            <caption class="visually-hidden">${t("report.component")}: ${indexName(ix)}</caption>
            <thead>
              <tr>
                <th scope="col">${t("report.component")}</th>
                <th scope="col">${t("report.counted")}</th>
                <th scope="col">${t("report.ratio")}</th>
                <th scope="col">${t("report.value")}</th>
              </tr>
            </thead>
            <tbody>
              ${ix.components.map((c) => {
                const name = c.name ? pick(c.name) : metricName(c.key);
                const counted = c.denominator === null || c.denominator === undefined ? "—" : `${formatNumber(c.numerator, 0)} / ${formatNumber(c.denominator, 0)}`;
                return html`<tr data-testid="component" data-key=${c.key}>
                  <th scope="row" data-label=${t("report.component")}>${name}</th>
                  <td data-label=${t("report.counted")} class="num">
                    ${PROCEDURE_METRICS.has(c.key) || !c.denominator
                      ? html`<span data-testid="component-counts">${counted}</span>`
                      : html`<a href=${drill(c.key)} data-testid="component-counts">${counted}<span class="visually-hidden"> — ${name}, ${t("report.seeDossiers")}</span></a>`}
                  </td>
                  <td data-label=${t("report.ratio")} class="num">${c.ratio === null || c.ratio === undefined ? html`<span title=${t("index.notMeasuredWhy")}>—</span>` : formatPercent(c.ratio)}</td>
                  <td data-label=${t("report.value")} class="num">${c.value === null || c.value === undefined ? "—" : `${formatNumber(c.value)} / ${c.max}`}</td>
                </tr>`;
              })}
            </tbody>
          </table>
        </section>`;
      })}
    </div>
  </section>`;
}

/** The dossier counts behind the indexes; each number opens its dossiers. */
function Counts({ r, drill }) {
  const c = r.counts || {};
  const avg = c.rating_avg;
  return html`<section class="card" aria-labelledby="report-counts-title" data-testid="report-counts">
    <h2 id="report-counts-title" tabindex="-1">${t("report.counts")}</h2>
    <p class="muted">${t("report.countsLead")}</p>
    <div class="counts-grid">
      <table class="table table-compact">
        <caption class="visually-hidden">${t("report.counts")}</caption>
        <thead>
          <tr><th scope="col">${t("report.figure")}</th><th scope="col">${t("report.number")}</th></tr>
        </thead>
        <tbody>
          ${COUNT_KEYS.map(
            (k) => html`<tr>
              <th scope="row">${metricName(k)}</th>
              <td class="num">
                ${c[k]
                  ? html`<a href=${drill(k)} data-testid=${`count-${k}`} data-value=${c[k]}>${formatNumber(c[k], 0)}<span class="visually-hidden"> — ${metricName(k)}, ${t("report.seeDossiers")}</span></a>`
                  : html`<span data-testid=${`count-${k}`} data-value=${c[k] ?? 0}>${formatNumber(c[k] ?? 0, 0)}</span>`}
              </td>
            </tr>`,
          )}
          <tr>
            <th scope="row">${metricName("avg_used_days")}</th>
            <td class="num" data-testid="count-avg_used_days">${c.avg_used_days === null || c.avg_used_days === undefined ? "—" : t("report.days", { n: formatNumber(c.avg_used_days) })}</td>
          </tr>
          <tr>
            <th scope="row">${metricName("avg_legal_days")}</th>
            <td class="num" data-testid="count-avg_legal_days">${c.avg_legal_days === null || c.avg_legal_days === undefined ? "—" : t("report.days", { n: formatNumber(c.avg_legal_days) })}</td>
          </tr>
        </tbody>
      </table>
      <table class="table table-compact" data-testid="rating-averages">
        <caption class="table-caption">${t("report.ratingAvg")}</caption>
        <thead>
          <tr><th scope="col">${t("report.component")}</th><th scope="col">${t("report.value")}</th></tr>
        </thead>
        <tbody>
          ${CRITERIA.map(
            (k) => html`<tr>
              <th scope="row">${t(`rating.${k}`)}</th>
              <td class="num" data-testid=${`rating-avg-${k}`}>${avg && avg[k] !== null && avg[k] !== undefined ? formatNumber(avg[k], 2) : "—"}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

/** The dossiers behind one count (GET /dossiers?metric=), a page at a time. */
function DrillDown({ params, metric, page }) {
  const lang = useLang();
  const s = useStore(session);
  const heading = useRef(null);
  const { from, to, unit, field } = params;
  const list = useAsync(
    () => get("/reporting/dossiers", { query: { from, to, unit, field, metric, page, limit: DRILL_SIZE } }),
    [from, to, unit, field, metric, page, lang],
  );
  // The list opens where the number was chosen: its heading takes the focus (WCAG 2.4.3).
  useEffect(() => {
    if (heading.current) {
      heading.current.focus({ preventScroll: true });
      heading.current.scrollIntoView({ block: "start" });
    }
  }, [metric, page]);
  const officer = hasRole(s, "officer");
  const base = { tu: from, den: to, "don-vi": unit, "linh-vuc": field };
  const close = () => {
    navigate(reportHref(base));
    requestAnimationFrame(() => {
      const h = document.getElementById("report-counts-title");
      if (h) h.focus();
    });
  };
  const d = list.data;
  return html`<section class="card drill" aria-labelledby="drill-title" data-testid="drill" data-metric=${metric}>
    <div class="drill-head">
      <h2 id="drill-title" tabindex="-1" ref=${heading}>${t("report.drill", { what: metricName(metric) })}</h2>
      <button type="button" class="btn btn-small btn-secondary" onClick=${close} data-testid="drill-close">${t("report.drillClose")}</button>
    </div>
    ${list.loading && !d ? html`<${Loading} />` : null}
    ${list.error ? html`<${ProblemAlert} error=${list.error} />` : null}
    ${d
      ? html`<p data-testid="drill-total" data-total=${d.total}>${t("report.drillTotal", { n: formatNumber(d.total, 0) })}</p>
          ${d.items.length
            ? html`<${DataTable}
                caption=${t("report.drill", { what: metricName(metric) })}
                testid="drill-table"
                rows=${d.items}
                rowProps=${(x) => ({ "data-testid": "drill-row", "data-code": x.code, key: x.id })}
                columns=${[
                  { label: t("dossier.code"), cell: (x) => (officer ? html`<a href=${`/can-bo/ho-so/${x.id}`}>${x.code}</a>` : x.code) },
                  { label: t("proc.name"), cell: (x) => x.procedure_name, vi: true, props: () => ({ class: "clamp" }) },
                  { label: t("wizard.agency"), cell: (x) => x.agency_name, vi: true },
                  { label: t("dossier.status"), cell: (x) => html`<${StatusBadge} status=${x.status} text=${{ vi: statusName(x.status), en: statusName(x.status) }} testid="drill-status" />` },
                  { label: t("report.channel"), cell: (x) => (x.channel ? t(`report.channel.${x.channel}`) : "—") },
                  { label: t("report.receivedAt"), cell: (x) => (x.received_at ? formatDateTime(x.received_at) : "—") },
                  { label: t("report.dueAt"), cell: (x) => (x.legal_due_at ? formatDateTime(x.legal_due_at) : "—") },
                  { label: t("report.finishedAt"), cell: (x) => (x.finished_at ? formatDateTime(x.finished_at) : "—") },
                  { label: t("report.onTime"), cell: (x) => (x.on_time === true ? t("common.yes") : x.on_time === false ? t("common.no") : "—") },
                  { label: t("report.holder"), cell: (x) => (x.holder ? html`<${Vi}>${x.holder.name}<//>` : "—") },
                  {
                    label: t("report.rating"),
                    cell: (x) => (x.rating && x.rating.scores ? t("rating.scoreText", { n: x.rating.scores.overall, words: t(`rating.${x.rating.scores.overall}`) }) : "—"),
                  },
                ]}
              />
              <${Pager} page=${page} size=${DRILL_SIZE} total=${d.total} onPage=${(n) => setQuery({ ...base, xem: metric, page: n })} />`
            : html`<p class="muted" data-testid="drill-empty">${t("report.drillEmpty")}</p>`}`
      : null}
  </section>`;
}

/** The last twelve months: the score and each index as a share of its maximum; dossiers received and finished. */
function Trend({ unit, field, maxOf }) {
  const lang = useLang();
  const trend = useAsync(() => get("/reporting/trend", { query: { months: 12, unit, field } }), [unit, field, lang]);
  const months = trend.data ? trend.data.months || [] : [];
  const labels = months.map((m) => formatMonth(m.month));
  const ixSeries = INDEXES.map(([key]) => {
    const max = maxOf[key] || MAX[key];
    const values = months.map((m) => pct(m.indexes ? m.indexes[key] : null, max));
    return {
      label: t(`index.${key}`),
      values,
      text: (i) => {
        const v = months[i].indexes ? months[i].indexes[key] : null;
        return v === null || v === undefined ? "—" : `${formatNumber(values[i])} % (${t("index.points", { value: formatNumber(v), max })})`;
      },
    };
  });
  return html`<section class="card" aria-labelledby="report-trend-title" data-testid="report-trend">
    <h2 id="report-trend-title">${t("report.trend")}</h2>
    ${trend.loading && !trend.data ? html`<${Loading} />` : null}
    ${trend.error ? html`<${ProblemAlert} error=${trend.error} focus=${false} />` : null}
    ${trend.data && !months.length ? html`<p class="muted">${t("report.trendEmpty")}</p>` : null}
    ${months.length
      ? html`<${LineChart}
            id="trend-score"
            testid="trend-score"
            title=${t("report.trendScore")}
            labels=${labels}
            yMax=${100}
            series=${[
              { label: t("index.score"), values: months.map((m) => (m.score === undefined ? null : m.score)) },
              ...ixSeries,
            ]}
          />
          <${LineChart}
            id="trend-counts"
            testid="trend-counts"
            title=${t("report.trendCounts")}
            labels=${labels}
            format=${(v) => formatNumber(v, 0)}
            series=${[
              { label: metricName("received"), values: months.map((m) => m.received ?? null) },
              { label: metricName("finished"), values: months.map((m) => m.finished ?? null) },
              { label: metricName("finished_on_time"), values: months.map((m) => m.finished_on_time ?? null) },
            ]}
          />`
      : null}
  </section>`;
}

/** Agencies or communes, best first (administrators and the city's leaders: hidden from the others). */
function Ranking({ params, units }) {
  const lang = useLang();
  const [kind, setKind] = useState("agency");
  const [all, setAll] = useState(false);
  const { from, to, field } = params;
  const ranking = useAsync(() => get("/reporting/ranking", { query: { from, to, kind, field } }), [from, to, kind, field, lang]);
  // Not the caller's to see (403): the section is not shown at all.
  if (ranking.error && ranking.error.status === 403) return null;
  const mine = new Set(units.map((u) => u.key));
  const items = ranking.data ? ranking.data.items || [] : [];
  // The first twenty, best first; the rest on request (the city has hundreds of agencies).
  const shown = all ? items : items.slice(0, RANK_FIRST);
  const base = { tu: from, den: to, "linh-vuc": field };
  return html`<section class="card" aria-labelledby="report-ranking-title" data-testid="report-ranking">
    <h2 id="report-ranking-title">${t("report.ranking")}</h2>
    <fieldset class="fieldset radios inline-radios">
      <legend>${t("report.rankingOf")}</legend>
      ${[
        ["agency", t("report.rankAgencies")],
        ["commune", t("report.rankCommunes")],
      ].map(
        ([k, label]) => html`<div class="radio">
          <input type="radio" id=${`rank-${k}`} name="rank-kind" checked=${kind === k} onChange=${() => (setKind(k), setAll(false))} data-testid=${`rank-${k}`} />
          <label for=${`rank-${k}`}>${label}</label>
        </div>`,
      )}
    </fieldset>
    ${ranking.loading && !ranking.data ? html`<${Loading} />` : null}
    ${ranking.error ? html`<${ProblemAlert} error=${ranking.error} focus=${false} />` : null}
    ${ranking.data && !items.length ? html`<p class="muted">${t("report.rankEmpty")}</p>` : null}
    ${items.length
      ? html`<div class="table-scroll" role="region" aria-label=${t("report.rankingTable")} tabindex="0">
          <table class="table table-compact table-stack table-named" data-testid="ranking-table" data-kind=${ranking.data.kind || kind}>
            <caption class="visually-hidden">${t("report.ranking")}: ${kind === "agency" ? t("report.rankAgencies") : t("report.rankCommunes")}</caption>
            <thead>
              <tr>
                <th scope="col">${t("report.rank")}</th>
                <th scope="col">${t("report.unit")}</th>
                <th scope="col">${t("index.score")}</th>
                ${INDEXES.map(([k]) => html`<th scope="col">${t(`index.${k}`)}</th>`)}
                <th scope="col">${t("report.received")}</th>
                <th scope="col">${t("report.finished")}</th>
              </tr>
            </thead>
            <tbody>
              ${shown.map(
                (it, i) => html`<tr data-testid="ranking-row" data-unit=${it.unit.key}>
                  <td data-label=${t("report.rank")} class="num">${i + 1}</td>
                  <th scope="row" data-label=${t("report.unit")} lang=${viLang()}>
                    ${mine.has(it.unit.key) ? html`<a href=${reportHref({ ...base, "don-vi": it.unit.key })}>${it.unit.name}</a>` : it.unit.name}
                  </th>
                  <td data-label=${t("index.score")} class="num">
                    <span data-testid="ranking-score">${formatNumber(it.score)}</span>
                    ${it.score === null || it.score === undefined ? null : html`<meter class="meter meter-small" min="0" max="100" value=${it.score} aria-hidden="true"></meter>`}
                  </td>
                  ${INDEXES.map(([k]) => html`<td data-label=${t(`index.${k}`)} class="num">${formatNumber(it.indexes ? it.indexes[k] : null)}</td>`)}
                  <td data-label=${t("report.received")} class="num">${formatNumber(it.received, 0)}</td>
                  <td data-label=${t("report.finished")} class="num">${formatNumber(it.finished, 0)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${items.length > RANK_FIRST
          ? html`<button type="button" class="btn btn-small btn-secondary" onClick=${() => setAll(!all)} data-testid="ranking-all">
              ${all ? t("report.rankFirst", { n: RANK_FIRST }) : t("report.rankAll", { n: items.length })}
            </button>`
          : null}`
      : null}
  </section>`;
}

const stepName = (step) => {
  if (!step) return "—";
  if (typeof step === "object") return pick(step);
  const said = t(`report.step.${step}`);
  return said === `report.step.${step}` ? step : said;
};

/** The open dossiers past their legal due date, and who holds each. */
function Overdue({ unit, drill }) {
  const lang = useLang();
  const s = useStore(session);
  const officer = hasRole(s, "officer");
  const list = useAsync(() => get("/reporting/overdue", { query: { unit, limit: 50 } }), [unit, lang]);
  const items = list.data ? list.data.items || [] : [];
  return html`<section class="card" aria-labelledby="report-overdue-title" data-testid="report-overdue">
    <h2 id="report-overdue-title">${t("report.overdue")}</h2>
    <p class="muted">${t("report.overdueLead")}</p>
    ${list.loading && !list.data ? html`<${Loading} />` : null}
    ${list.error ? html`<${ProblemAlert} error=${list.error} focus=${false} />` : null}
    ${list.data && !items.length ? html`<p data-testid="overdue-empty">${t("report.overdueEmpty")}</p>` : null}
    ${items.length
      ? html`<${DataTable}
            caption=${t("report.overdue")}
            testid="overdue-table"
            rows=${items}
            rowProps=${(x) => ({ "data-testid": "overdue-row", "data-code": x.code, key: x.id })}
            columns=${[
              { label: t("dossier.code"), cell: (x) => (officer ? html`<a href=${`/can-bo/ho-so/${x.id}`}>${x.code}</a>` : x.code) },
              { label: t("proc.name"), cell: (x) => x.procedure_name, vi: true, props: () => ({ class: "clamp" }) },
              { label: t("wizard.agency"), cell: (x) => x.agency_name, vi: true },
              { label: t("report.dueAt"), cell: (x) => (x.legal_due_at ? formatDateTime(x.legal_due_at) : "—") },
              {
                label: t("report.daysOverdue"),
                cell: (x) => html`<span class="deadline dl-overdue"><span class="dl-icon" aria-hidden="true">■</span>${formatNumber(x.days_overdue, 0)}</span>`,
              },
              { label: t("report.holder"), cell: (x) => (x.holder ? html`<span data-testid="overdue-holder" lang=${viLang()}>${x.holder.name}</span>` : t("report.noHolder")) },
              { label: t("report.step"), cell: (x) => stepName(x.step) },
            ]}
          />
          <p><a href=${drill("open_overdue")} data-testid="overdue-all">${t("report.overdueMore")}</a></p>`
      : null}
  </section>`;
}

// ---- /chi-so: the public scorecard ------------------------------------------------------------------

// "Hải Phòng" and "hai phong" find the same commune: letters without their marks, đ as d.
const fold = (s) =>
  String(s || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase();

const monthOf = (entry, month) => (entry && entry.months ? entry.months.find((m) => m.month === month) : null) || null;

/** /chi-so — the city's and each commune's indexes for the last months (no login). */
export function ScorecardPage() {
  const lang = useLang();
  useTitle(t("scorecard.title"));
  const card = useAsync(() => get("/reporting/public/scorecard", { query: { months: 6 }, auth: false }), [lang]);
  const heading = html`<${PageHeading} sub=${html`<${ViRuns} text=${t("scorecard.lead")} />`}>${t("scorecard.title")}<//>`;
  if (card.loading && !card.data) return html`${heading}<${Loading} />`;
  if (!card.data) return html`${heading}<${ProblemAlert} error=${card.error} />`;
  const c = card.data;
  const months = c.months || [];
  if (!months.length) return html`${heading}<p>${t("scorecard.none")}</p>`;
  return html`${heading}
    ${c.as_of ? html`<p class="muted" data-testid="scorecard-as-of">${t("report.asOf", { time: formatDateTime(c.as_of) })}</p>` : null}
    <${CityScores} c=${c} months=${months} />
    <${Communes} c=${c} months=${months} />
    <p class="muted small">${t("scorecard.note")}</p>`;
}

function CityScores({ c, months }) {
  const city = c.city || { months: [] };
  const latest = monthOf(city, months[months.length - 1]);
  const labels = months.map(formatMonth);
  const row = (m) => monthOf(city, m) || { indexes: {} };
  return html`<section class="card" aria-labelledby="city-title" data-testid="scorecard-city">
    <h2 id="city-title">${t("scorecard.city")}</h2>
    <p class="score-big">
      <span class="visually-hidden">${t("index.score")} ${formatMonth(months[months.length - 1])}: </span>
      <span class="score-number" data-testid="city-score">${latest && latest.score !== null && latest.score !== undefined ? formatNumber(latest.score) : "—"}</span>
      <span class="score-max"> / 100</span>
      <span class="muted score-month" aria-hidden="true"> (${formatMonth(months[months.length - 1])})</span>
    </p>
    <${LineChart}
      id="city-chart"
      testid="city-chart"
      title=${t("scorecard.cityChart")}
      labels=${labels}
      yMax=${100}
      series=${[
        { label: t("index.score"), values: months.map((m) => row(m).score ?? null) },
        ...INDEXES.map(([k, max]) => ({
          label: t(`index.${k}`),
          values: months.map((m) => pct(row(m).indexes ? row(m).indexes[k] : null, max)),
          text: (i) => {
            const v = row(months[i]).indexes ? row(months[i]).indexes[k] : null;
            return v === null || v === undefined ? "—" : t("index.points", { value: formatNumber(v), max });
          },
        })),
      ]}
    />
  </section>`;
}

const SORTS = ["name", "score", ...INDEXES.map(([k]) => k)];

function Communes({ c, months }) {
  const [month, setMonth] = useState(months[months.length - 1]);
  const [q, setQ] = useState("");
  const [sort, setSort] = useState({ key: "score", dir: "desc" });
  const [chosen, setChosen] = useState("");
  const communes = c.communes || [];
  const valueOf = (entry, key) => {
    if (key === "name") return fold(entry.unit.name);
    const m = monthOf(entry, month);
    if (!m) return null;
    return key === "score" ? m.score : m.indexes ? m.indexes[key] : null;
  };
  const wanted = fold(q.trim());
  const shown = communes
    .filter((x) => !wanted || fold(x.unit.name).includes(wanted))
    .sort((a, b) => {
      const va = valueOf(a, sort.key);
      const vb = valueOf(b, sort.key);
      // Not measurable stays last whichever way.
      if (va === null || va === undefined) return vb === null || vb === undefined ? 0 : 1;
      if (vb === null || vb === undefined) return -1;
      const cmp = typeof va === "string" ? va.localeCompare(vb, "vi") : va - vb;
      return sort.dir === "asc" ? cmp : -cmp;
    });
  const toggle = (key) => setSort(sort.key === key ? { key, dir: sort.dir === "asc" ? "desc" : "asc" } : { key, dir: key === "name" ? "asc" : "desc" });
  const header = (key, label) => html`<th scope="col" aria-sort=${sort.key === key ? (sort.dir === "asc" ? "ascending" : "descending") : undefined}>
    <button type="button" class="sort-button" onClick=${() => toggle(key)} data-testid=${`sort-${key}`}>
      ${label}<span class="sort-mark" aria-hidden="true">${sort.key === key ? (sort.dir === "asc" ? " ▲" : " ▼") : " ⇅"}</span>
    </button>
  </th>`;
  const picked = communes.find((x) => x.unit.key === chosen);
  const city = c.city || { months: [] };
  return html`<section class="card" aria-labelledby="communes-title" data-testid="scorecard-communes">
    <h2 id="communes-title">${t("scorecard.communes")}</h2>
    <div class="inline-filters">
      <${SelectField}
        id="scorecard-month"
        label=${t("scorecard.month")}
        value=${month}
        onChange=${(e) => setMonth(e.target.value)}
        options=${[...months].reverse().map((m) => ({ value: m, label: formatMonth(m) }))}
        data-testid="scorecard-month"
      />
      <${Field}
        id="scorecard-search"
        type="search"
        label=${t("scorecard.search")}
        hint=${t("scorecard.searchHint")}
        value=${q}
        onInput=${(e) => setQ(e.target.value)}
        autocomplete="off"
        data-testid="scorecard-search"
      />
    </div>
    <p role="status" class="muted" data-testid="scorecard-shown">${t("scorecard.shown", { n: shown.length, total: communes.length })}</p>
    <div class="table-scroll" role="region" aria-label=${t("scorecard.communesTable", { month: formatMonth(month) })} tabindex="0">
      <table class="table table-compact table-stack table-named" data-testid="communes-table">
        <caption class="visually-hidden">${t("scorecard.communes")} — ${t("scorecard.month")} ${formatMonth(month)}</caption>
        <thead>
          <tr>
            ${header("name", t("scorecard.commune"))}
            ${header("score", t("index.score"))}
            ${INDEXES.map(([k, max]) => header(k, `${t(`index.${k}`)} (${max})`))}
          </tr>
        </thead>
        <tbody>
          ${shown.map((x) => {
            const m = monthOf(x, month);
            return html`<tr data-testid="commune-row" data-unit=${x.unit.key}>
              <th scope="row" data-label=${t("scorecard.commune")} lang=${viLang()}>${x.unit.name}</th>
              <td data-label=${t("index.score")} class="num" data-testid="commune-score">${formatNumber(m ? m.score : null)}</td>
              ${INDEXES.map(([k]) => html`<td data-label=${t(`index.${k}`)} class="num">${formatNumber(m && m.indexes ? m.indexes[k] : null)}</td>`)}
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    <${SelectField}
      id="scorecard-compare"
      label=${t("scorecard.compare")}
      value=${chosen}
      onChange=${(e) => setChosen(e.target.value)}
      placeholder=${t("scorecard.compareNone")}
      options=${[...communes].sort((a, b) => a.unit.name.localeCompare(b.unit.name, "vi")).map((x) => ({ value: x.unit.key, label: x.unit.name, lang: viLang() }))}
      data-testid="scorecard-compare"
    />
    ${picked
      ? html`<${LineChart}
          id="commune-chart"
          testid="commune-chart"
          title=${t("scorecard.communeChart", { name: picked.unit.name })}
          labels=${months.map(formatMonth)}
          yMax=${100}
          series=${[
            { label: picked.unit.name, vi: true, values: months.map((mm) => (monthOf(picked, mm) || {}).score ?? null) },
            { label: t("scorecard.city"), values: months.map((mm) => (monthOf(city, mm) || {}).score ?? null) },
          ]}
        />`
      : null}
  </section>`;
}
