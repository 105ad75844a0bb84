// The installable portal (issue 23): the service worker's registration (sw.js), the messages it sends
// (a notification's click: move to its page), and whether the device is online.
import { createStore } from "./lib.js";
import { navigate } from "./router.js";

/** navigator.onLine, kept current by the `online` and `offline` events. */
export const online = createStore(typeof navigator === "undefined" ? true : navigator.onLine !== false);
window.addEventListener("online", () => online.set(true));
window.addEventListener("offline", () => online.set(false));

/** Register /sw.js (scope /) once the page has loaded; nothing where service workers are not supported. */
export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  // A notification's click on a portal window already open: the worker asks it to move (sw.js openPortal).
  navigator.serviceWorker.addEventListener("message", (e) => {
    const m = e.data;
    if (!m || m.type !== "dvc:navigate" || typeof m.url !== "string") return;
    if (e.origin && e.origin !== location.origin) return;
    navigate(m.url); // refuses any target outside this portal
  });
  navigator.serviceWorker.startMessages();
  const register = () =>
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err) => console.warn("service worker not registered", err));
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}
