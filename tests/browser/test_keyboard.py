"""Everyone can file (issue 13): the portal with the keyboard alone and as a screen reader hears it.

- A citizen goes from the home page to a filed dossier with Tab, Shift+Tab, Enter, Escape and typing only
  (no mouse, no `focus()`; files are given to the file input once the keyboard has reached it, as a
  native file dialog cannot be driven), on a desktop and on a phone; focus is checked after every change
  of page, panel, menu and error.
- What is said: an observer installed before the page's scripts records text that a screen reader would
  read out, i.e. text that appears inside a live region (aria-live, role=status, role=alert) already in
  the page, and alerts (role=alert) as they appear. A status box inserted together with its text is
  not counted, as screen readers often skip it.
- In English, Vietnamese text from the API carries lang="vi" (WCAG 3.1.2).
- The notification panel fits on a 320 and a 390 px screen; step 2 scrolls no sideways at 320 px.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from devstack.testing import CAPTCHA_TEST_ANSWER

PROCEDURE = "1.004194"  # Đăng ký tạm trú
PROCEDURE_NAME = "Đăng ký tạm trú"
WARD = "Công an phường Lê Chân"
WARD_CODE = "000.01.G7.H26"
ADDRESS = "Số 25 Lạch Tray, phường Lê Chân, Hải Phòng"
NAME = "Trần Văn Đức Anh"

# Every text node shown with letters only Vietnamese has, whose nearest lang is not Vietnamese.
UNTAGGED_VIETNAMESE = """
() => {
  const VI = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/iu;
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (!VI.test(n.data) || n.parentElement.closest("noscript, script, style, template")) continue;
    const owner = n.parentElement.closest("[lang]");
    const lang = owner ? owner.getAttribute("lang").toLowerCase().split("-")[0] : "";
    if (lang !== "vi") out.push(`${n.parentElement.tagName.toLowerCase()}: ${n.data.trim().slice(0, 80)}`);
  }
  return out;
}
"""


def draft_by_api(by_api, who) -> dict:
    """A draft with its submitter (step 2 next), made through the API."""
    return by_api.draft(who, PROCEDURE, WARD_CODE, date_of_birth="1988-11-23", address=ADDRESS)


# -- the keyboard ---------------------------------------------------------------------------------------


def at(page: Page) -> str:
    """What has the focus, for messages: tag, test id, id and a little text."""
    return page.evaluate(
        """() => { const e = document.activeElement; if (!e) return "nothing";
            return [e.tagName.toLowerCase(), e.dataset.testid || "", e.id || "",
                    (e.innerText || e.value || "").trim().slice(0, 60)].join(" | "); }"""
    )


def tab_to(page: Page, test: str, *, back: bool = False, limit: int = 120, what: str = "") -> None:
    """Press Tab (Shift+Tab when `back`) until `test` (a JS expression of `e`, the focused element) holds,
    unless it holds already."""
    key = "Shift+Tab" if back else "Tab"
    check = f"(() => {{ const e = document.activeElement; return Boolean(e && e !== document.body && ({test})); }})()"
    if page.evaluate(check):
        return  # already there
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(check):
            return
    raise AssertionError(f"{key} never reached {what or test}; the focus is on {at(page)}")


def tab_to_id(page: Page, testid: str, *, within: str = "", back: bool = False) -> None:
    test = f"e.dataset.testid === {json.dumps(testid)}"
    if within:
        test += f" && e.closest({json.dumps(within)})"
    tab_to(page, test, back=back, what=testid)


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.dataset.testid || ''")


def expect_heading_focused(page: Page, text: str | re.Pattern) -> None:
    """A new page: its h1 has the focus."""
    h1 = page.locator("#main h1")
    expect(h1).to_have_text(text)
    expect(h1).to_be_focused()


def choose_by_arrows(page: Page, label: str) -> None:
    """The focused <select>: ArrowDown until `label` is chosen (a closed select changes with the arrows)."""
    for _ in range(80):
        if page.evaluate("document.activeElement.selectedOptions[0].text") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrows never chose {label}")


def bell_by_keyboard(page: Page, width: int) -> None:
    """The notification panel: opened and closed with the keyboard, focus where it belongs, on screen."""
    tab_to_id(page, "bell", back=True)
    page.keyboard.press("Enter")
    panel = page.get_by_test_id("bell-panel")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("bell")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("bell")).to_be_focused()  # a disclosure: the panel follows it
    assert_within(page, panel, width)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('[data-testid=bell-panel]') !== null"), at(page)
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(page.get_by_test_id("bell")).to_be_focused()
    expect(page.get_by_test_id("bell")).to_have_attribute("aria-expanded", "false")
    # Open again and go on past its last control: it closes rather than cover what the focus reaches.
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    tab_to(page, "!e.closest('.bell')", what="past the panel")
    expect(panel).to_have_count(0)


def open_the_procedure(page: Page) -> None:
    """From the search results, Tab to the procedure's link and follow it: its page, the focus on its h1."""
    tab_to(
        page,
        f"e.dataset.testid === 'result-link' && e.closest('[data-code=\"{PROCEDURE}\"]')",
        what="the result",
    )
    page.keyboard.press("Enter")
    expect_heading_focused(page, PROCEDURE_NAME)


def assert_within(page: Page, locator, width: int) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{box} is not within 0..{width}"


def file_by_keyboard(page: Page, said, who, files, axe, shot, prefix: str) -> str:
    """From the procedure page (the focus on its heading) to step 4, by keyboard; the dossier's code."""
    tab_to_id(page, "file-online")
    page.keyboard.press("Enter")
    return steps_by_keyboard(page, said, who, files, axe, shot, prefix)


def steps_by_keyboard(page: Page, said, who, files, axe, shot, prefix: str) -> str:
    expect_heading_focused(page, "Nộp hồ sơ trực tuyến")
    expect(page.get_by_test_id("step-1")).to_have_attribute("aria-current", "step")
    expect(page).to_have_title(re.compile(r"^Bước 1: .* — Nộp hồ sơ trực tuyến — "))
    expect(page.get_by_test_id("submitter-full-name")).to_have_value(who.full_name)

    # Step 1. An impossible date of birth and no ward: the summary takes the focus and says both.
    tab_to_id(page, "submitter-dob")
    page.keyboard.type("31/02/1990")
    page.keyboard.press("Enter")  # the form is sent from a field
    problem = page.get_by_test_id("problem")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("Vui lòng chọn cơ quan tiếp nhận")
    expect(problem).to_contain_text("Không có ngày 31/02/1990")
    tab_to_id(page, "agency-select")
    choose_by_arrows(page, WARD)
    # Day first, whatever the browser's locale: 17051990 is 17 May 1990, shown so when the field is left.
    tab_to_id(page, "submitter-dob")
    page.keyboard.press("Control+A")
    page.keyboard.type("17051990")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("submitter-dob")).to_have_value("17/05/1990")
    tab_to_id(page, "submitter-address")
    page.keyboard.type(ADDRESS)
    axe(page, f"{prefix}bước 1, lỗi")
    page.keyboard.press("Enter")

    # Step 2: a new page; "Tiếp tục" with files missing brings the summary, with the focus.
    expect_heading_focused(page, "Nộp hồ sơ trực tuyến")
    expect(page.get_by_test_id("step-2")).to_have_attribute("aria-current", "step")
    expect(page).to_have_title(re.compile(r"^Bước 2: .* — Nộp hồ sơ trực tuyến — "))
    tab_to_id(page, "step2-next")
    page.keyboard.press("Enter")
    missing = page.get_by_test_id("files-missing")
    expect(missing).to_be_focused()
    said.expect("Còn thiếu tệp cho các thành phần sau")
    axe(page, f"{prefix}bước 2, thiếu tệp")

    required = page.get_by_test_id("component").filter(has=page.locator(".badge-required"))
    ids = [required.nth(i).get_attribute("data-component-id") for i in range(required.count())]
    assert ids  # (one in this case: its proof of lawful residence is looked up, not asked for)
    for i, cid in enumerate(ids):
        within = f'[data-testid=component][data-component-id="{cid}"]'
        tab_to_id(page, "file-input", within=within)
        comp = page.locator(within)
        if i == 0:
            # A refused file: the message is part of the input's description.
            page.locator(":focus").set_input_files(str(files["txt"]))
            expect(comp.get_by_test_id("upload-error")).to_contain_text("không đúng định dạng")
            refused = comp.get_by_test_id("upload-error").get_attribute("id")
            described = comp.get_by_test_id("file-input").get_attribute("aria-describedby") or ""
            assert refused and refused in described.split(), (refused, described)
        page.locator(":focus").set_input_files(str(files["png" if i == 0 else "pdf"]))
        expect(comp.get_by_test_id("attachment")).to_have_count(1)
        if i < len(ids) - 1:
            expect(missing).to_be_visible()  # still short of a file: it stays, without taking the focus
            expect(comp.get_by_test_id("file-input")).to_be_focused()
    # Everything there: the summary goes, and the screen reader hears so.
    expect(missing).to_have_count(0)
    said.expect("Đã đủ tệp cho các thành phần bắt buộc")

    # Removing a file: the focus goes to that component's file input; the summary does not come back.
    first = page.locator(f'[data-testid=component][data-component-id="{ids[0]}"]')
    tab_to_id(page, "remove-attachment", within=f'[data-component-id="{ids[0]}"]', back=True)
    page.keyboard.press("Enter")
    expect(first.get_by_test_id("attachment")).to_have_count(0)
    expect(first.get_by_test_id("file-input")).to_be_focused()
    expect(missing).to_have_count(0)
    page.locator(":focus").set_input_files(str(files["png"]))
    expect(first.get_by_test_id("attachment")).to_have_count(1)
    expect(page.get_by_test_id("upload-progress")).to_have_count(0)
    shot(page, f"{prefix}kb-step2")
    tab_to_id(page, "step2-next")
    page.keyboard.press("Enter")

    # Step 3: the same page, so the step's heading takes the focus.
    expect(page.get_by_test_id("step-3")).to_have_attribute("aria-current", "step")
    step_title = page.locator("#step-title")
    expect(step_title).to_have_text(re.compile("^Bước 3"))
    expect(step_title).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Bước 3: .* — Nộp hồ sơ trực tuyến — "))
    # The code is typed once its image is there (a new image empties the field: an answer is its image's).
    expect(page.get_by_test_id("captcha-image")).to_be_visible()
    tab_to_id(page, "captcha-answer")
    page.keyboard.type(CAPTCHA_TEST_ANSWER)
    tab_to_id(page, "submit-dossier")
    page.keyboard.press("Enter")

    # Step 4: filed; its heading has the focus, the code is said, the title is its own.
    expect(page.get_by_test_id("step-4")).to_have_attribute("aria-current", "step")
    expect(step_title).to_have_text(re.compile("^Bước 4"))
    expect(step_title).to_be_focused()
    code = page.get_by_test_id("dossier-code").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(WARD_CODE)}-\d{{6}}-\d{{4}}", code), code
    said.expect(f"Nộp hồ sơ thành công. Mã hồ sơ của bạn là {code}")
    expect(page).to_have_title(re.compile(r"^Nộp hồ sơ thành công — "))
    axe(page, f"{prefix}bước 4")
    shot(page, f"{prefix}kb-step4")
    return code


@pytest.mark.timeout(600)
def test_keyboard_only_on_a_desktop(new_page, shot, axe, sample_files, codes, new_citizen, listen):
    """Search, the procedure, "Nộp trực tuyến" (which asks to sign in), "Đăng ký" from the sign-in page,
    registration, sign-in back to the filing, the bell, four steps, the lookup: with the keyboard."""
    who = new_citizen(NAME)
    page = new_page(1280, 900)
    said = listen(page)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Dịch vụ công trực tuyến thành phố Hải Phòng")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_test_id("search-input")).to_be_focused()
    page.keyboard.type("dang ky tam tru")
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Kết quả tìm kiếm: “dang ky tam tru”")
    open_the_procedure(page)

    # Filing needs an account: the sign-in page, then "Đăng ký" from it, keep where the person was going.
    tab_to_id(page, "file-online")
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Đăng nhập")
    going = f"/nop-truc-tuyen/{PROCEDURE}"
    assert parse_qs(urlsplit(page.url).query)["next"] == [going], page.url
    tab_to(
        page, "e.closest('[data-testid=login-form]') && e.textContent.trim() === 'Đăng ký'", what="Đăng ký"
    )
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Đăng ký")
    assert parse_qs(urlsplit(page.url).query)["next"] == [going], page.url

    tab_to_id(page, "reg-full-name")
    page.keyboard.press("Enter")  # nothing filled in: the summary has the focus
    expect(page.get_by_test_id("problem")).to_be_focused()
    said.expect("Số định danh cá nhân phải gồm 12 chữ số")
    for testid, text in (
        ("reg-full-name", who.full_name),
        ("reg-citizen-id", who.citizen_id),
        ("reg-phone", who.phone),
        ("reg-password", who.password),
        ("reg-confirm", who.password),
    ):
        tab_to_id(page, testid)
        page.keyboard.type(text)
    since = datetime.now(UTC)
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Xác nhận đăng ký")
    said.expect("mã xác nhận gồm 6 chữ số đã được gửi")
    code = codes(who.phone, since)
    tab_to_id(page, "register-code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Đăng nhập")
    said.expect("Đăng ký thành công")
    query = parse_qs(urlsplit(page.url).query)
    assert query["next"] == [going] and query["u"] == [who.citizen_id], page.url
    axe(page, "đăng nhập sau đăng ký")

    tab_to_id(page, "login-password")
    page.keyboard.type(who.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(going) + "$"))
    expect_heading_focused(page, "Nộp hồ sơ trực tuyến")

    code = steps_by_keyboard(page, said, who, sample_files, axe, shot, "desktop-")

    # The bell, its panel now holding the filing's notification (it arrives live).
    tab_to_id(page, "bell", back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("bell-panel")).to_contain_text(f"Nộp hồ sơ thành công: {code}", timeout=20_000)
    axe(page, "chuông thông báo (bàn phím)")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("bell")).to_be_focused()
    bell_by_keyboard(page, 1280)

    # The public lookup: the result is said, and its heading has the focus.
    tab_to_id(page, "nav-track")
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Tra cứu hồ sơ")
    tab_to_id(page, "track-code")
    page.keyboard.type(code)
    tab_to_id(page, "track-value")
    page.keyboard.type(who.citizen_id)
    page.keyboard.press("Enter")
    expect(page.locator("#track-result")).to_be_focused()
    said.expect(f"Đã tìm thấy hồ sơ {code}. Trạng thái: Mới đăng ký")
    axe(page, "tra cứu (bàn phím)")
    shot(page, "desktop-kb-track")
    assert page.js_errors == []


@pytest.mark.timeout(600)
def test_keyboard_only_on_a_phone(new_page, shot, axe, sample_files, citizen_by_api, listen):
    """The same on a 390 px phone, signed in first; the menu and the bell by keyboard."""
    who = citizen_by_api(NAME)
    page = new_page(390, 844, mobile=True)
    said = listen(page)
    page.goto("/")
    tab_to_id(page, "nav-login")
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Đăng nhập")
    tab_to_id(page, "login-username")
    page.keyboard.type(who.citizen_id)
    tab_to_id(page, "login-password")
    page.keyboard.type(who.password)
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Hồ sơ của tôi")

    # The menu: Enter opens it (the focus stays on its button), Escape closes it and the focus is back.
    toggle = page.get_by_test_id("nav-toggle")
    tab_to_id(page, "nav-toggle", back=True)
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("nav-procedures")).to_be_visible()
    expect(toggle).to_be_focused()
    axe(page, "danh mục (điện thoại)")
    shot(page, "phone-kb-menu")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("nav-procedures")).to_be_hidden()
    expect(toggle).to_be_focused()

    bell_by_keyboard(page, 390)  # it ends on the control after the panel, before the menu's button

    tab_to_id(page, "nav-toggle")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the menu's links follow its button
    expect(page.get_by_test_id("nav-home")).to_be_focused()
    tab_to_id(page, "nav-procedures")
    page.keyboard.press("Enter")
    expect_heading_focused(page, "Thủ tục hành chính")
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # A search on the search page is a new query, not a new page: the focus stays in the box and the
    # new count is said.
    expect(page.get_by_test_id("result-count")).to_be_visible()
    tab_to_id(page, "search-input")
    page.keyboard.type("dang ky tam tru")
    page.keyboard.press("Enter")
    expect(page.locator("#main h1")).to_have_text("Kết quả tìm kiếm: “dang ky tam tru”")
    expect(page.get_by_test_id("search-input")).to_be_focused()
    said.expect("Tìm thấy")
    open_the_procedure(page)
    file_by_keyboard(page, said, who, sample_files, axe, shot, "phone-")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.js_errors == []


def test_the_notification_panel_fits_narrow_screens(new_page, shot, citizen_by_api, sign_in):
    """The panel and every control in it lie within a 320 and a 390 px screen; no sideways scroll."""
    who = citizen_by_api(NAME)
    for width in (320, 390):
        page = new_page(width, 740, mobile=True)
        sign_in(page, who.citizen_id, who.password, until="bell")
        page.get_by_test_id("bell").click()
        panel = page.get_by_test_id("bell-panel")
        expect(panel).to_be_visible()
        expect(panel.get_by_test_id("bell-item").first).to_be_visible()
        assert_within(page, panel, width)
        assert_within(page, panel.get_by_test_id("bell-read-all"), width)
        assert_within(page, panel.get_by_role("link", name="Xem tất cả thông báo"), width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"bell-{width}")
        assert page.js_errors == []


def test_step_2_needs_no_sideways_scroll_at_320_px(new_page, shot, citizen_by_api, by_api, sign_in):
    who = citizen_by_api(NAME)
    d = draft_by_api(by_api, who)
    page = new_page(320, 740, mobile=True)
    sign_in(page, who.citizen_id, who.password, until="bell")
    page.goto(f"/ho-so/{d['id']}?buoc=2")
    expect(page.get_by_test_id("step-2")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("component").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "step2-320")
    assert width <= 320, f"step 2 is {width} px wide on a 320 px screen"


def test_vietnamese_content_is_marked_in_english(
    new_page, axe, sample_files, citizen_by_api, by_api, sign_in
):
    """English interface: every text with Vietnamese letters is inside lang="vi" (search results, a
    procedure, the wizard, my dossiers, a dossier, notifications)."""
    who = citizen_by_api(NAME)
    page = new_page()
    page.add_init_script("localStorage.setItem('dvc.lang', 'en')")

    def check(name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.wait_for_load_state("networkidle")
        untagged = page.evaluate(UNTAGGED_VIETNAMESE)
        assert untagged == [], f"{name}: Vietnamese text without lang=vi:\n" + "\n".join(untagged)

    page.goto("/tim-kiem?q=dang+ky+tam+tru")
    expect(page.get_by_test_id("result-item").first).to_be_visible()
    check("search results")
    page.goto(f"/thu-tuc/{PROCEDURE}")
    expect(page.locator("h1")).to_have_text(PROCEDURE_NAME)
    expect(page.locator("h1 [lang=vi]")).to_have_text(PROCEDURE_NAME)
    check("procedure")
    axe(page, "thủ tục (tiếng Anh)")

    sign_in(page, who.citizen_id, who.password, until="bell")
    page.goto(f"/nop-truc-tuyen/{PROCEDURE}")
    expect(page.get_by_test_id("agency-select")).to_be_visible()
    check("step 1")
    d = draft_by_api(by_api, who)
    page.goto(f"/ho-so/{d['id']}?buoc=2")
    expect(page.get_by_test_id("component").first).to_be_visible()
    page.get_by_test_id("step2-next").click()
    expect(page.get_by_test_id("files-missing")).to_be_visible()
    check("step 2")
    comps = page.get_by_test_id("component").filter(has=page.locator(".badge-required"))
    for i in range(comps.count()):
        comps.nth(i).get_by_test_id("file-input").set_input_files(str(sample_files["pdf"]))
        expect(comps.nth(i).get_by_test_id("attachment")).to_have_count(1)
    page.get_by_test_id("step2-next").click()
    expect(page.get_by_test_id("step-3")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("captcha-image")).to_be_visible()
    page.get_by_test_id("captcha-answer").fill(CAPTCHA_TEST_ANSWER)
    page.get_by_test_id("submit-dossier").click()
    expect(page.get_by_test_id("step-4")).to_have_attribute("aria-current", "step")
    check("step 4")
    page.goto(f"/ho-so/{d['id']}")
    expect(page.get_by_test_id("dossier-status")).to_be_visible()
    check("dossier")
    page.goto("/ho-so")
    expect(page.get_by_test_id("my-dossier-row").first).to_be_visible()
    check("my dossiers")
    page.goto("/thong-bao")
    expect(page.get_by_test_id("notification").filter(has_text="Dossier filed")).to_have_count(
        1, timeout=20_000
    )
    check("notifications")
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("bell-item").first).to_be_visible()
    check("bell")
    assert page.js_errors == []
