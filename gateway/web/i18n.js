// Vietnamese first, English on request; the choice is remembered (localStorage) and sets <html lang>.
import { createStore, useStore } from "./lib.js";
import { MESSAGES } from "./messages.js";

const KEY = "dvc.lang";
const initial = (() => {
  try {
    return localStorage.getItem(KEY) === "en" ? "en" : "vi";
  } catch {
    return "vi";
  }
})();

export const lang = createStore(initial);
document.documentElement.lang = initial;

export const getLang = () => lang.get();
export const useLang = () => useStore(lang);

export function setLang(next) {
  const value = next === "en" ? "en" : "vi";
  try {
    localStorage.setItem(KEY, value);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = value;
  lang.set(value);
}

/** t("wizard.step", {n: 2}) → the message in the current language, {name} placeholders filled. */
export function t(key, params) {
  const entry = MESSAGES[key];
  let s = entry ? entry[lang.get() === "en" ? 1 : 0] : key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}

/** A {vi, en} object from the API in the current language. */
export const pick = (o) => (o ? (lang.get() === "en" ? o.en || o.vi : o.vi || o.en) : "");

const TZ = "Asia/Ho_Chi_Minh";
const parts = (iso, opts) => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const out = {};
  for (const p of new Intl.DateTimeFormat("en-GB", { timeZone: TZ, hourCycle: "h23", ...opts }).formatToParts(d))
    out[p.type] = p.value;
  return out;
};

/** "17:00 ngày 03/12/2026" / "17:00, 03/12/2026" (Vietnam time). */
export function formatDateTime(iso) {
  if (!iso) return "";
  const p = parts(iso, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  if (!p) return "";
  const day = `${p.day}/${p.month}/${p.year}`;
  return lang.get() === "en" ? `${p.hour}:${p.minute}, ${day}` : `${p.hour}:${p.minute} ngày ${day}`;
}

/** "03/12/2026". */
export function formatDate(iso) {
  if (!iso) return "";
  const p = parts(iso, { year: "numeric", month: "2-digit", day: "2-digit" });
  return p ? `${p.day}/${p.month}/${p.year}` : "";
}

/** 7000 → "7.000 đ" / "VND 7,000". */
export function formatMoney(amount, currency = "VND") {
  const n = Number(amount) || 0;
  if (lang.get() === "en") return `${currency} ${n.toLocaleString("en-US")}`;
  return currency === "VND" ? `${n.toLocaleString("vi-VN")} đ` : `${n.toLocaleString("vi-VN")} ${currency}`;
}

/** 10485760 → "10 MB". */
export function formatBytes(n) {
  const v = Number(n) || 0;
  const sep = lang.get() === "en" ? "." : ",";
  const fmt = (x) => (Math.round(x * 10) / 10).toString().replace(".", sep);
  if (v >= 1024 * 1024) return `${fmt(v / 1024 / 1024)} MB`;
  if (v >= 1024) return `${fmt(v / 1024)} KB`;
  return `${v} B`;
}

/** 15.25 → "15,3" / "15.3" (at most `digits` decimals); null → "—". */
export function formatNumber(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return "—";
  return Number(n).toLocaleString(lang.get() === "en" ? "en-US" : "vi-VN", { maximumFractionDigits: digits });
}

/** 0.853 → "85,3 %" / "85.3%"; null → "—". */
export function formatPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || Number.isNaN(Number(ratio))) return "—";
  const n = formatNumber(Number(ratio) * 100, digits);
  return lang.get() === "en" ? `${n}%` : `${n} %`;
}

/** "2026-07" → "07/2026". */
export function formatMonth(month) {
  const m = /^(\d{4})-(\d{2})$/.exec(month || "");
  return m ? `${m[2]}/${m[1]}` : month || "";
}

/** Today in Vietnam, "YYYY-MM-DD". */
export function todayLocal() {
  const p = parts(new Date().toISOString(), { year: "numeric", month: "2-digit", day: "2-digit" });
  return `${p.year}-${p.month}-${p.day}`;
}

/** "2026-12-04" → "04/12/2026" (a local day as the API gives it, no time zone to apply). */
export function formatDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || "");
  return m ? `${m[3]}/${m[2]}/${m[1]}` : day || "";
}
