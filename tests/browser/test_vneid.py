"""Signing in with VNeID in a browser (issue 18), against the development identity provider (a genuine
OpenID provider, devstack.idp): the button comes first on the sign-in page; a resident new to the portal
signs in and sees their verified identity on the account page; a resident who registered earlier links
that account with its password; a failure comes back as words, not a blank page."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, expect


def provider_url(portal: str) -> str:
    """Where the auth service sends the browser: the provider's origin."""
    r = httpx.get(f"{portal}/api/v1/auth/oidc/vneid/authorize", follow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    url = urlsplit(r.headers["location"])
    return f"{url.scheme}://{url.netloc}"


def at_provider(page: Page, sub: str) -> None:
    """The provider's own sign-in form: the identity given by its subject."""
    expect(page.locator("h1")).to_have_text("Authorize Client")
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_a_resident_signs_in_with_vneid_and_sees_the_verified_identity(new_page, portal, axe, shot):
    page = new_page()
    page.goto("/dang-nhap?next=/thong-bao")
    button = page.get_by_test_id("vneid-login")
    expect(button).to_have_text("Đăng nhập bằng tài khoản định danh điện tử VNeID")
    # First: before the portal's own sign-in form.
    assert page.evaluate(
        "() => !!(document.querySelector('[data-testid=vneid-login]').compareDocumentPosition("
        "document.querySelector('[data-testid=login-form]')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    axe(page, "vneid-sign-in")
    shot(page, "vneid-sign-in")
    button.click()
    # One of the provider's test identities (devstack.idp): Phạm Minh Khoa, VNeID level 2.
    expect(page.get_by_role("button", name="vneid-dev-0003")).to_be_visible()
    page.get_by_role("button", name="vneid-dev-0003").click()
    # Back on the portal, signed in, where the sign-in was asked from; no ticket left in the address.
    expect(page).to_have_url(f"{portal}/thong-bao")
    expect(page.get_by_test_id("logout")).to_be_visible()
    page.goto("/tai-khoan")
    facts = page.get_by_test_id("account-facts")
    expect(facts).to_contain_text("Phạm Minh Khoa")
    expect(facts).to_contain_text("031201000003")
    expect(facts).to_contain_text("Đã xác thực: tài khoản định danh điện tử VNeID mức 2")
    expect(facts).to_contain_text("27/02/2001")
    axe(page, "vneid-account")
    shot(page, "vneid-account")
    # Filing: the submitter is the verified holder; the ID number is theirs and cannot be typed over.
    page.goto("/nop-truc-tuyen/1.004194")
    own_id = page.get_by_test_id("submitter-citizen-id")
    expect(own_id).to_have_value("031201000003")
    expect(own_id).not_to_be_editable()
    expect(page.get_by_test_id("submitter-kind-foreigner")).to_have_count(0)
    expect(page.get_by_test_id("submitter-dob")).to_have_value("27/02/2001")  # from VNeID, day first
    expect(page.get_by_test_id("submitter-address")).to_have_value(
        "Số 5 Trần Phú, phường Ngô Quyền, thành phố Hải Phòng"
    )
    shot(page, "vneid-step-1")


def test_a_registered_resident_links_the_account_with_its_password(new_page, portal, citizen_by_api, shot):
    me = citizen_by_api("Đỗ Thị Lan Anh", id_prefix="0318")
    sub = f"vneid-{secrets.token_hex(4)}"
    claims = {"citizen_id": me.citizen_id, "name": "Đỗ Thị Lan Anh", "acr": "vneid:level2"}
    assert httpx.put(f"{provider_url(portal)}/users/{sub}", json=claims, timeout=30).status_code == 204
    page = new_page()
    page.goto("/dang-nhap")
    page.get_by_test_id("vneid-login").click()
    at_provider(page, sub)
    expect(page.locator("h1")).to_have_text("Liên kết tài khoản đã có")
    assert "vneid_link" not in page.url
    page.get_by_test_id("vneid-link-password").fill("sai-mat-khau-123")
    page.get_by_test_id("vneid-link-submit").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Mật khẩu hiện tại không đúng")
    shot(page, "vneid-link-wrong-password")
    # The ticket is spent by a wrong password: the person signs in with VNeID again.
    page.goto("/dang-nhap")
    page.get_by_test_id("vneid-login").click()
    at_provider(page, sub)
    page.get_by_test_id("vneid-link-password").fill(me.password)
    page.get_by_test_id("vneid-link-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()
    page.goto("/tai-khoan")
    expect(page.get_by_test_id("account-facts")).to_contain_text("VNeID mức 2")


def test_a_failed_sign_in_says_why_in_vietnamese(new_page, portal, axe):
    page = new_page()
    page.goto("/dang-nhap/vneid#vneid_error=denied")
    expect(page.get_by_test_id("vneid-error")).to_have_text(
        "Bạn đã không đồng ý chia sẻ thông tin định danh."
    )
    assert page.url == f"{portal}/dang-nhap/vneid"  # the fragment is gone from the address
    axe(page, "vneid-error")
    page.get_by_test_id("vneid-back").click()
    expect(page.get_by_test_id("vneid-login")).to_be_visible()
    # A ticket no one issued signs nobody in.
    page.goto("/dang-nhap/vneid#vneid=" + "x" * 43)
    expect(page.get_by_test_id("problem")).to_contain_text("Phiên đăng nhập VNeID không hợp lệ")
