"""Where the portal goes after a real sign-in: the `next` of /dang-nhap?next=... is honoured only as a path of
the portal itself. A link crafted by someone else (a phishing mail "sign in to see the dossier") must not
send a person freshly signed in, trusting the address bar, to another site (security review, issue 12).
The person is an officer, whose account the administrator makes (no registration involved): a new one a
test, since each sign-in takes a code of the officer's second factor and a code works once."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

EVIL = "evil.invalid"

# The query strings as an attacker would write them in a link; each resolves to another site (or to a
# script) when taken as a URL, although most begin with a single "/". The portal must ignore them and
# land on the officer's own home, the queue "Hồ sơ cần xử lý" at /can-bo.
HOSTILE = {
    "backslash": "next=/\\evil.invalid/x",
    "encoded backslash": "next=%2F%5Cevil.invalid%2Fphish",
    "half-encoded backslash": "next=/%5Cevil.invalid",
    "tab after the slash": "next=%2F%09%2Fevil.invalid",
    "newline after the slash": "next=%2F%0A%2Fevil.invalid%2Fx",
    "absolute URL": "next=https://evil.invalid/",
    "scheme-relative": "next=//evil.invalid",
    "script": "next=javascript:alert(1)",
    "script, mixed case and padded": "next=%20JaVaScRiPt:alert(document.domain)",
}


HOME, HOME_TITLE = "/can-bo", "Hồ sơ cần xử lý"


@pytest.fixture
def officer(staff) -> dict[str, str]:
    return staff.create_officer(["000.01.G7.H26"])


def sign_in_at(new_page, portal: str, query: str, who: dict[str, str], mfa_code):
    """Open /dang-nhap?<query> in a fresh session and sign in through the form. Returns the page and the
    list of requests the browser tried to send to the attacker's host (answered here, never sent)."""
    page = new_page()
    escaped: list[str] = []
    dialogs: list[str] = []

    def to_evil(route) -> None:
        escaped.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>phished</h1>")

    page.context.route(lambda url: urlsplit(url).hostname == EVIL, to_evil)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"/dang-nhap?{query}")
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.get_by_test_id("login-username").fill(who["username"])
    page.get_by_test_id("login-password").fill(who["password"])
    page.get_by_test_id("login-submit").click()
    expect(page.locator("h1")).to_have_text("Xác thực hai bước")  # the officer's second step
    page.get_by_test_id("mfa-code").fill(mfa_code(who["totp_secret"]))
    page.get_by_test_id("mfa-submit").click()
    page.escaped, page.dialogs = escaped, dialogs
    return page


@pytest.mark.parametrize("query", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_next_never_takes_the_signed_in_person_off_the_portal(
    new_page, portal, officer, query, mfa_code
):
    page = sign_in_at(new_page, portal, query, officer, mfa_code)
    # Signed in, and on the portal's own home for an officer: the hostile `next` was ignored.
    expect(page.locator("h1")).to_have_text(HOME_TITLE)
    expect(page.get_by_test_id("bell")).to_be_visible()
    assert page.url == f"{portal}{HOME}", page.url
    page.wait_for_timeout(300)  # a late location.assign would show here
    assert urlsplit(page.url).netloc == urlsplit(portal).netloc, page.url
    assert page.escaped == [], page.escaped
    assert page.dialogs == [], page.dialogs
    assert page.js_errors == []


def test_a_next_inside_the_portal_is_honoured(new_page, portal, officer, mfa_code):
    # Not the officer's home, so that following it is visible; with its query string kept.
    page = sign_in_at(new_page, portal, "next=%2Fthong-bao%3Funread%3Dtrue", officer, mfa_code)
    expect(page.locator("h1")).to_have_text("Thông báo")
    assert page.url == f"{portal}/thong-bao?unread=true", page.url
    assert page.escaped == [] and page.js_errors == []


def test_next_back_to_the_sign_in_page_is_not_followed(new_page, portal, officer, mfa_code):
    page = sign_in_at(new_page, portal, "next=%2Fdang-nhap%3Fnext%3D%252Fthong-bao", officer, mfa_code)
    expect(page.locator("h1")).to_have_text(HOME_TITLE)
    assert page.url == f"{portal}{HOME}", page.url
