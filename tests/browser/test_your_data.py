"""Dữ liệu cá nhân (docs/auth.md, "Your data"): a citizen finds the page in the menu, downloads their data
as one ZIP archive, and closes their account (the confirmation asked, a wrong password refused); once
closed they are signed out and cannot sign in again.

The download needs every service's part, the audit service's (issue 22, part A) included: the stack must
run it."""

from __future__ import annotations

import io
import json
import re
import zipfile

from playwright.sync_api import expect


def test_a_citizen_downloads_their_data(new_page, citizen_by_api, sign_in, shot, axe):
    who = citizen_by_api("Lương Thị Dữ Liệu")
    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    page.get_by_test_id("nav-your-data").click()
    expect(page).to_have_url(re.compile(r"/du-lieu-ca-nhan$"))
    expect(page.locator("h1")).to_have_text("Dữ liệu cá nhân")
    section = page.get_by_role("region", name="Tải dữ liệu của tôi")
    axe(page, "your-data")
    shot(page, "your-data")

    with page.expect_download(timeout=60_000) as got:
        section.get_by_role("button", name="Tải dữ liệu (ZIP)").click()
    download = got.value
    assert re.fullmatch(r"du-lieu-ca-nhan-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    names = set(archive.namelist())
    assert {
        "README.txt",
        "account.json",
        "dossiers.json",
        "notifications.json",
        "payments.json",
        "audit.json",
    } <= names
    assert json.loads(archive.read("account.json"))["account"]["citizen_id"] == who.citizen_id
    expect(section.get_by_test_id("data-export-done")).to_be_visible()
    assert page.js_errors == []


def test_a_citizen_closes_their_account(new_page, citizen_by_api, sign_in, shot):
    who = citizen_by_api("Lương Văn Đóng")
    page = new_page(390, 844, mobile=True)
    sign_in(page, who.citizen_id, who.password)
    page.goto("/du-lieu-ca-nhan")
    section = page.get_by_role("region", name="Đóng tài khoản")
    expect(section).to_contain_text("Được giữ theo quy định của pháp luật")

    # Not confirmed: the form says so and links to the box.
    section.get_by_label("Mật khẩu hiện tại").fill(who.password)
    section.get_by_role("button", name="Đóng tài khoản").click()
    problem = section.get_by_test_id("data-close-problem")
    expect(problem).to_contain_text("Hãy đánh dấu xác nhận để đóng tài khoản")

    # Confirmed, a wrong password: refused by the server.
    section.get_by_label("Mật khẩu hiện tại").fill("Khong-Phai-Mat-Khau-1")
    section.get_by_label("Tôi hiểu tài khoản sẽ bị đóng vĩnh viễn và không khôi phục được.").check()
    section.get_by_role("button", name="Đóng tài khoản").click()
    expect(problem).to_contain_text("Mật khẩu hiện tại không đúng")
    shot(page, "your-data-close-refused")

    section.get_by_label("Mật khẩu hiện tại").fill(who.password)
    section.get_by_role("button", name="Đóng tài khoản").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("Tài khoản của bạn đã được đóng.").first).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)

    # Nobody signs in to it any more.
    page.goto("/dang-nhap")
    page.get_by_test_id("login-username").fill(who.citizen_id)
    page.get_by_test_id("login-password").fill(who.password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    assert page.js_errors == []
