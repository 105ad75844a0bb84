// The one place that imports the vendored libraries: Preact, its hooks and htm (tagged templates
// instead of JSX, so there is no build step); the QR encoder and the chart library on demand.
import { h } from "./vendor/preact.module.js";
import { useState, useEffect } from "./vendor/hooks.module.js";
import htm from "./vendor/htm.module.js";

export const html = htm.bind(h);
export { h, render, createContext, Fragment } from "./vendor/preact.module.js";
export * from "./vendor/hooks.module.js";

/** The QR encoder (qr), loaded the first time a page needs it: only the second factor's enrolment does. */
export const loadQr = () => import("./vendor/qr.module.js").then((m) => m.encodeQR);

/**
 * The chart library (uPlot), loaded the first time a page draws a chart (only the reporting pages do):
 * its stylesheet as a `<link>` (same origin, as the CSP wants), then the module; resolves with uPlot.
 */
let chartLib = null;
export function loadChart() {
  if (!chartLib) {
    // The chart is laid out once its rules are there (a failed stylesheet still lets it draw).
    const styled = new Promise((done) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = "/vendor/uplot.min.css";
      link.onload = done;
      link.onerror = done;
      document.head.appendChild(link);
    });
    chartLib = Promise.all([import("./vendor/uplot.module.js"), styled]).then(([m]) => m.default);
  }
  return chartLib;
}

/** A tiny observable value shared across components. */
export function createStore(initial) {
  let value = initial;
  const subs = new Set();
  return {
    get: () => value,
    set(next) {
      value = typeof next === "function" ? next(value) : next;
      subs.forEach((fn) => fn(value));
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

/** Re-render the calling component whenever the store changes. */
export function useStore(store) {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}
