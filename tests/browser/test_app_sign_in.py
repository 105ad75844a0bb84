"""One of our native apps signs a person in (issue 23, D: OAuth 2.0 authorization code + PKCE, RFC 8252):
Chromium stands for the system browser the app opens. The app's side is this test: it makes the PKCE
pair, opens the authorize URL, and listens on a loopback port (a real HTTP server on 127.0.0.1) where the
browser lands with the code; then it exchanges the code at the token endpoint, as an app would. The stack's
development app (``dvc-mobile-dev``, devstack.config) is registered with ``http://127.0.0.1/callback``, so
any port of the loopback address is its."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.config import ROOT

APP = "dvc-mobile-dev"
APP_NAME = "DVC Hải Phòng (bản phát triển)"


class Loopback:
    """The app's redirect listener: remembers the query of each request to /callback."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != "/callback":
                    self.send_error(404)
                    return
                owner.received.append({k: v[0] for k, v in parse_qs(url.query).items()})
                body = "<!doctype html><html lang=vi><title>Xong</title><p>Quay lại ứng dụng.</p>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_port}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    yield server
    server.close()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(portal: str, redirect_uri: str, challenge: str, state: str) -> str:
    query = {
        "response_type": "code",
        "client_id": APP,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "scope": "dvc",
    }
    return f"{portal}/api/v1/auth/oauth/authorize?{urlencode(query)}"


def sign_in_here(page: Page, username: str, password: str) -> None:
    """The portal's own sign-in form, where the consent page sent a signed-out person."""
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_an_app_signs_a_citizen_in_through_the_browser(new_page, portal, citizen_by_api, loopback, axe, shot):
    me = citizen_by_api("Lương Thị Minh Châu", id_prefix="0319")
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(16)
    page = new_page(390, 844, mobile=True)  # the system browser of a phone
    page.goto(authorize_url(portal, loopback.redirect_uri, challenge, state))
    # Not signed in on this browser: the usual sign-in first, then back to the app's question.
    sign_in_here(page, me.citizen_id, me.password)
    question = page.get_by_test_id("oauth-question")
    expect(question).to_have_text(f"Ứng dụng «{APP_NAME}» muốn đăng nhập bằng tài khoản của bạn")
    expect(page.get_by_test_id("oauth-account")).to_contain_text("Lương Thị Minh Châu")
    assert urlsplit(page.url).path == "/dang-nhap/ung-dung"
    axe(page, "app-sign-in")
    shot(page, "app-sign-in-consent")
    page.get_by_test_id("oauth-allow").click()
    # The browser lands on the app's loopback listener with the code and the app's state.
    page.wait_for_url(f"{loopback.redirect_uri}?*")
    [got] = loopback.received
    assert got["state"] == state and got["code"] and got["iss"].endswith("/api/v1/auth")
    assert "error" not in got
    # The app exchanges it with its verifier: the person's tokens, in a session named after the app.
    form = {
        "grant_type": "authorization_code",
        "client_id": APP,
        "code": got["code"],
        "redirect_uri": loopback.redirect_uri,
        "code_verifier": verifier,
    }
    r = httpx.post(f"{portal}/api/v1/auth/oauth/token", data=form, timeout=30)
    assert r.status_code == 200, r.text
    tokens = r.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    who = httpx.get(f"{portal}/api/v1/auth/me", headers=bearer, timeout=30).json()
    assert who["citizen_id"] == me.citizen_id
    sessions = httpx.get(f"{portal}/api/v1/auth/sessions", headers=bearer, timeout=30).json()["items"]
    assert next(s for s in sessions if s["current"])["device"].startswith(f"Ứng dụng {APP_NAME}")
    # The code works once.
    again = httpx.post(f"{portal}/api/v1/auth/oauth/token", data=form, timeout=30)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert not page.js_errors, page.js_errors


def test_a_person_may_refuse_and_the_app_hears_so(new_page, portal, citizen_by_api, loopback):
    me = citizen_by_api("Lương Văn Từ Chối", id_prefix="0319")
    _verifier, challenge = pkce()
    page = new_page()
    page.goto(authorize_url(portal, loopback.redirect_uri, challenge, "s-1"))
    sign_in_here(page, me.citizen_id, me.password)
    page.get_by_test_id("oauth-deny").click()
    page.wait_for_url(f"{loopback.redirect_uri}?*")
    [got] = loopback.received
    assert got["error"] == "access_denied" and got["state"] == "s-1" and "code" not in got


def test_a_redirect_uri_not_the_apps_stops_in_the_browser(new_page, portal, citizen_by_api):
    """An attacker's redirect URI: the browser stays with the auth service's problem, never sent on; the
    consent page reached with a forged address shows the problem and no way to consent."""
    _verifier, challenge = pkce()
    page = new_page()
    r = page.goto(authorize_url(portal, "https://evil.example/callback", challenge, "x"))
    assert r is not None and r.status == 400
    assert urlsplit(page.url).netloc == urlsplit(portal).netloc
    assert "redirect-uri-mismatch" in page.content()
    me = citizen_by_api("Lương Thị Cảnh Giác", id_prefix="0319")
    forged = {"client_id": APP, "redirect_uri": "https://evil.example/cb", "code_challenge": challenge}
    page.goto(f"/dang-nhap/ung-dung?{urlencode(forged)}")
    sign_in_here(page, me.citizen_id, me.password)
    expect(page.get_by_test_id("problem")).to_contain_text("Địa chỉ trả về không được đăng ký")
    expect(page.get_by_test_id("oauth-allow")).to_have_count(0)


def test_staff_sign_an_app_in_after_their_second_factor(new_page, portal, staff, mfa_code, loopback):
    officer = staff.create_officer(["000.00.31.H26"], roles=["reception"])
    verifier, challenge = pkce()
    page = new_page()
    page.goto(authorize_url(portal, loopback.redirect_uri, challenge, "staff"))
    sign_in_here(page, officer["username"], officer["password"])
    expect(page.locator("h1")).to_have_text("Xác thực hai bước")
    page.get_by_test_id("mfa-code").fill(mfa_code(officer["totp_secret"]))
    page.get_by_test_id("mfa-submit").click()
    page.get_by_test_id("oauth-allow").click()
    page.wait_for_url(f"{loopback.redirect_uri}?*")
    [got] = loopback.received
    form = {
        "grant_type": "authorization_code",
        "client_id": APP,
        "code": got["code"],
        "redirect_uri": loopback.redirect_uri,
        "code_verifier": verifier,
    }
    r = httpx.post(f"{portal}/api/v1/auth/oauth/token", data=form, timeout=30)
    assert r.status_code == 200, r.text
    # The app's session refreshes: it was made with the second factor.
    refresh = {"grant_type": "refresh_token", "client_id": APP, "refresh_token": r.json()["refresh_token"]}
    assert httpx.post(f"{portal}/api/v1/auth/oauth/token", data=refresh, timeout=30).status_code == 200


def test_the_examples_browser_sign_in_works(new_page, portal, citizen_by_api):
    """examples/mobile_client.py (docs/mobile.md) signing in as a person would: it prints the authorize URL
    and listens on a loopback port; Chromium opens the URL, the person signs in and allows; the example
    gets the code, exchanges it and refreshes."""
    me = citizen_by_api("Lương Văn Ví Dụ", id_prefix="0319")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DVC_")} | {"BROWSER": "true"}
    example = ROOT / "examples" / "mobile_client.py"
    args = [sys.executable, str(example), "--base-url", portal, "--only-sign-in"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as run:
        assert run.stdout is not None
        url = ""
        for line in run.stdout:
            if line.strip().startswith(f"{portal}/api/v1/auth/oauth/authorize?"):
                url = line.strip()
                break
        assert url, "the example printed no authorize URL"
        page = new_page()
        page.goto(url)
        sign_in_here(page, me.citizen_id, me.password)
        page.get_by_test_id("oauth-allow").click()
        expect(page.locator("body")).to_contain_text("Đăng nhập xong")  # the example's own loopback page
        out = run.stdout.read()
        assert run.wait(timeout=60) == 0, out
    assert "signed in as Lương Văn Ví Dụ" in out and out.rstrip().endswith("OK")
