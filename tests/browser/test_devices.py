"""Thiết bị đăng nhập on the account page: a citizen signed in on a laptop and a phone (two browser
contexts) sees both, signs the phone out from the laptop, and the phone is signed out at its next
request; then the same with "Đăng xuất tất cả thiết bị khác"."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_citizen_sees_their_devices_and_signs_the_other_out(
    new_page, citizen_by_api, by_api, sign_in, shot, axe
):
    who = citizen_by_api("Đặng Thị Hai Máy")
    # The API's own sign-in (made to register) is ended: the two browsers are the only sessions.
    r = by_api.http.delete("/api/v1/auth/sessions", headers=who.auth)
    assert r.status_code == 200 and r.json()["ended"] == 1, r.text

    laptop = new_page()
    phone = new_page(390, 844, mobile=True)
    sign_in(laptop, who.citizen_id, who.password)
    sign_in(phone, who.citizen_id, who.password)

    laptop.goto("/tai-khoan")
    section = laptop.get_by_role("region", name="Thiết bị đăng nhập")
    table = section.get_by_role("table", name="Thiết bị đăng nhập")
    rows = table.get_by_test_id("device-row")
    expect(rows).to_have_count(2)
    for header in ("Thiết bị", "Địa chỉ IP", "Đăng nhập lúc", "Dùng gần nhất"):
        expect(table.get_by_role("columnheader", name=header)).to_be_visible()
    here = rows.and_(laptop.locator("[data-current=true]"))
    other = rows.and_(laptop.locator("[data-current=false]"))
    expect(here.get_by_test_id("device-current")).to_have_text("Thiết bị này")
    expect(here).to_contain_text("Chrome")  # Debian's Chromium says it is Chrome
    expect(other).to_contain_text("127.0.0.1")
    # Each row's button says which device it signs out, for whoever cannot see the row.
    button = other.get_by_role("button", name="Đăng xuất thiết bị này")
    device = other.locator("td").first.inner_text()
    expect(button).to_have_accessible_name(f"Đăng xuất thiết bị này ({device}, 127.0.0.1)")
    axe(laptop, "account-devices")
    shot(laptop, "account-devices")

    button.click()
    expect(section.get_by_test_id("devices-done")).to_contain_text("Đã đăng xuất thiết bị")
    expect(rows).to_have_count(1)
    expect(section.get_by_test_id("devices-none")).to_have_text("Không có thiết bị nào khác đang đăng nhập.")

    # The phone, at its next request (a reload asks for the account): its token and its refresh token
    # are refused, and it is back at the sign-in form.
    phone.reload()
    expect(phone).to_have_url(re.compile(r"/dang-nhap"))
    expect(phone.get_by_test_id("login-username")).to_be_visible()
    expect(phone.get_by_test_id("logout")).to_have_count(0)

    # Signed in again on the phone; this time every other device is signed out at once from the laptop.
    sign_in(phone, who.citizen_id, who.password)
    laptop.reload()
    expect(rows).to_have_count(2)
    section.get_by_role("button", name="Đăng xuất tất cả thiết bị khác").click()
    expect(section.get_by_test_id("devices-done")).to_have_text("Đã đăng xuất 1 thiết bị khác.")
    expect(rows).to_have_count(1)
    phone.goto("/tai-khoan")
    expect(phone.get_by_test_id("login-username")).to_be_visible()
    # The laptop is still signed in.
    laptop.reload()
    expect(laptop.get_by_test_id("logout")).to_be_visible()
    expect(rows).to_have_count(1)
    assert laptop.js_errors == [] and phone.js_errors == []
