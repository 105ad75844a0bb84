"""Step 2's resumable upload (tus) in the browser, on a phone: a slow upload paused part way, the
server keeping what arrived, resumed from there to a file identical to the one chosen (sha256)."""

from __future__ import annotations

import hashlib
import json
import os
import time

import httpx
from playwright.sync_api import expect

PROCEDURE = "1.004194"  # Đăng ký tạm trú
WARD_CODE = "000.01.G7.H26"
ADDRESS = "Số 25 Lạch Tray, phường Lê Chân, Hải Phòng"
S = "/api/v1/submissions"


def test_a_paused_upload_resumes_where_it_stopped(
    new_page, shot, citizen_by_api, by_api, sign_in, tmp_path, portal
):
    who = citizen_by_api("Phạm Thị Thu Trang")
    d = by_api.draft(who, PROCEDURE, WARD_CODE, date_of_birth="1991-04-12", address=ADDRESS)
    scan = tmp_path / "so-do-ban-scan.pdf"
    data = b"%PDF-1.4\n" + os.urandom(8 * 1024 * 1024)
    scan.write_bytes(data)

    page = new_page(390, 844, mobile=True)
    sign_in(page, who.citizen_id, who.password, until="bell")
    page.goto(f"/ho-so/{d['id']}?buoc=2")
    comps = page.get_by_test_id("component")
    expect(comps.first).to_be_visible()
    comp = next(
        comps.nth(i)
        for i in range(comps.count())
        if ".pdf" in (comps.nth(i).get_by_test_id("file-input").get_attribute("accept") or "")
    )
    # A phone on a slow uplink: 1 MB/s, so the 8 MB scan takes a while.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 1024 * 1024}
    cdp.send("Network.emulateNetworkConditions", slow)
    comp.get_by_test_id("file-input").set_input_files(str(scan))
    expect(comp.get_by_test_id("upload-progress")).to_be_visible()
    progress = comp.locator("progress")
    deadline = time.monotonic() + 30
    while int(progress.get_attribute("value") or 0) < 15 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    comp.get_by_test_id("upload-pause").click()
    expect(comp.get_by_test_id("upload-resume")).to_be_visible()
    expect(comp.get_by_test_id("upload-paused")).to_contain_text("Đã tạm dừng")
    shot(page, "upload-paused")

    # tus-js-client keeps the upload's URL (to resume it, even after a reload); the server has a part of it.
    stored = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('tus::')).map((k) => localStorage.getItem(k))"
    )
    assert len(stored) == 1
    url = json.loads(stored[0])["uploadUrl"]

    def offset() -> int:
        with httpx.Client(base_url=portal, timeout=30) as http:
            r = http.head(url, headers={**who.auth, "Tus-Resumable": "1.0.0"})
            assert r.status_code == 200, r.status_code
            return int(r.headers["upload-offset"])

    deadline = time.monotonic() + 20
    kept = offset()
    while kept == 0 and time.monotonic() < deadline:  # the broken PATCH is recorded as it ends
        time.sleep(0.3)
        kept = offset()
    assert 0 < kept < len(data)

    cdp.send("Network.emulateNetworkConditions", {**slow, "uploadThroughput": -1, "latency": 0})
    comp.get_by_test_id("upload-resume").click()
    expect(comp.get_by_test_id("attachment")).to_have_count(1, timeout=60_000)
    expect(comp.get_by_test_id("upload-progress")).to_have_count(0)
    shot(page, "upload-resumed")
    full = by_api.http.get(f"{S}/dossiers/{d['id']}", headers=who.auth).json()
    (att,) = [a for a in full["attachments"] if a["name"] == scan.name]
    assert att["sha256"] == hashlib.sha256(data).hexdigest() and att["size"] == len(data)
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('tus::')).length") == 0
