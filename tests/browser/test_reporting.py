"""What leaders and citizens see of the whole (issue 21), in a browser.

A leader of the city's People's Committee and of Kiến An's police opens "Báo cáo, chỉ số": the score, the
six indexes of Decision 766 and the counts are the reporting API's for the dossiers this test files and
moves through the API (one returned on time, one refused, one open); the trend is drawn with its table
behind it; the ranking of agencies is there (a city leader's); a count opens the dossiers behind it; a
field narrows the report; the XLSX downloads. The public scorecard (/chi-so) opens without signing in,
from the footer, its communes searchable and sortable. A citizen rates a returned dossier from the
tracking page's invitation and "Hồ sơ của tôi", at /ho-so/<id>#danh-gia, and sees the rating kept; the
agency's leader sees it on the officer's page. axe-core checks every screen."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import httpx
from playwright.sync_api import expect

from devstack.client import result_pdf, sign_in_sync

PROCEDURE = "1.004194"  # Đăng ký tạm trú
KIEN_AN = "000.01.H1.H26"  # Công an phường Kiến An
CITY = "000.00.00.H26"  # Ủy ban nhân dân thành phố Hải Phòng
UNIT = f"agency:{KIEN_AN}"
S = "/api/v1/submissions"
R = "/api/v1/reporting"


def vn(n: float | None, digits: int = 1) -> str:
    """A number as the portal writes it in Vietnamese (Intl vi-VN, at most ``digits`` decimals, halves
    away from zero): "15,3", "1.234"; None as "—"."""
    if n is None:
        return "—"
    q = Decimal(repr(float(n))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{abs(q):f}".partition(".")
    frac = frac.rstrip("0")
    text = f"{int(whole):,}".replace(",", ".") + (f",{frac}" if frac else "")
    return f"-{text}" if q < 0 else text


def fold(s: str) -> str:
    """Without diacritics, lower case, đ as d: how the scorecard's search compares names."""
    return (
        "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
        .replace("đ", "d")
        .replace("Đ", "D")
        .lower()
    )


def eventually(check: Callable[[], object], seconds: float = 40, what: str = "") -> object:
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"never true: {what}"
        time.sleep(0.5)


class Desk:
    """An officer's and a leader's API calls on the dossiers of the test (the screens are tested elsewhere)."""

    def __init__(self, http: httpx.Client, officer: dict, leader: dict) -> None:
        self.http = http
        tokens, _ = sign_in_sync(http, officer["username"], officer["password"], officer["totp_secret"])
        self.officer = {"Authorization": f"Bearer {tokens['access_token']}"}
        self.officer_id = officer["id"]
        tokens, _ = sign_in_sync(http, leader["username"], leader["password"], leader["totp_secret"])
        self.leader = {"Authorization": f"Bearer {tokens['access_token']}"}

    def act(self, dossier_id: str, action: str, who: dict | None = None, **kw) -> dict:
        who = who or self.officer
        d = self.http.get(f"{S}/officer/dossiers/{dossier_id}", headers=who).json()
        r = self.http.post(
            f"{S}/dossiers/{dossier_id}/actions/{action}", headers=who | {"If-Match": f'"{d["rev"]}"'}, **kw
        )
        assert r.is_success, (action, r.text)
        return r.json()

    def accept(self, dossier_id: str) -> None:
        self.act(dossier_id, "accept", json={"assignee": self.officer_id, "note": "Hồ sơ đầy đủ, hợp lệ."})

    def to_returned(self, dossier_id: str) -> None:
        """Accepted, proposed with its result, approved by the leader, returned: status 10, on time."""
        self.accept(dossier_id)
        d = self.http.get(f"{S}/officer/dossiers/{dossier_id}", headers=self.officer).json()
        if "propose" not in d["actions"] and "start" in d["actions"]:
            self.act(dossier_id, "start", json={})
        self.act(
            dossier_id,
            "propose",
            data={"note": "Đủ điều kiện; trình lãnh đạo ký.", "outcome": "grant"},
            files={
                "file": ("ket-qua.pdf", result_pdf("GIẤY XÁC NHẬN", "Đã đăng ký tạm trú"), "application/pdf")
            },
        )
        self.act(dossier_id, "approve", who=self.leader, json={"note": "Đồng ý."})
        self.act(dossier_id, "return-result", json={})

    def refuse(self, dossier_id: str) -> None:
        self.act(dossier_id, "refuse", json={"reason": "Hồ sơ không thuộc thẩm quyền giải quyết của phường."})


def file_dossier(by_api, who, files) -> tuple[str, str]:
    d = by_api.draft(
        who, PROCEDURE, KIEN_AN, date_of_birth="1988-09-02", address="Số 3 Trần Thành Ngọ, Kiến An"
    )
    f = files["pdf"]
    by_api.attach(who, d, lambda _i, _cid: (f.name, f.read_bytes(), "application/pdf"))
    return d["id"], by_api.submit(who, d)["code"]


def reported_codes(http: httpx.Client, admin: dict, metric: str, **params: str) -> set[str]:
    r = http.get(
        f"{R}/dossiers", params={"unit": UNIT, "metric": metric, "limit": 100, **params}, headers=admin
    )
    assert r.status_code == 200, r.text
    return {i["code"] for i in r.json()["items"]}


def test_a_leader_reads_the_indexes_drills_down_and_downloads(
    new_page, staff, portal, by_api, citizen_by_api, sample_files, sign_in, axe, shot
):
    who = citizen_by_api(
        "Lương Thị Chỉ Số", id_prefix="0322", phone_prefix="096", password="Kien-An-{n}-Report"
    )
    returned_id, returned_code = file_dossier(by_api, who, sample_files)
    refused_id, refused_code = file_dossier(by_api, who, sample_files)
    _open_id, open_code = file_dossier(by_api, who, sample_files)
    officer = staff.create_officer([KIEN_AN], full_name="Phan Văn Một Cửa")
    boss = staff.create_officer([CITY, KIEN_AN], roles=["leader"], full_name="Vũ Thị Lãnh Đạo Thành Phố")
    admin = {"Authorization": f"Bearer {staff.token}"}
    with httpx.Client(base_url=portal, timeout=60) as http:
        desk = Desk(http, officer, boss)
        desk.to_returned(returned_id)
        desk.refuse(refused_id)
        desk.accept(_open_id)
        # The reporting service has heard of all three (events, then its read models).
        eventually(
            lambda: {returned_code, refused_code, open_code} <= reported_codes(http, admin, "received"),
            what="the three dossiers received",
        )
        eventually(lambda: returned_code in reported_codes(http, admin, "finished"), what="returned counted")
        eventually(lambda: refused_code in reported_codes(http, admin, "refused"), what="refused counted")
        api = http.get(f"{R}/indexes", params={"unit": UNIT}, headers=admin).json()
        drill = http.get(f"{R}/dossiers", params={"unit": UNIT, "metric": "refused"}, headers=admin).json()
        field = next(i["field"] for i in drill["items"] if i["code"] == refused_code)

    page = new_page()
    sign_in(page, boss["username"], boss["password"], totp=boss["totp_secret"])
    page.get_by_test_id("nav-reports").click()
    expect(page.locator("h1")).to_have_text("Báo cáo, chỉ số phục vụ")
    expect(page.get_by_test_id("nav-reports")).to_have_attribute("aria-current", "page")
    unit = page.get_by_test_id("report-unit")
    expect(unit.locator(f"option[value='{UNIT}']")).to_have_count(1)
    expect(unit.locator("option[value='city']")).to_have_count(1)  # a leader of the city's committee
    unit.select_option(UNIT)
    page.get_by_test_id("report-apply").click()
    expect(page).to_have_url(re.compile(r"/bao-cao\?.*don-vi=agency"))
    summary = page.get_by_test_id("report-summary")
    expect(summary).to_contain_text("Công an phường Kiến An")

    # The numbers are the API's (same unit, same default period: this month to today).
    counts = page.get_by_test_id("report-counts")
    for key in ("received", "finished", "finished_on_time", "refused", "open_within"):
        expect(counts.get_by_test_id(f"count-{key}")).to_have_attribute("data-value", str(api["counts"][key]))
    assert api["counts"]["received"] >= 3 and api["counts"]["finished"] >= 1 and api["counts"]["refused"] >= 1
    score = "Không đo được" if api["score"] is None else vn(api["score"])
    expect(page.get_by_test_id("report-score")).to_have_text(score)
    cards = page.get_by_test_id("report-indexes").get_by_test_id("index")
    expect(cards).to_have_count(6)
    for ix in api["indexes"]:
        card = page.locator(f"[data-testid=index][data-key={ix['key']}]")
        value = "Không đo được" if ix["value"] is None else f"{vn(ix['value'])} / {ix['max']} điểm"
        expect(card.get_by_test_id("index-value")).to_have_text(value)
        for c in ix["components"]:
            if c["denominator"]:
                cell = card.locator(f"[data-testid=component][data-key={c['key']}]").get_by_test_id(
                    "component-counts"
                )
                expect(cell).to_contain_text(f"{vn(c['numerator'], 0)} / {vn(c['denominator'], 0)}")
    progress = next(ix for ix in api["indexes"] if ix["key"] == "progress")
    assert progress["components"][0]["denominator"] >= 1  # our returned dossier, finished on time

    # The charts: drawn, each with its table (hidden until asked for, read by screen readers all along).
    trend = page.get_by_test_id("trend-score")
    expect(trend).to_have_attribute("data-drawn", "true")
    expect(trend.locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("trend-score-table").locator("caption")).to_contain_text("Bảng số liệu")
    page.get_by_test_id("trend-score-toggle").click()
    expect(page.get_by_test_id("trend-score-toggle")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("trend-score-table").locator("tbody tr").first).to_be_visible()
    expect(page.get_by_test_id("trend-counts")).to_have_attribute("data-drawn", "true")
    # The ranking (a city leader's), agencies then communes; the overdue list.
    ranking = page.get_by_test_id("report-ranking")
    expect(ranking.get_by_test_id("ranking-row").first).to_be_visible()
    expect(page.get_by_test_id("report-overdue")).to_be_visible()
    axe(page, "báo cáo, chỉ số")
    shot(page, "reporting-01-leader-report")
    if ranking.get_by_test_id("ranking-all").count():  # the first twenty shown; every agency on request
        ranking.get_by_test_id("ranking-all").click()
        expect(ranking.get_by_test_id("ranking-row").nth(20)).to_be_visible()
    expect(ranking.locator(f"[data-testid=ranking-row][data-unit='{UNIT}']")).to_have_count(1)
    page.get_by_test_id("rank-commune").check()
    expect(ranking.get_by_test_id("ranking-table")).to_have_attribute("data-kind", "commune")

    # A count opens its dossiers: the refused one is there, with its code; the list takes the focus.
    counts.get_by_test_id("count-refused").click()
    drill_list = page.get_by_test_id("drill")
    expect(drill_list).to_have_attribute("data-metric", "refused")
    expect(page.locator("#drill-title")).to_be_focused()
    expect(drill_list.get_by_test_id("drill-total")).to_have_attribute(
        "data-total", str(api["counts"]["refused"])
    )
    expect(drill_list.locator(f"[data-testid=drill-row][data-code='{refused_code}']")).to_have_count(1)
    axe(page, "báo cáo: danh sách hồ sơ từ chối")
    shot(page, "reporting-02-drill-down")
    page.get_by_test_id("drill-close").click()
    expect(page.get_by_test_id("drill")).to_have_count(0)

    # The XLSX of what is shown, fetched with the token and saved.
    with page.expect_download() as dl:
        page.get_by_test_id("report-xlsx").click()
    assert dl.value.suggested_filename.endswith(".xlsx")
    assert dl.value.path().read_bytes().startswith(b"PK")  # an Office Open XML package (zip)
    with page.expect_download() as dl:
        page.get_by_test_id("report-csv").click()
    assert dl.value.suggested_filename.endswith(".csv")

    # A field narrows the report to it: the counts are the API's for that field.
    assert field, "the procedure's field (lĩnh vực) is on its dossiers"
    page.get_by_test_id("report-field").select_option(field)
    page.get_by_test_id("report-apply").click()
    expect(page).to_have_url(re.compile(r"linh-vuc="))
    with httpx.Client(base_url=portal, timeout=60) as http:
        narrowed = http.get(f"{R}/indexes", params={"unit": UNIT, "field": field}, headers=admin).json()
    expect(page.get_by_test_id("report-period")).to_contain_text(field)
    expect(counts.get_by_test_id("count-received")).to_have_attribute(
        "data-value", str(narrowed["counts"]["received"])
    )
    assert narrowed["counts"]["received"] >= 3

    # On a phone: one column, still every number.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_test_id("trend-score")).to_have_attribute("data-drawn", "true")
    axe(page, "báo cáo trên điện thoại")
    shot(page, "reporting-03-leader-report-phone")
    assert page.js_errors == []


def test_the_public_scorecard_opens_without_signing_in(new_page, portal, axe, shot):
    with httpx.Client(base_url=portal, timeout=60) as http:
        r = http.get(f"{R}/public/scorecard", params={"months": 6})
    assert r.status_code == 200, r.text
    card = r.json()
    page = new_page()
    page.goto("/")
    page.get_by_test_id("footer-scorecard").click()
    expect(page.locator("h1")).to_have_text("Chỉ số phục vụ người dân, doanh nghiệp")
    expect(page.get_by_test_id("nav-login")).to_be_visible()  # nobody signed in
    latest = next((m for m in card["city"]["months"] if m["month"] == card["months"][-1]), None)
    expect(page.get_by_test_id("city-score")).to_have_text(vn(latest["score"]) if latest else "—")
    measured = any(
        v is not None for m in card["city"]["months"] for v in (m["score"], *m["indexes"].values())
    )
    if measured:  # a chart once anything is measurable; its table either way
        expect(page.get_by_test_id("city-chart")).to_have_attribute("data-drawn", "true")
    else:
        expect(page.get_by_test_id("city-chart")).to_contain_text("Chưa có số liệu để vẽ biểu đồ.")
    expect(page.get_by_test_id("city-chart-table").locator("tbody tr")).to_have_count(len(card["months"]))
    rows = page.get_by_test_id("commune-row")
    expect(rows).to_have_count(len(card["communes"]))
    axe(page, "chỉ số phục vụ (công khai)")
    shot(page, "reporting-04-public-scorecard")
    # Searchable without diacritics; sortable by name (aria-sort says how).
    page.get_by_test_id("scorecard-search").fill("kien an")
    found = [c for c in card["communes"] if "kien an" in fold(c["unit"]["name"])]
    expect(rows).to_have_count(len(found))
    expect(page.get_by_test_id("scorecard-shown")).to_have_text(
        f"Hiển thị {len(found)} / {len(card['communes'])} đơn vị"
    )
    for name in rows.locator("th").all_inner_texts():
        assert "Kiến An" in name, name
    page.get_by_test_id("scorecard-search").fill("")
    page.get_by_test_id("sort-name").click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    names = rows.locator("th").all_inner_texts()
    assert len(names) == len(card["communes"]) and all(names)
    page.get_by_test_id("sort-score").click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    if card["communes"]:
        page.get_by_test_id("scorecard-compare").select_option(card["communes"][0]["unit"]["key"])
        expect(page.get_by_test_id("commune-chart-table").locator("tbody tr")).to_have_count(
            len(card["months"])
        )
        if measured:
            expect(page.get_by_test_id("commune-chart")).to_have_attribute("data-drawn", "true")
    axe(page, "chỉ số phục vụ: tìm và sắp xếp")
    shot(page, "reporting-05-public-scorecard-sorted")
    assert page.js_errors == []


def test_a_citizen_rates_a_returned_dossier(
    new_page, staff, portal, by_api, citizen_by_api, sample_files, sign_in, axe, shot
):
    who = citizen_by_api(
        "Đặng Thị Hài Lòng", id_prefix="0323", phone_prefix="096", password="Lach-Tray-{n}-Rate"
    )
    dossier_id, code = file_dossier(by_api, who, sample_files)
    officer = staff.create_officer([KIEN_AN], full_name="Bùi Văn Tiếp Nhận")
    boss = staff.create_officer([KIEN_AN], roles=["leader"], full_name="Trịnh Thị Lãnh Đạo Phường")
    with httpx.Client(base_url=portal, timeout=60) as http:
        Desk(http, officer, boss).to_returned(dossier_id)
        d = http.get(f"{S}/dossiers/{dossier_id}", headers=who.auth).json()
    assert d["status"] == "returned" and d["rateable"] is True and d["rating"] is None

    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    # The tracking page invites the owner, signed in, to rate.
    page.goto(f"/tra-cuu?ma={code}")
    page.get_by_test_id("track-value").fill(who.citizen_id)
    page.get_by_test_id("track-submit").click()
    expect(page.get_by_test_id("track-rate")).to_be_visible()
    axe(page, "tra cứu: mời đánh giá")
    # "Hồ sơ của tôi": "Đánh giá" beside the returned dossier.
    page.goto("/ho-so")
    row = page.locator(f"[data-testid=my-dossier-row][data-id='{dossier_id}']")
    expect(row.get_by_test_id("rate-link")).to_have_text(re.compile("Đánh giá"))
    row.get_by_test_id("rate-link").click()
    expect(page).to_have_url(re.compile(rf"/ho-so/{dossier_id}#danh-gia$"))
    section = page.locator("#danh-gia")
    expect(section.get_by_test_id("rating-form")).to_be_visible()
    expect(page.locator("#rating-title")).to_be_focused()
    expect(section.locator("fieldset legend")).to_have_count(5)
    expect(page.get_by_label("5 Rất hài lòng").first).to_be_visible()
    expect(page.get_by_label("1 Rất không hài lòng").first).to_be_visible()
    # Sent without choosing: each criterion asks for its choice, linked to its group.
    section.get_by_test_id("rating-submit").click()
    problem = section.get_by_test_id("rating-problem")
    expect(problem).to_contain_text("Mức độ hài lòng chung")
    expect(problem.locator("a")).to_have_count(5)
    axe(page, "đánh giá: chưa chọn")
    choices = {"overall": 5, "reception": 4, "guidance": 5, "time": 3, "result": 4}
    for key, n in choices.items():
        section.get_by_test_id(f"rating-{key}-{n}").check()
    section.get_by_test_id("rating-comment").fill("Cán bộ hướng dẫn tận tình, trả kết quả đúng hẹn.")
    axe(page, "đánh giá: đã chọn")
    shot(page, "reporting-06-citizen-rating-form")
    section.get_by_test_id("rating-submit").click()
    expect(section.get_by_test_id("rating-thanks")).to_be_visible()
    given = section.get_by_test_id("rating-given")
    for key, n in choices.items():
        expect(given.get_by_test_id(f"rating-score-{key}")).to_have_attribute("data-score", str(n))
    expect(given.get_by_test_id("rating-score-time")).to_have_text("3/5 — Bình thường")
    expect(section.get_by_test_id("rating-form")).to_have_count(0)
    axe(page, "đánh giá: đã gửi")
    shot(page, "reporting-07-citizen-rated")

    # Kept: the page again, the list, and the API.
    page.reload()
    expect(page.locator("#danh-gia").get_by_test_id("rating-given")).to_contain_text(
        "Cán bộ hướng dẫn tận tình"
    )
    page.goto("/ho-so")
    expect(
        page.locator(f"[data-testid=my-dossier-row][data-id='{dossier_id}']").get_by_test_id("rated")
    ).to_be_visible()
    with httpx.Client(base_url=portal, timeout=60) as http:
        d = http.get(f"{S}/dossiers/{dossier_id}", headers=who.auth).json()
        again = http.post(f"{S}/dossiers/{dossier_id}/rating", json=choices, headers=who.auth)
    assert d["rateable"] is False and d["rating"]["scores"] == choices
    assert again.status_code == 409

    # The agency's leader sees the rating (not who gave it) on the officer's page.
    desk = new_page()
    sign_in(desk, boss["username"], boss["password"], totp=boss["totp_secret"])
    desk.goto(f"/can-bo/ho-so/{dossier_id}")
    rated = desk.get_by_test_id("officer-rating")
    expect(rated.get_by_test_id("rating-score-overall")).to_have_text("5/5 — Rất hài lòng")
    axe(desk, "cán bộ: đánh giá của người dân")
    shot(desk, "reporting-08-leader-sees-rating")
    # A ward's leader reports on their own units only: no city, no ranking (403: not shown at all).
    desk.get_by_test_id("nav-reports").click()
    expect(desk.get_by_test_id("report-summary")).to_contain_text("Công an phường Kiến An")
    expect(desk.get_by_test_id("report-unit").locator("option[value='city']")).to_have_count(0)
    expect(desk.get_by_test_id("report-trend")).to_be_visible()
    expect(desk.get_by_test_id("report-overdue")).to_be_visible()
    expect(desk.get_by_test_id("report-ranking")).to_have_count(0)
    axe(desk, "báo cáo của lãnh đạo phường")
    assert page.js_errors == [] and desk.js_errors == []
