// Home (search box and popular procedures) and the search results with filters and paging.
import { html, useState, useEffect } from "../lib.js";
import { get } from "../api.js";
import { t, useLang } from "../i18n.js";
import { navigate, setQuery, pageOf } from "../router.js";
import { PageHeading, Loading, ProblemAlert, Pager, Highlighted, showList, useAsync, useTitle, SelectField, Vi, viLang } from "../components.js";

const SIZE = 10;

export function SearchBox({ initial = "", big = false }) {
  const [q, setQ] = useState(initial);
  useEffect(() => setQ(initial), [initial]);
  const submit = (e) => {
    e.preventDefault();
    const v = q.trim();
    navigate(v ? `/tim-kiem?${new URLSearchParams({ q: v })}` : "/tim-kiem");
  };
  return html`<form role="search" class=${`search-box ${big ? "search-big" : ""}`} onSubmit=${submit} aria-label=${t("search.label")}>
    <label for="search-q" class="search-label">${t("search.label")}</label>
    <div class="search-row">
      <input
        id="search-q"
        type="search"
        name="q"
        value=${q}
        onInput=${(e) => setQ(e.target.value)}
        placeholder=${t("search.placeholder")}
        autocomplete="off"
        maxlength="200"
        data-testid="search-input"
      />
      <button type="submit" class="btn btn-primary" data-testid="search-submit">${t("search.button")}</button>
    </div>
  </form>`;
}

export const levelName = (l) => (l ? t(`level.${l}`) : "");
export function OnlineBadge({ level }) {
  return html`<span class=${`badge online-${level}`}>${t(`online.${level}`)}</span>`;
}

function ProcedureCard({ p, headingLevel = 3 }) {
  const Title = `h${headingLevel}`;
  return html`<li class="card proc-card" data-testid="result-item" data-code=${p.code}>
    <${Title} class="proc-title">
      <a href=${`/thu-tuc/${encodeURIComponent(p.code)}`} data-testid="result-link">
        <${Highlighted} htmlText=${p.highlight && p.highlight.name} text=${p.name} />
      </a>
    <//>
    <p class="proc-meta">
      <span><span class="label">${t("proc.code")}:</span> ${p.code}</span>
      <span><span class="label">${t("proc.field")}:</span> <${Vi}>${p.field}<//></span>
      ${p.agency ? html`<span><span class="label">${t("proc.agency")}:</span> <${Vi}>${p.agency}<//></span>` : null}
      ${p.level ? html`<span><span class="label">${t("proc.level")}:</span> ${levelName(p.level)}</span>` : null}
    </p>
    <p class="proc-meta">
      <${OnlineBadge} level=${p.online_level} />
      ${p.processing_time ? html`<span><span class="label">${t("proc.time")}:</span> <${Vi}>${p.processing_time}<//></span>` : null}
      ${p.fee_summary ? html`<span><span class="label">${t("proc.fees")}:</span> <${Vi}>${p.fee_summary}<//></span>` : null}
    </p>
  </li>`;
}

export function HomePage() {
  const lang = useLang();
  useTitle("");
  const popular = useAsync(() => get("/catalog/procedures", { query: { size: 8 }, auth: false }), [lang]);
  return html`<section class="hero" aria-labelledby="page-title">
      <h1 id="page-title" tabindex="-1">${t("home.title")}</h1>
      <p class="lead">${t("home.lead")}</p>
      <${SearchBox} big />
    </section>
    <section class="quick-links" aria-label=${t("home.quick")}>
      <ul class="tiles">
        <li><a class="tile" href="/tim-kiem?online=true"><span class="tile-title">${t("home.tileOnline")}</span><span class="tile-text">${t("home.tileOnlineText")}</span></a></li>
        <li><a class="tile" href="/tra-cuu"><span class="tile-title">${t("nav.track")}</span><span class="tile-text">${t("home.tileTrackText")}</span></a></li>
        <li><a class="tile" href="/ho-so"><span class="tile-title">${t("nav.myDossiers")}</span><span class="tile-text">${t("home.tileMineText")}</span></a></li>
      </ul>
    </section>
    <section aria-labelledby="popular-title">
      <h2 id="popular-title">${t("home.popular")}</h2>
      ${popular.loading
        ? html`<${Loading} />`
        : popular.error
          ? html`<${ProblemAlert} error=${popular.error} focus=${false} />`
          : html`<ul class="cards" data-testid="popular">${popular.data.items.map((p) => html`<${ProcedureCard} p=${p} />`)}</ul>`}
      <p><a href="/tim-kiem" class="more">${t("home.allProcedures")}</a></p>
    </section>`;
}

const ONLINE = ["", "true", "full", "partial", "none"];
const LEVELS = ["", "city", "commune", "central"];

export function SearchPage({ query }) {
  const lang = useLang();
  const q = query.get("q") || "";
  const page = pageOf(query);
  const filters = {
    field: query.get("field") || "",
    agency: query.get("agency") || "",
    level: query.get("level") || "",
    online: query.get("online") || "",
  };
  useTitle(q ? t("search.titleFor", { q }) : t("search.title"));
  const [draft, setDraft] = useState(filters);
  const key = JSON.stringify(filters);
  useEffect(() => setDraft(filters), [key]);

  const facets = useAsync(
    () =>
      Promise.all([get("/catalog/fields", { auth: false }), get("/catalog/implementing-agencies", { auth: false })]).then(([fields, agencies]) => ({
        fields,
        agencies,
      })),
    [lang],
  );
  const results = useAsync(
    () => get("/catalog/procedures", { query: { q, ...filters, page, size: SIZE }, auth: false }),
    [q, key, page, lang],
  );

  const apply = (e) => {
    e.preventDefault();
    setQuery({ q, ...draft });
  };
  const clear = () => setQuery({ q });
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.target.value });
  const byName = (a, b) => a.name.localeCompare(b.name, "vi");
  // A facet's values (fields, agencies) by name, each with its count of procedures.
  const facetOptions = (facet) => [...facet].sort(byName).map((f) => ({ value: f.name, label: `${f.name} (${f.count})`, lang: viLang() }));
  const filter = (name, label, options, placeholder) =>
    html`<${SelectField}
      id=${`f-${name}`}
      label=${label}
      value=${draft[name]}
      onChange=${set(name)}
      placeholder=${placeholder}
      options=${options}
      data-testid=${`filter-${name}`}
    />`;

  return html`<${PageHeading}>${q ? t("search.titleFor", { q }) : t("search.title")}<//>
    <${SearchBox} initial=${q} />
    <div class="with-sidebar">
      <aside class="sidebar" aria-labelledby="filters-title">
        <form class="filters" onSubmit=${apply} data-testid="filters">
          <h2 id="filters-title" class="h3">${t("filters.title")}</h2>
          ${facets.data
            ? html`${filter("field", t("proc.field"), facetOptions(facets.data.fields), t("filters.all"))}
                ${filter("agency", t("proc.agency"), facetOptions(facets.data.agencies), t("filters.all"))}`
            : facets.loading
              ? html`<${Loading} />`
              : null}
          ${filter("level", t("proc.level"), LEVELS.map((v) => ({ value: v, label: v ? levelName(v) : t("filters.all") })))}
          ${filter("online", t("proc.online"), ONLINE.map((v) => ({ value: v, label: v ? t(`filters.online.${v}`) : t("filters.all") })))}
          <div class="actions">
            <button type="submit" class="btn btn-primary" data-testid="filter-apply">${t("filters.apply")}</button>
            <button type="button" class="btn btn-secondary" onClick=${clear} data-testid="filter-clear">${t("filters.clear")}</button>
          </div>
        </form>
      </aside>
      <section class="results" aria-labelledby="results-title">
        <h2 id="results-title" class="visually-hidden">${t("search.results")}</h2>
        ${showList(
          results,
          (data) => html`<p class="result-count" role="status" data-testid="result-count">
              ${t("search.count", { n: data.total.toLocaleString(lang === "en" ? "en-US" : "vi-VN") })}
            </p>
            ${data.items.length
              ? html`<ul class="cards" data-testid="results">
                  ${data.items.map((p) => html`<${ProcedureCard} p=${p} />`)}
                </ul>`
              : html`<p>${t("search.none")}</p>`}
            <${Pager} page=${page} size=${SIZE} total=${Math.min(data.total, 1000 * SIZE)} onPage=${(n) => setQuery({ q, ...filters, page: n })} />`,
        )}
      </section>
    </div>`;
}
