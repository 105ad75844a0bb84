// One-time messages and hand-overs between pages (a success message after a redirect, the receipt of
// a submission for the success page).
import { createStore } from "./lib.js";

export const flash = createStore(null);
const carry = new Map();

/** A message the next page shows once: {kind: "success"|"info"|"error", text}. */
export const setFlash = (kind, text) => flash.set({ kind, text, at: Date.now() });
export function takeFlash() {
  const f = flash.get();
  if (f) flash.set(null);
  return f;
}

/** Hand something to the page that opens next (kept in memory only). */
export const handOver = (key, value) => carry.set(key, value);
export const receive = (key) => {
  const v = carry.get(key);
  carry.delete(key);
  return v;
};
