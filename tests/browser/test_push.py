"""The push switch on /thong-bao ("Thông báo đẩy trên thiết bị này", gateway/web/push.js) on a phone.

Headless Chromium has no push service it can reach here (its own is Google's), so the browser's side of
`pushManager.subscribe` is played by the stack's local push service (devstack.pushsvc): the page's
`navigator.serviceWorker` and `pushManager` are replaced before it loads by a stand-in that hands out a
subscription the local push service made (its keys are that service's, so it decrypts what notify sends).
Everything else is the portal's own code: the permission asked, the VAPID key fetched without a token and
given as `applicationServerKey`, the subscription posted, the preference set; off removes it. Then a filed
dossier reaches that push service, decrypted."""

from __future__ import annotations

import base64
import json
import time

import httpx
from playwright.sync_api import expect

PROCEDURE = "1.004194"
WARD = "000.01.G4.H26"
PDF = b"%PDF-1.4\n" + b"x" * 600

STAND_IN = """
(() => {
  const sub = %s;
  let current = null;
  const pushManager = {
    async subscribe(options) {
      const key = new Uint8Array(options.applicationServerKey);
      window.__pushOptions = { userVisibleOnly: options.userVisibleOnly, key: btoa(String.fromCharCode(...key)) };
      current = { endpoint: sub.endpoint, toJSON: () => sub, unsubscribe: async () => { current = null; return true; } };
      return current;
    },
    async getSubscription() { return current; },
  };
  const registration = { pushManager, scope: "/" };
  const container = {
    ready: Promise.resolve(registration),
    getRegistration: async () => registration,
    register: async () => registration,
    addEventListener() {},
    removeEventListener() {},
    startMessages() {},
    controller: null,
  };
  Object.defineProperty(Navigator.prototype, "serviceWorker", { get: () => container, configurable: true });
})();
"""


def test_a_citizen_switches_push_on_and_off_on_a_phone(
    stack, new_page, citizen_by_api, by_api, sign_in, axe, shot
):
    who = citizen_by_api("Lã Thị Đẩy")
    key = httpx.get(f"{stack.url}/api/v1/notifications/push/vapid-key").json()["public_key"]
    device = stack.infra.push_subscription(key)
    page = new_page(390, 844, mobile=True)
    page.context.grant_permissions(["notifications"])
    page.add_init_script(STAND_IN % json.dumps(device))
    sign_in(page, who.citizen_id, who.password)
    page.goto("/thong-bao")
    switch = page.get_by_role("switch", name="Thông báo đẩy trên thiết bị này")
    expect(switch).not_to_be_checked()
    axe(page, "push-switch")
    switch.click()
    expect(switch).to_be_checked()
    expect(switch).to_be_enabled()
    options = page.evaluate("window.__pushOptions")
    assert options["userVisibleOnly"] is True
    assert base64.b64decode(options["key"]) == base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    mine = httpx.get(f"{stack.url}/api/v1/notifications/push/subscriptions", headers=who.auth).json()["items"]
    assert len(mine) == 1 and device["endpoint"].startswith(mine[0]["endpoint"].rstrip("…"))
    prefs = httpx.get(f"{stack.url}/api/v1/notifications/preferences", headers=who.auth).json()
    assert prefs["push"] is True
    shot(page, "push-switch-on")

    # A dossier filed: its push reaches the device's push service, decrypted.
    d = by_api.draft(who, PROCEDURE, WARD, date_of_birth="1988-08-08", address="Số 5 Lạch Tray, Hải Phòng")
    by_api.attach(who, d, lambda _, cid: ("giay-to.pdf", PDF + cid.encode(), "application/pdf"))
    code = by_api.submit(who, d)["code"]
    deadline = time.monotonic() + 60
    while True:
        got = [m for m in stack.infra.push_messages(device["endpoint"])["messages"] if code in m["text"]]
        if got:
            break
        assert time.monotonic() < deadline, "no push for the filed dossier"
        time.sleep(0.3)
    assert got[0]["json"]["url"] == f"/ho-so/{d['id']}"

    switch.click()
    expect(switch).not_to_be_checked()
    expect(switch).to_be_enabled()
    mine = httpx.get(f"{stack.url}/api/v1/notifications/push/subscriptions", headers=who.auth).json()["items"]
    assert mine == []
    assert page.js_errors == []


def test_the_switch_is_hidden_where_the_browser_has_no_push(stack, new_page, citizen_by_api, sign_in):
    who = citizen_by_api("Lã Văn Không")
    page = new_page(390, 844, mobile=True)
    page.add_init_script("delete window.PushManager;")
    sign_in(page, who.citizen_id, who.password)
    page.goto("/thong-bao")
    expect(page.locator("h1")).to_have_text("Thông báo")
    expect(page.get_by_test_id("read-all")).to_be_visible()
    expect(page.get_by_test_id("push-switch")).to_have_count(0)
