// Charts for the reporting pages: uPlot (vendored, loaded on demand by loadChart) draws on a canvas,
// which no screen reader can read, so every chart carries its figures as a table (a caption, a header
// per column and per row). The canvas and its legend are hidden from assistive technology; the table is
// there for it, visually hidden until "Xem bảng số liệu" shows it to everyone. Lines differ by colour
// and by dash (never colour alone), and the legend draws each line's dash beside its name.
import { html, useState, useEffect, useRef, loadChart } from "./lib.js";
import { t, formatNumber } from "./i18n.js";
import { DisclosureButton, ViRuns, viLang } from "./components.js";

const HEIGHT = 300;
// Dark enough for 3:1 against white (WCAG 1.4.11), told apart by dash as well.
export const COLORS = ["#9b1c1c", "#0b4f9c", "#17572b", "#6b4300", "#5b2a86", "#00606b", "#4f4f4f", "#b3261e"];
export const DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3], [5, 5], [1, 4], [10, 2], [3, 3, 8, 3]];

function options(width, labels, series, yMax, format) {
  const n = labels.length;
  const axis = { stroke: "#1b1b1b", grid: { stroke: "#e1e1e1", width: 1 }, ticks: { stroke: "#8a8a8a", width: 1 } };
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: () => [-0.3, Math.max(0.3, n - 0.7)] },
      y: {
        range: (_u, _min, max) => [0, yMax || (max > 0 ? Math.ceil(max * 1.15) : 1)],
      },
    },
    axes: [
      { ...axis, splits: () => labels.map((_l, i) => i), values: (_u, splits) => splits.map((i) => labels[i] ?? "") },
      { ...axis, size: 56, values: (_u, splits) => splits.map((v) => format(v)) },
    ],
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: i === 0 ? 3 : 2,
        dash: DASHES[i % DASHES.length],
        spanGaps: false,
        points: { show: true, size: 7, fill: COLORS[i % COLORS.length], stroke: COLORS[i % COLORS.length] },
      })),
    ],
  };
}

/** A line's sample for the legend: its colour and its dash. */
function Swatch({ i }) {
  const dash = DASHES[i % DASHES.length];
  return html`<svg class="swatch" viewBox="0 0 32 10" width="32" height="10" focusable="false">
    <line x1="0" y1="5" x2="32" y2="5" stroke=${COLORS[i % COLORS.length]} stroke-width=${i === 0 ? 3 : 2} stroke-dasharray=${dash.length ? dash.join(" ") : undefined} />
  </svg>`;
}

/**
 * A line chart of `series` ([{label, values, text(i)?, vi?: the label is Vietnamese from the API}]) over `labels` (the x axis: months), with its
 * table. `yMax`: the y axis's top (100 for percentages), else from the data; `format(v)`: numbers on the
 * axis and in the table (a series' `text(i)` writes its own cells); `rowHeader`: the first column's name.
 */
export function LineChart({ id, title, labels, series, yMax, format = (v) => formatNumber(v), rowHeader, testid }) {
  const host = useRef(null);
  const [open, setOpen] = useState(false);
  const [drawn, setDrawn] = useState(false);
  const [failed, setFailed] = useState(false);
  const key = JSON.stringify([labels, series.map((s) => [s.label, s.values]), yMax]);
  const hasData = series.some((s) => s.values.some((v) => v !== null && v !== undefined));
  useEffect(() => {
    let plot = null;
    let watch = null;
    let gone = false;
    setDrawn(false);
    if (!hasData) return undefined;
    loadChart().then(
      (UPlot) => {
        if (gone || !host.current) return;
        const width = Math.max(260, host.current.clientWidth);
        const data = [labels.map((_l, i) => i), ...series.map((s) => s.values.map((v) => (v === undefined ? null : v)))];
        plot = new UPlot(options(width, labels, series, yMax, format), data, host.current);
        setDrawn(true);
        watch = new ResizeObserver(() => {
          const w = host.current ? host.current.clientWidth : 0;
          if (plot && w && Math.abs(w - plot.width) > 2) plot.setSize({ width: Math.max(260, w), height: HEIGHT });
        });
        watch.observe(host.current);
      },
      () => !gone && (setFailed(true), setOpen(true)),
    );
    return () => {
      gone = true;
      if (watch) watch.disconnect();
      if (plot) plot.destroy();
    };
  }, [key]);
  const cell = (s, i) => (s.text ? s.text(i) : format(s.values[i]));
  return html`<figure class="chart" data-testid=${testid} data-drawn=${drawn ? "true" : "false"}>
    <figcaption class="chart-title" id=${`${id}-title`}><${ViRuns} text=${title} /></figcaption>
    ${hasData && !failed
      ? html`<div class="chart-visual" aria-hidden="true">
          <ul class="chart-legend">
            ${series.map((s, i) => html`<li><${Swatch} i=${i} /><span lang=${s.vi ? viLang() : undefined}>${s.label}</span></li>`)}
          </ul>
          <div class="chart-canvas" ref=${host}></div>
        </div>`
      : !hasData
        ? html`<p class="muted">${t("chart.none")}</p>`
        : null}
    ${hasData && !failed
      ? html`<${DisclosureButton} class="btn btn-small btn-secondary chart-toggle" open=${open} controls=${`${id}-data`} onToggle=${() => setOpen(!open)} testid=${`${testid}-toggle`}>
          ${open ? t("chart.hideTable") : t("chart.showTable")}
        <//>`
      : null}
    <div
      id=${`${id}-data`}
      class=${open || !hasData ? "chart-data" : "visually-hidden"}
      role=${open || !hasData ? "region" : undefined}
      aria-label=${open || !hasData ? t("chart.tableOf", { title }) : undefined}
      tabindex=${open || !hasData ? "0" : undefined}
      data-testid=${`${testid}-table`}
    >
      <table class="table table-compact">
        <caption class="table-caption"><${ViRuns} text=${t("chart.tableOf", { title })} /></caption>
        <thead>
          <tr>
            <th scope="col">${rowHeader || t("chart.month")}</th>
            ${series.map((s) => html`<th scope="col" lang=${s.vi ? viLang() : undefined}>${s.label}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${labels.map(
            (l, i) => html`<tr>
              <th scope="row">${l}</th>
              ${series.map((s) => html`<td class="num">${cell(s, i)}</td>`)}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </figure>`;
}
