"""Two-step sign-in on the portal, as an officer meets it: the first sign-in sets up the authenticator app
(the key as a QR code and as text, the recovery codes to keep, then a first code), every later one asks for
a code (or a recovery code); an administrator resets it after a lost phone. Codes are computed with pyotp
from the key the page shows, as the officer's app would; axe-core checks every step."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from devstack.client import admin_totp_secret

QUEUE = "Hồ sơ cần xử lý"


def password_step(page, officer: dict[str, str]) -> None:
    page.goto("/dang-nhap")
    page.get_by_test_id("login-username").fill(officer["username"])
    page.get_by_test_id("login-password").fill(officer["password"])
    page.get_by_test_id("login-submit").click()


def test_an_officer_sets_up_two_step_sign_in_then_signs_in_with_codes(
    new_page, shot, axe, staff, mfa_code, sign_in, listen
):
    officer = staff.create_officer(["000.01.G7.H26"], enrol=False)
    page = new_page()
    said = listen(page)

    # The first sign-in: the enrolment, in Vietnamese first.
    password_step(page, officer)
    expect(page.locator("h1")).to_have_text("Thiết lập xác thực hai bước")
    expect(page.locator("h1")).to_be_focused()
    said.expect("Thiết lập xác thực hai bước")
    qr = page.get_by_test_id("mfa-qr")
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/gif;base64,"))
    page.wait_for_function("document.querySelector('[data-testid=mfa-qr]').naturalWidth > 100")
    assert qr.get_attribute("alt").startswith("Mã QR")
    uri = page.get_by_test_id("mfa-uri").text_content()  # inside a closed <details>
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    query = parse_qs(parts.query)
    assert query["issuer"] == ["DVC Hải Phòng"]
    assert parts.path.endswith(officer["username"])
    # The key for typing by hand: in groups of four, the same as the QR code's.
    grouped = page.get_by_test_id("mfa-secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", grouped), grouped
    secret = grouped.replace(" ", "")
    assert query["secret"] == [secret]
    recovery = page.get_by_test_id("mfa-recovery-codes").locator("li")
    expect(recovery).to_have_count(10)
    codes = [c.strip() for c in recovery.all_inner_texts()]
    assert all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes), codes
    code_box = page.get_by_test_id("mfa-code")
    expect(code_box).to_have_attribute("autocomplete", "one-time-code")
    expect(code_box).to_have_attribute("inputmode", "numeric")
    expect(page.locator("label[for=mfa-code]")).to_have_text(re.compile("^Mã xác thực"))
    axe(page, "thiết lập xác thực hai bước")
    shot(page, "mfa-01-enrol")

    # A wrong code is said, and the form stays; then the app's code signs the officer in.
    code_box.fill("000000")
    page.get_by_test_id("mfa-submit").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Mã xác thực không đúng")
    said.expect("Mã xác thực không đúng")
    axe(page, "mã xác thực sai")
    shot(page, "mfa-02-wrong-code")
    code_box.fill(mfa_code(secret))
    page.get_by_test_id("mfa-submit").click()
    expect(page.locator("h1")).to_have_text(QUEUE)
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("logout")).to_have_count(0)

    # Later sign-ins: the password, then a code.
    password_step(page, officer)
    expect(page.locator("h1")).to_have_text("Xác thực hai bước")
    expect(page.locator("h1")).to_be_focused()
    expect(page.get_by_test_id("mfa-code")).to_have_attribute("autocomplete", "one-time-code")
    axe(page, "mã xác thực")
    shot(page, "mfa-03-code")
    page.get_by_test_id("mfa-code").fill(mfa_code(secret))
    page.get_by_test_id("mfa-submit").click()
    expect(page.locator("h1")).to_have_text(QUEUE)
    page.get_by_test_id("logout").click()

    # No phone at hand: a recovery code, once.
    password_step(page, officer)
    page.get_by_test_id("mfa-use-recovery").click()
    expect(page.locator("label[for=mfa-code]")).to_have_text(re.compile("^Mã khôi phục"))
    expect(page.get_by_test_id("mfa-code")).to_be_focused()
    page.get_by_test_id("mfa-code").fill(codes[0])
    axe(page, "mã khôi phục")
    shot(page, "mfa-04-recovery-code")
    page.get_by_test_id("mfa-submit").click()
    expect(page.locator("h1")).to_have_text(QUEUE)
    page.get_by_test_id("logout").click()
    password_step(page, officer)
    page.get_by_test_id("mfa-use-recovery").click()
    page.get_by_test_id("mfa-code").fill(codes[0])
    page.get_by_test_id("mfa-submit").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Mã xác thực không đúng")

    # The phone is lost: an administrator resets the second factor from the officers' list ...
    admin = new_page()
    sign_in(admin, "admin", "admin-dev-password", totp=admin_totp_secret())
    admin.locator("#users-q").fill(officer["username"])
    admin.get_by_role("button", name="Lọc").click()
    row = admin.locator(f'[data-testid=user-row][data-username="{officer["username"]}"]')
    expect(row.get_by_test_id("user-mfa")).to_have_text("Đã bật xác thực hai bước")
    row.get_by_test_id("reset-mfa").click()
    expect(admin.get_by_test_id("admin-done")).to_contain_text("Đã đặt lại xác thực hai bước")
    expect(row.get_by_test_id("user-mfa")).to_have_text("Chưa đăng ký xác thực hai bước")
    axe(admin, "đặt lại xác thực hai bước")
    shot(admin, "mfa-05-admin-reset")

    # ... and the officer's next sign-in sets it up again, with a new key.
    page.get_by_test_id("mfa-cancel").click()
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    password_step(page, officer)
    expect(page.locator("h1")).to_have_text("Thiết lập xác thực hai bước")
    again = page.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
    assert again and again != secret
    page.get_by_test_id("mfa-code").fill(mfa_code(again))
    page.get_by_test_id("mfa-submit").click()
    expect(page.locator("h1")).to_have_text(QUEUE)
    assert page.js_errors == [] and admin.js_errors == []


def test_the_enrolment_on_a_phone_screen(new_page, shot, axe, staff, mfa_code):
    officer = staff.create_officer(["000.01.G7.H26"], enrol=False)
    page = new_page(390, 844, mobile=True)
    password_step(page, officer)
    expect(page.locator("h1")).to_have_text("Thiết lập xác thực hai bước")
    expect(page.get_by_test_id("mfa-recovery-codes").locator("li")).to_have_count(10)
    # Nothing wider than the screen: the key and the address wrap.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page, "thiết lập xác thực hai bước (điện thoại)")
    shot(page, "mfa-06-enrol-phone")
    secret = page.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
    page.get_by_test_id("mfa-code").fill(mfa_code(secret))
    page.get_by_test_id("mfa-submit").click()
    expect(page.locator("h1")).to_have_text(QUEUE)
    assert page.js_errors == []
