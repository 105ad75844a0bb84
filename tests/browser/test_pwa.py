"""The installable portal (issue 23, part B) on a phone screen, checked as Lighthouse's PWA audits do:
the manifest and its icons, a service worker with a fetch handler controlling the page, the shell
rendered offline (and the offline page for any other address), no API answer in Cache Storage after
signed-in browsing, step 1 of a dossier kept on the device through a reload and sent once the connection
is back, and the push handlers of the notify service's payload."""

from __future__ import annotations

import base64
import io
import json
import re
from urllib.parse import urljoin, urlsplit

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

PHONE = (390, 844)
PROCEDURE = "1.004194"  # Đăng ký tạm trú (tests/browser/test_portal.py)
WARD = "Công an phường Lê Chân"
WARD_CODE = "000.01.G7.H26"
S = "/api/v1/submissions"


def phone(new_page) -> Page:
    return new_page(*PHONE, mobile=True)


def controlled(page: Page) -> str:
    """Wait until a service worker controls the page; its script's URL."""
    return page.evaluate(
        """async () => {
            await navigator.serviceWorker.ready;
            if (!navigator.serviceWorker.controller) {
                await new Promise((ok) => navigator.serviceWorker.addEventListener("controllerchange", ok, {once: true}));
            }
            return navigator.serviceWorker.controller.scriptURL;
        }"""
    )


def cached_urls(page: Page) -> dict[str, list[str]]:
    """Every URL in the page's Cache Storage, by cache name."""
    return page.evaluate(
        """async () => {
            const out = {};
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                out[name] = (await cache.keys()).map((r) => r.url);
            }
            return out;
        }"""
    )


def subject(token: str) -> str:
    """The access token's ``sub`` (the user id the portal keys its drafts with)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["sub"]


def sw_version(portal: str) -> str:
    text = httpx.get(f"{portal}/sw.js", timeout=30).text
    return re.search(r'^const VERSION = "([0-9a-f]{16})";$', text, re.MULTILINE).group(1)


def test_the_portal_is_installable_on_a_phone(new_page, portal, shot):
    page = phone(new_page)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Dịch vụ công trực tuyến thành phố Hải Phòng")

    # The page names its manifest, theme colour and home-screen icon.
    href = page.locator("link[rel=manifest]").get_attribute("href")
    assert href == "/manifest.webmanifest"
    expect(page.locator("meta[name=theme-color]")).to_have_attribute("content", "#9b1c1c")
    touch = page.locator("link[rel=apple-touch-icon]").get_attribute("href")

    # The manifest, fetched and parsed as the browser does.
    r = httpx.get(urljoin(portal + "/", href), timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(r.content.decode("utf-8"))
    assert manifest["name"] == "Dịch vụ công trực tuyến Hải Phòng"
    assert manifest["short_name"] == "DVC Hải Phòng"
    assert manifest["lang"] == "vi" and manifest["display"] == "standalone"
    scope = urljoin(portal + "/", manifest["scope"])
    start = urljoin(portal + "/", manifest["start_url"])
    assert scope == f"{portal}/" and start.startswith(scope), (scope, start)
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])

    # PNG icons of 192 and 512 pixels (and a maskable 512) that decode to those sizes; the SVG too.
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for icon in manifest["icons"]:
        got = httpx.get(urljoin(portal + "/", icon["src"]), timeout=30)
        assert got.status_code == 200, icon
        if icon["type"] == "image/png":
            assert got.headers["content-type"] == "image/png"
            img = Image.open(io.BytesIO(got.content))
            assert img.format == "PNG"
            w, h = (int(x) for x in icon["sizes"].split("x"))
            assert img.size == (w, h), icon
            found[(icon["sizes"], icon.get("purpose", "any"))] = img.size
        else:
            assert icon["type"] == "image/svg+xml" and got.content.lstrip().startswith(b"<svg")
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(found)
    apple = Image.open(io.BytesIO(httpx.get(urljoin(portal + "/", touch), timeout=30).content))
    assert apple.size == (180, 180) and apple.mode == "RGB"  # opaque: iOS fills transparency with black

    # A service worker (the site's root scope) controls the page...
    assert controlled(page) == f"{portal}/sw.js"
    reg = page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).scope")
    assert reg == f"{portal}/"
    # ... and has a fetch handler: a reload's navigation goes through it (Chromium skips a worker
    # without one), and the shell's files come from its cache.
    page.reload()
    expect(page.locator("h1")).to_have_text("Dịch vụ công trực tuyến thành phố Hải Phòng")
    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType("navigation")[0];
            const app = performance.getEntriesByName(new URL("/app.js", location.href).href)[0];
            return {nav: nav.workerStart, app: app ? app.workerStart : 0};
        }"""
    )
    assert timing["nav"] > 0 and timing["app"] > 0, timing

    # Chromium's own installability check (what Lighthouse asked it), and its parse of the manifest.
    cdp = page.context.new_cdp_session(page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["url"] == f"{portal}/manifest.webmanifest" and not parsed["errors"], parsed["errors"]
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    # A headless test browser's context counts as incognito, which Chromium never installs from.
    assert set(errors) <= {"in-incognito"}, errors
    shot(page, "pwa-01-home-phone")
    assert page.js_errors == []


def test_offline_the_shell_renders_and_another_address_gets_the_offline_page(new_page, portal, shot, axe):
    page = phone(new_page)
    page.goto("/")
    controlled(page)
    expect(page.get_by_test_id("offline-banner")).to_have_count(0)

    page.context.set_offline(True)
    # Really offline: the API cannot be reached (and the worker never answers it).
    assert page.evaluate("() => fetch('/api/v1/catalog/fields').then(() => 'answered', () => 'failed')") == (
        "failed"
    )
    page.reload()
    expect(page.get_by_test_id("brand")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Dịch vụ công trực tuyến thành phố Hải Phòng")
    banner = page.get_by_test_id("offline-banner")
    expect(banner).to_contain_text("Không có kết nối mạng")
    shot(page, "pwa-02-offline-home")

    # Another of the portal's routes, opened offline: the shell, and the page's own form.
    page.goto("/tra-cuu")
    expect(page.locator("h1")).to_have_text("Tra cứu hồ sơ")
    expect(banner).to_be_visible()

    # An address the portal has no page for: the offline page, Vietnamese first, then English.
    page.goto("/khong-co-trang-nay")
    offline = page.get_by_test_id("offline-page")
    expect(offline).to_be_visible()
    expect(page.locator("h1")).to_have_text("Không có kết nối mạng")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("[lang=en] h2")).to_have_text("You are offline")
    axe(page, "trang ngoại tuyến")
    shot(page, "pwa-03-offline-page")

    # Back online: the same addresses from the network again.
    page.context.set_offline(False)
    page.goto("/khong-co-trang-nay")
    expect(page.locator("h1")).to_have_text("Không tìm thấy trang")
    expect(page.get_by_test_id("offline-banner")).to_have_count(0)
    assert page.js_errors == []


def test_cache_storage_holds_no_api_answer_after_signed_in_browsing(
    new_page, portal, citizen_by_api, sign_in
):
    who = citizen_by_api("Phạm Thị Bộ Nhớ Đệm")
    page = phone(new_page)
    sign_in(page, who.citizen_id, who.password)
    controlled(page)
    for path, heading in (
        ("/ho-so", "Hồ sơ của tôi"),
        ("/thong-bao", "Thông báo"),
        ("/tai-khoan", "Tài khoản của tôi"),
        (f"/thu-tuc/{PROCEDURE}", "Đăng ký tạm trú"),
        (f"/nop-truc-tuyen/{PROCEDURE}", "Nộp hồ sơ trực tuyến"),
    ):
        page.goto(path)
        expect(page.locator("h1")).to_contain_text(heading)
    page.goto("/tim-kiem?q=tạm trú")
    expect(page.get_by_test_id("result-count")).to_contain_text("Tìm thấy")

    caches = cached_urls(page)
    # One cache, this deployment's version; the shell in it; nothing of the API, nothing with a query.
    assert list(caches) == [f"dvc-shell-{sw_version(portal)}"], list(caches)
    urls = next(iter(caches.values()))
    paths = {urlsplit(u).path for u in urls}
    assert {"/index.html", "/app.js", "/offline.html", "/styles.css", "/icons/icon-192.png"} <= paths
    assert not [u for u in urls if "/api/" in u or urlsplit(u).query], urls
    assert all(u.startswith(f"{portal}/") for u in urls)
    assert page.js_errors == []


def test_a_step_1_draft_survives_a_reload_and_reaches_the_server_once_back_online(
    new_page, portal, citizen_by_api, by_api, sign_in, shot, axe, listen
):
    who = citizen_by_api("Vũ Văn Mất Sóng")
    page = phone(new_page)
    said = listen(page)
    sign_in(page, who.citizen_id, who.password)
    controlled(page)
    page.goto(f"/nop-truc-tuyen/{PROCEDURE}")
    expect(page.get_by_test_id("submitter-full-name")).to_have_value(who.full_name)
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)  # nothing kept yet
    page.get_by_test_id("agency-select").select_option(label=WARD)
    page.get_by_test_id("submitter-dob").fill("19/05/1990")
    page.get_by_test_id("submitter-address").fill("Số 12 Tô Hiệu, phường Lê Chân, Hải Phòng")
    page.get_by_test_id("submitter-email").fill("mat.song@example.vn")

    # A reload (the tab killed, the phone restarted): the form as it was typed.
    page.reload()
    expect(page.get_by_test_id("draft-restored")).to_contain_text("Đã khôi phục thông tin bạn nhập trước đó")
    expect(page.get_by_test_id("submitter-dob")).to_have_value("19/05/1990")
    expect(page.get_by_test_id("submitter-address")).to_have_value("Số 12 Tô Hiệu, phường Lê Chân, Hải Phòng")
    expect(page.get_by_test_id("submitter-email")).to_have_value("mat.song@example.vn")
    expect(page.get_by_test_id("agency-select")).to_have_value(re.compile(r".+"))
    axe(page, "bước 1 khôi phục")

    # Kept per user and procedure, step 1's fields only.
    kept = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('dvc.draft1.'))"
        ".map((k) => [k, JSON.parse(localStorage.getItem(k))])"
    )
    assert len(kept) == 1, kept
    key, record = kept[0]
    assert key == f"dvc.draft1.{subject(who.token)}.new:{PROCEDURE}", key
    assert set(record["values"]) == {"submitter", "hasOwner", "owner", "forOrg", "caseName", "agency"}
    assert record["values"]["submitter"]["address"] == "Số 12 Tô Hiệu, phường Lê Chân, Hải Phòng"

    # Offline, "Tiếp tục": the step waits, said in Vietnamese, and nothing reaches the server.
    page.context.set_offline(True)
    page.get_by_test_id("step1-next").click()
    waiting = page.get_by_test_id("draft-waiting")
    expect(waiting).to_contain_text("Không có kết nối mạng")
    expect(waiting).to_contain_text("sẽ tự động được gửi khi có mạng trở lại")
    said.expect("sẽ tự động được gửi khi có mạng trở lại")
    shot(page, "pwa-04-step1-waiting")
    mine = by_api.http.get(f"{S}/dossiers", headers=who.auth)
    assert mine.status_code == 200 and mine.json()["items"] == [], mine.text

    # Reloaded while still offline: the shell, the form from the copy kept here, still waiting.
    page.reload()
    expect(page.get_by_test_id("draft-offline-copy")).to_be_visible()
    expect(page.get_by_test_id("submitter-address")).to_have_value("Số 12 Tô Hiệu, phường Lê Chân, Hải Phòng")
    expect(page.get_by_test_id("draft-waiting")).to_be_visible()
    axe(page, "bước 1 ngoại tuyến")
    shot(page, "pwa-05-step1-offline-reload")

    # The connection is back: the draft is created with what was typed, and the wizard goes on.
    page.context.set_offline(False)
    expect(page).to_have_url(re.compile(r"/ho-so/[0-9a-f-]{36}\?buoc=2$"), timeout=30_000)
    expect(page.get_by_test_id("step-2")).to_have_attribute("aria-current", "step")
    dossier_id = re.search(r"/ho-so/([0-9a-f-]{36})", page.url).group(1)
    d = by_api.http.get(f"{S}/dossiers/{dossier_id}", headers=who.auth)
    assert d.status_code == 200, d.text
    person = d.json()["applicant"]["submitter"]
    assert person["address"] == "Số 12 Tô Hiệu, phường Lê Chân, Hải Phòng"
    assert person["date_of_birth"] == "1990-05-19" and person["email"] == "mat.song@example.vn"
    mine = by_api.http.get(f"{S}/dossiers", headers=who.auth).json()["items"]
    assert [x["id"] for x in mine] == [dossier_id]  # one draft, however often it was sent
    # The server has it: nothing is kept on the device any more.
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('dvc.draft1.'))") == []
    assert page.js_errors == []


def test_a_push_message_is_shown_and_its_link_stays_on_the_portal(new_page, portal):
    page = phone(new_page)
    page.context.grant_permissions(["notifications"], origin=portal)
    page.goto("/")
    controlled(page)

    # A push message as the push service delivers it to the worker (DevTools' "Push" button).
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if any(r["scopeURL"] == f"{portal}/" and not r["isDeleted"] for r in registrations):
            break
        page.wait_for_timeout(100)
    reg = next(r for r in registrations if r["scopeURL"] == f"{portal}/" and not r["isDeleted"])

    def push(payload: dict) -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": portal, "registrationId": reg["registrationId"], "data": json.dumps(payload)},
        )

    def shown(tag: str) -> dict:
        for _ in range(100):
            got = page.evaluate(
                """async (tag) => {
                    const reg = await navigator.serviceWorker.ready;
                    return (await reg.getNotifications({tag})).map((n) => ({title: n.title, body: n.body,
                        tag: n.tag, data: n.data, icon: n.icon, badge: n.badge, lang: n.lang}));
                }""",
                tag,
            )
            if got:
                return got[0]
            page.wait_for_timeout(100)
        raise AssertionError(f"no notification tagged {tag}")

    # The notify service's payload, exactly: {title, body, url, tag, id, lang}.
    push(
        {
            "title": "Nộp hồ sơ thành công",
            "body": "Hồ sơ H26.01-251205-0001 đã được nộp.",
            "url": "/ho-so/0b8f1c2e-1111-4222-8333-444455556666",
            "tag": "dossier-0b8f1c2e",
            "id": "n-1",
            "lang": "vi",
        }
    )
    n = shown("dossier-0b8f1c2e")
    assert n["title"] == "Nộp hồ sơ thành công" and n["body"] == "Hồ sơ H26.01-251205-0001 đã được nộp."
    assert n["data"] == {"url": "/ho-so/0b8f1c2e-1111-4222-8333-444455556666", "id": "n-1"}
    assert n["icon"] == f"{portal}/icons/icon-192.png" and n["badge"] == f"{portal}/icons/badge-96.png"
    assert n["lang"] == "vi"
    # A link to another site is never followed: the notification opens the portal's home instead.
    push(
        {
            "title": "Status",
            "body": "x",
            "url": "https://evil.example/phish",
            "tag": "t-evil",
            "id": "n-2",
            "lang": "en",
        }
    )
    evil = shown("t-evil")
    assert evil["data"]["url"] == "/" and evil["lang"] == "en"
    push({"title": "x", "body": "y", "url": "//evil.example/x", "tag": "t-evil2", "id": "n-3", "lang": "vi"})
    assert shown("t-evil2")["data"]["url"] == "/"

    # The click: the worker brings the open portal window to the notification's page (sw.js openPortal;
    # focusing needs a real click's activation, which a test cannot give: that part may be refused).
    worker = next(w for w in page.context.service_workers if w.url == f"{portal}/sw.js")
    worker.evaluate("() => openPortal('/chi-so').catch(() => null)")
    expect(page).to_have_url(f"{portal}/chi-so")
    expect(page.locator("h1")).to_contain_text("Chỉ số phục vụ")
    # A message naming another site moves nothing.
    worker.evaluate(
        """() => self.clients.matchAll({type: "window"}).then((cs) =>
            cs.forEach((c) => c.postMessage({type: "dvc:navigate", url: "//evil.example/x"})))"""
    )
    page.wait_for_timeout(300)
    expect(page).to_have_url(f"{portal}/chi-so")
    assert [e for e in page.js_errors if "navigate: refused" not in e] == []


def test_the_gateway_serves_the_worker_and_the_manifest_with_their_headers(portal):
    with httpx.Client(base_url=portal, timeout=30) as http:
        sw = http.get("/sw.js")
        assert sw.status_code == 200 and sw.headers["content-type"].startswith("application/javascript")
        assert sw.headers["cache-control"] == "no-cache" and sw.headers["service-worker-allowed"] == "/"
        csp = sw.headers["content-security-policy"]
        assert "worker-src 'self'" in csp and "default-src 'self'" in csp
        assert sw.headers["x-content-type-options"] == "nosniff"
        m = http.get("/manifest.webmanifest")
        assert m.status_code == 200 and m.headers["content-type"].startswith("application/manifest+json")
        assert (
            m.headers["cache-control"] == "no-cache"
            and "manifest-src 'self'" in m.headers["content-security-policy"]
        )
        assert json.loads(m.content)["short_name"] == "DVC Hải Phòng"
        off = http.get("/offline.html")
        assert off.status_code == 200 and off.headers["content-type"].startswith("text/html")
        assert "<script" not in off.text and "style=" not in off.text and "<style" not in off.text


def test_step_1_of_an_open_draft_is_kept_through_a_reload_until_saved(
    new_page, citizen_by_api, by_api, sign_in
):
    who = citizen_by_api("Lê Thị Nháp Mở")
    made = by_api.http.post(
        f"{S}/dossiers", json={"procedure_code": PROCEDURE, "agency_code": WARD_CODE}, headers=who.auth
    )
    assert made.status_code == 201, made.text
    dossier_id = made.json()["id"]
    page = phone(new_page)
    sign_in(page, who.citizen_id, who.password)
    page.goto(f"/ho-so/{dossier_id}?buoc=1")
    expect(page.get_by_test_id("step-1")).to_have_attribute("aria-current", "step")
    page.get_by_test_id("submitter-dob").fill("02/09/1985")
    page.get_by_test_id("submitter-address").fill("Số 3 Điện Biên Phủ, phường Hồng Bàng, Hải Phòng")
    # Saved by an effect after the next render: a reload in the same instant would come before it.
    page.wait_for_function(
        "() => Object.keys(localStorage).some((k) => k.startsWith('dvc.draft1.')"
        " && localStorage.getItem(k).includes('Điện Biên Phủ'))"
    )
    page.reload()
    expect(page.get_by_test_id("draft-restored")).to_be_visible()
    expect(page.get_by_test_id("submitter-address")).to_have_value(
        "Số 3 Điện Biên Phủ, phường Hồng Bàng, Hải Phòng"
    )
    keys = page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('dvc.draft1.'))")
    assert keys == [f"dvc.draft1.{subject(who.token)}.dossier:{dossier_id}"], keys

    # "Xóa thông tin đã lưu và nhập lại": the form as the server has it, nothing kept.
    page.get_by_test_id("draft-discard").click()
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)
    expect(page.get_by_test_id("submitter-address")).to_have_value("")
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('dvc.draft1.'))") == []

    # Typed again and saved: the server has it, the device keeps nothing.
    page.get_by_test_id("submitter-dob").fill("02/09/1985")
    page.get_by_test_id("submitter-address").fill("Số 5 Điện Biên Phủ, phường Hồng Bàng, Hải Phòng")
    page.get_by_test_id("step1-next").click()
    expect(page).to_have_url(re.compile(rf"/ho-so/{dossier_id}\?buoc=2$"))
    d = by_api.http.get(f"{S}/dossiers/{dossier_id}", headers=who.auth).json()
    assert d["applicant"]["submitter"]["address"] == "Số 5 Điện Biên Phủ, phường Hồng Bàng, Hải Phòng"
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('dvc.draft1.'))") == []
    assert page.js_errors == []
