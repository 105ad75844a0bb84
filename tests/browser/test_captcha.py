"""Step 3's confirmation code for those who cannot see it, and for everyone who gets it wrong or lets it
expire: met as a screen-reader user meets it, through roles, names, the keyboard and what the page says
in its live regions, never by looking at the image."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PROCEDURE = "1.004194"
WARD_CODE = "000.01.G7.H26"
PASSWORD = "Bach-Dang-Captcha-2026"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def citizen_with_a_ready_draft(citizen_by_api, by_api) -> tuple[str, str, str]:
    """A registered citizen (by the SMS code, as people do) and a draft that lacks only the captcha:
    (username, password, dossier id)."""
    who = citizen_by_api("Lê Văn Khiếm", password=PASSWORD)
    d = by_api.draft(
        who, PROCEDURE, WARD_CODE, date_of_birth="1979-02-11", address="Số 3 Điện Biên Phủ, Hải Phòng"
    )
    by_api.attach(
        who, d, lambda _, cid: ("giay-to.pdf", PDF + f"component:{cid}".encode(), "application/pdf")
    )
    return who.citizen_id, PASSWORD, d["id"]


def sign_in_at_step_3(page: Page, username: str, password: str, dossier_id: str) -> None:
    page.goto(f"/dang-nhap?next=/ho-so/{dossier_id}%3Fbuoc%3D3")
    page.get_by_role("textbox", name="Tên đăng nhập").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Mã xác nhận")).to_be_visible()


def test_a_blind_citizen_passes_the_captcha_without_the_image(new_page, axe, citizen_by_api, by_api, listen):
    username, password, dossier_id = citizen_with_a_ready_draft(citizen_by_api, by_api)
    page = new_page()
    said = listen(page)
    sign_in_at_step_3(page, username, password, dossier_id)

    # The image's text alternative says there is another way, and that way is a button by its name.
    image = page.get_by_role("img", name=re.compile("Ảnh mã xác nhận"))
    expect(image).to_have_attribute("alt", re.compile("Xác nhận không cần xem ảnh"))
    other_way = page.get_by_role("button", name="Không xem được ảnh? Xác nhận không cần xem ảnh")
    answer = page.get_by_role("textbox", name="Nhập mã xác nhận")
    answer.focus()  # where a screen-reader user lands after reading the image's text
    page.keyboard.press("Tab")
    expect(other_way).to_be_focused()
    page.keyboard.press("Enter")

    # The focus follows into what replaced the button; progress and the end are said, not only shown.
    expect(page.get_by_test_id("captcha-computed")).to_be_focused()
    expect(page.get_by_test_id("captcha-done")).to_be_visible(timeout=60_000)
    # Said, each in its turn: the live region's words may come a moment after what shows.
    said.expect("Đang xác nhận")
    said.expect("Đã xác nhận xong")
    axe(page, "bước 3: xác nhận không cần xem ảnh")

    page.get_by_role("button", name="Nộp hồ sơ").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("dossier-code")).to_have_text(
        re.compile(rf"^{re.escape(WARD_CODE)}-\d{{6}}-\d{{4}}$")
    )
    assert not page.js_errors, page.js_errors


def test_a_wrong_code_is_said_and_focused_and_an_expiring_one_is_announced(
    new_page, axe, citizen_by_api, by_api, listen
):
    username, password, dossier_id = citizen_with_a_ready_draft(citizen_by_api, by_api)
    page = new_page()
    said = listen(page)
    page.clock.install()  # the captcha's five minutes pass at the test's command
    sign_in_at_step_3(page, username, password, dossier_id)
    first = page.get_by_test_id("captcha-image").get_attribute("src")

    answer = page.get_by_role("textbox", name="Nhập mã xác nhận")
    answer.fill("SAI99")
    page.keyboard.press("Enter")  # submits the form
    summary = page.get_by_role("alert").filter(has_text="Mã xác nhận không đúng")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#s3-captcha_answer")
    expect(page.get_by_test_id("captcha-image")).not_to_have_attribute("src", first)
    expect(answer).to_have_value("")
    expect(answer).to_have_attribute("aria-invalid", "true")
    said.expect("Đã có mã xác nhận mới")
    axe(page, "bước 3: mã sai")

    # A minute before the end the page warns; at the end it takes a new code and says so.
    renewed = page.get_by_test_id("captcha-image").get_attribute("src")
    page.clock.run_for("04:01")
    expect(page.get_by_test_id("captcha-clock")).to_contain_text("sẽ hết hạn sau")
    said.expect("hết hạn sau 1 phút")
    page.clock.run_for("01:01")
    expect(page.get_by_test_id("captcha-image")).not_to_have_attribute("src", renewed)
    said.expect("Mã xác nhận cũ đã hết hạn")
    assert not page.js_errors, page.js_errors
