// Home (search box and popular procedures) and the search results with filters and paging.
import { html, useState, useEffect, useRef } from "../lib.js";
import { get } from "../api.js";
import { t, useLang } from "../i18n.js";
import { navigate, setQuery, pageOf } from "../router.js";
import { PageHeading, Loading, ProblemAlert, Pager, Highlighted, showList, useAsync, useTitle, SelectField, Vi, viLang, announce, useOnChange } from "../components.js";

const SIZE = 10;

const SUGGEST_DELAY_MS = 150; // suggestions are asked for once typing pauses this long
const SUGGEST_MIN = 2; // letters before anything is suggested (the API's own minimum)

/**
 * The search box: a combobox (WAI-ARIA 1.2, list autocomplete) whose listbox suggests procedure names
 * from GET /catalog/suggest as the text is typed. Arrow keys move through the suggestions (the focus
 * stays in the box; aria-activedescendant names the one chosen), Enter opens the chosen procedure (or
 * searches, when none is chosen), Escape closes the list, a click opens one. The number of suggestions
 * is said in the page's polite live region. Only the text in the box when typing paused is asked for,
 * and an answer for text since changed is dropped.
 */
export function SearchBox({ initial = "", big = false }) {
  const [q, setQ] = useState(initial);
  const [typed, setTyped] = useState(null); // what the user typed (null: nothing yet, no suggestions)
  const [items, setItems] = useState([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const current = useRef(initial);
  useOnChange(initial, () => {
    setQ(initial);
    setTyped(null);
  });
  useEffect(() => {
    current.current = typed;
    const text = (typed || "").trim();
    if (text.length < SUGGEST_MIN) {
      setItems([]);
      setOpen(false);
      setActive(-1);
      return undefined;
    }
    const timer = setTimeout(async () => {
      try {
        const r = await get("/catalog/suggest", { query: { q: typed }, auth: false });
        if (current.current !== typed) return; // typed on meanwhile
        setItems(r.items);
        setActive(-1);
        setOpen(r.items.length > 0);
        announce(r.items.length ? t("suggest.count", { n: r.items.length }) : t("suggest.none"));
      } catch {
        // Suggestions are a convenience: the search itself still works.
      }
    }, SUGGEST_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed]);

  const close = () => {
    setOpen(false);
    setActive(-1);
  };
  const openProcedure = (code) => {
    close();
    setTyped(null);
    navigate(`/thu-tuc/${encodeURIComponent(code)}`);
  };
  const submit = (e) => {
    e.preventDefault();
    if (open && active >= 0 && items[active]) return openProcedure(items[active].code);
    close();
    setTyped(null);
    const v = q.trim();
    navigate(v ? `/tim-kiem?${new URLSearchParams({ q: v })}` : "/tim-kiem");
  };
  const onKeyDown = (e) => {
    const n = items.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) return;
      e.preventDefault();
      const down = e.key === "ArrowDown";
      if (!open) {
        setOpen(true);
        setActive(down ? 0 : n - 1);
      } else setActive((i) => (down ? (i + 1) % n : i <= 0 ? n - 1 : i - 1));
    } else if (e.key === "Escape" && open) {
      e.preventDefault(); // only close the list: the text stays (a second Escape clears it)
      close();
    } else if (e.key === "Tab") close();
  };
  const optionId = (i) => `search-suggestion-${i}`;
  return html`<form role="search" class=${`search-box ${big ? "search-big" : ""}`} onSubmit=${submit} aria-label=${t("search.label")}>
    <label for="search-q" class="search-label">${t("search.label")}</label>
    <div class="search-row">
      <div class="combo">
        <input
          id="search-q"
          type="search"
          name="q"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded=${open ? "true" : "false"}
          aria-controls="search-suggestions"
          aria-activedescendant=${open && active >= 0 ? optionId(active) : undefined}
          value=${q}
          onInput=${(e) => {
            setQ(e.target.value);
            setTyped(e.target.value);
          }}
          onKeyDown=${onKeyDown}
          onBlur=${close}
          placeholder=${t("search.placeholder")}
          autocomplete="off"
          maxlength="200"
          data-testid="search-input"
        />
        <ul id="search-suggestions" role="listbox" class="suggest-list" aria-label=${t("suggest.label")} hidden=${!open} data-testid="suggest-list">
          ${items.map(
            (s, i) => html`<li
              id=${optionId(i)}
              role="option"
              aria-selected=${i === active ? "true" : "false"}
              class=${`suggest-option ${i === active ? "active" : ""}`}
              onMouseDown=${(e) => e.preventDefault()}
              onClick=${() => openProcedure(s.code)}
              data-testid="suggest-option"
              data-code=${s.code}
            >
              <span class="suggest-name"><${Vi}>${s.name}<//></span>
              <span class="suggest-code">${s.code}</span>
            </li>`
          )}
        </ul>
      </div>
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
  useOnChange(key, () => setDraft(filters));

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
