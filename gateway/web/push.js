// "Thông báo đẩy trên thiết bị này": the switch that subscribes this browser to push notifications
// (Web Push, docs/notify.md "Push"). On: the permission asked, the service worker (/sw.js, registered by
// app.js) subscribes with the server's VAPID key, and the subscription goes to notify; off: it is removed
// there and unsubscribed here. Hidden where the browser has no push (or no service worker).
import { html, useState, useEffect } from "./lib.js";
import { get, post, del, put } from "./api.js";
import { t } from "./i18n.js";
import { announce } from "./components.js";

const P = "/notifications/push";
const READY_MS = 10000; // how long to wait for the service worker before saying push is unavailable

export const pushSupported = () =>
  typeof window !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

/** The base64url VAPID key as the bytes pushManager.subscribe wants. */
function keyBytes(b64url) {
  const b64 = (b64url + "=".repeat((4 - (b64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function registration() {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("no service worker")), READY_MS));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

async function currentSubscription() {
  const reg = await navigator.serviceWorker.getRegistration();
  return reg ? reg.pushManager.getSubscription() : null;
}

async function subscribe() {
  if ((await Notification.requestPermission()) !== "granted") throw new Error("denied");
  const reg = await registration();
  const { public_key } = await get(`${P}/vapid-key`, { auth: false });
  const options = { userVisibleOnly: true, applicationServerKey: keyBytes(public_key) };
  let sub;
  try {
    sub = await reg.pushManager.subscribe(options);
  } catch (err) {
    // Subscribed before with another key (the server's key changed): start again with this one.
    const old = await reg.pushManager.getSubscription();
    if (!old) throw err;
    await old.unsubscribe();
    sub = await reg.pushManager.subscribe(options);
  }
  await post(`${P}/subscriptions`, sub.toJSON());
  // Switching a device on is choosing push: the preference follows (it may have been turned off).
  await put("/notifications/preferences", { push: true });
}

async function unsubscribe() {
  const sub = await currentSubscription();
  if (!sub) return;
  await del(`${P}/subscriptions`, { body: { endpoint: sub.endpoint } });
  await sub.unsubscribe();
}

export function PushSwitch() {
  const [on, setOn] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState("");
  const supported = pushSupported();
  useEffect(() => {
    if (!supported) return;
    currentSubscription()
      .then((sub) => setOn(Boolean(sub) && Notification.permission === "granted"))
      .catch(() => setOn(false));
  }, [supported]);
  if (!supported) return null;
  const toggle = async (e) => {
    const want = e.target.checked;
    setBusy(true);
    setNote("");
    try {
      if (want) await subscribe();
      else await unsubscribe();
      setOn(want);
      announce(t(want ? "push.on" : "push.off"));
    } catch (err) {
      setOn(!want);
      const denied = err && err.message === "denied";
      setNote(t(denied ? "push.denied" : "push.failed"));
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="push-switch" data-testid="push-switch">
    <div class="checkbox">
      <input type="checkbox" role="switch" id="push-on" checked=${on} disabled=${busy} onChange=${toggle} data-testid="push-toggle" aria-describedby="push-hint" />
      <label for="push-on">${t("push.label")}</label>
    </div>
    <p class="hint" id="push-hint">${t("push.hint")}</p>
    ${note ? html`<p class="error-msg" role="alert" data-testid="push-note">${note}</p>` : null}
  </div>`;
}
