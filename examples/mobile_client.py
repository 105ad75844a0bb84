#!/usr/bin/env python3
"""A small client of the Hải Phòng online public services, written the way a phone app works with the API
(docs/mobile.md). It needs httpx and nothing else of this repository:

1. signs in with OAuth 2.0 authorization code + PKCE (a public client, no secret):
   - by default a person signs in in their browser, which comes back to a loopback port this programme
     listens on (RFC 8252 §7.3);
   - with ``--username``/``--password`` it plays the portal's part by API (password sign-in, then the
     consent a person would give on ``/dang-nhap/ung-dung``): for scripted runs and tests;
2. subscribes to push notifications through the development push service (``devstack.pushsvc``, under
   ``make up``), as a phone's browser and push service would;
3. files a dossier, its files sent with resumable uploads (tus 1.0: creation, checksum; a chunk that
   fails is resumed from the offset the server has);
4. prints the push notification the filing brings, and the token refresh (rotation).

Run against ``make up``::

    .venv/bin/python examples/mobile_client.py                          # sign in in the browser
    .venv/bin/python examples/mobile_client.py --username 031… --password … --captcha-answer …

Exit status 0 when every step worked; the steps are printed as they go.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

CLIENT_ID = "dvc-mobile-dev"  # the development app of `make up` (docs/mobile.md, "Registering an app")
S = "/api/v1/submissions"
N = "/api/v1/notifications"
TUS = {"Tus-Resumable": "1.0.0"}


class Failed(Exception):
    """A step that did not work: the message says which and what the server answered."""


def step(text: str) -> None:
    print(f"• {text}", flush=True)


def problem(r: httpx.Response) -> str:
    """An error answer as apps read it: every error is problem+json with a stable `code` (docs/mobile.md)."""
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status_code}"
    return f"HTTP {r.status_code} {body.get('code') or body.get('error')}: {body.get('detail') or body}"


def expect(r: httpx.Response, *statuses: int) -> httpx.Response:
    if r.status_code not in statuses:
        raise Failed(f"{r.request.method} {r.request.url.path}: {problem(r)}")
    return r


# -- 1. sign-in: authorization code + PKCE -----------------------------------------------------------------
@dataclass
class Pkce:
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(64)[:96])
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def discover(http: httpx.Client) -> dict[str, Any]:
    """The authorization server's metadata (RFC 8414): where to send the browser and the token request."""
    meta = expect(http.get("/api/v1/auth/.well-known/oauth-authorization-server"), 200).json()
    if "S256" not in meta["code_challenge_methods_supported"]:
        raise Failed("the server does not offer PKCE S256")
    return meta


def authorize_url(meta: dict[str, Any], pkce: Pkce, redirect_uri: str) -> str:
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "state": pkce.state,
        "scope": "dvc",
    }
    return f"{meta['authorization_endpoint']}?{urlencode(query)}"


def code_from(redirected: str, pkce: Pkce, meta: dict[str, Any]) -> str:
    """The code of the redirect back to the app, once its ``state`` (and ``iss``) are checked."""
    got = {k: v[0] for k, v in parse_qs(urlsplit(redirected).query).items()}
    if got.get("state") != pkce.state:
        raise Failed("the answer's state is not this sign-in's: refused (someone else's answer)")
    if got.get("iss") and got["iss"] != meta["issuer"]:
        raise Failed("the answer comes from another issuer (RFC 9207): refused")
    if "error" in got:
        raise Failed(f"sign-in refused: {got['error']} {got.get('error_description', '')}")
    return got["code"]


def in_browser(meta: dict[str, Any], pkce: Pkce, timeout: float = 300) -> tuple[str, str]:
    """A person signs in in their browser; it comes back to a loopback port of ours. (code, redirect_uri)"""
    answers: list[str] = []

    class Back(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path != "/callback":
                self.send_error(404)
                return
            answers.append(self.path)
            page = (
                "<!doctype html><html lang=vi><meta charset=utf-8><title>DVC Hải Phòng</title>"
                "<p>Đăng nhập xong, bạn có thể quay lại ứng dụng. / Signed in: back to the app.</p>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Back)  # any free port: RFC 8252 §7.3
    redirect_uri = f"http://127.0.0.1:{server.server_port}/callback"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = authorize_url(meta, pkce, redirect_uri)
        step(f"opening the browser to sign in (or open it yourself):\n  {url}")
        webbrowser.open(url)
        deadline = time.monotonic() + timeout
        while not answers and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        server.shutdown()
        server.server_close()
    if not answers:
        raise Failed("nobody signed in within the time")
    return code_from(answers[0], pkce, meta), redirect_uri


def by_api(
    http: httpx.Client, meta: dict[str, Any], pkce: Pkce, username: str, password: str
) -> tuple[str, str]:
    """The portal's part played by API (scripted runs): the person's password sign-in, the browser's
    authorize request, and the consent the person gives on /dang-nhap/ung-dung. (code, redirect_uri)"""
    redirect_uri = "http://127.0.0.1:8765/callback"  # nothing listens: the answer is read, not followed
    signed = expect(
        http.post("/api/v1/auth/login", json={"username": username, "password": password}), 200
    ).json()
    if "mfa" in signed:
        raise Failed("a staff account needs its second factor: sign in in the browser instead")
    start = expect(http.get(authorize_url(meta, pkce, redirect_uri), follow_redirects=False), 302)
    request = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    answer = http.post(
        "/api/v1/auth/oauth/authorize",
        json={**request, "approve": True},
        headers={"Authorization": f"Bearer {signed['access_token']}"},
    )
    return code_from(expect(answer, 200).json()["redirect_to"], pkce, meta), redirect_uri


def exchange(
    http: httpx.Client, meta: dict[str, Any], code: str, redirect_uri: str, pkce: Pkce
) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pkce.verifier,
        "client_id": CLIENT_ID,
    }
    return expect(http.post(meta["token_endpoint"], data=form), 200).json()


def refresh(http: httpx.Client, meta: dict[str, Any], tokens: dict[str, Any]) -> dict[str, Any]:
    """A new pair; the old refresh token is spent (presenting it again would end the session)."""
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": CLIENT_ID}
    return expect(http.post(meta["token_endpoint"], data=form), 200).json()


# -- 2. push ------------------------------------------------------------------------------------------------
def subscribe(http: httpx.Client, pushsvc: httpx.Client, auth: dict[str, str]) -> str:
    """A subscription made by the development push service (what a browser's pushManager.subscribe does
    with a real push service), registered with notify; its id at the push service."""
    key = expect(http.get(f"{N}/push/vapid-key"), 200).json()["public_key"]
    made = pushsvc.post("/subscribe", json={"applicationServerKey": key})
    if made.status_code in (400, 415, 422):  # a stand-in that takes no body
        made = pushsvc.post("/subscribe")
    sub = expect(made, 200, 201).json()
    body = {"endpoint": sub["endpoint"], "expirationTime": None, "keys": sub["keys"]}
    expect(http.post(f"{N}/push/subscriptions", json=body, headers=auth), 200, 201)
    return sub["endpoint"].rstrip("/").rsplit("/", 1)[-1]


def pushes(pushsvc: httpx.Client, sub_id: str) -> list[Any]:
    got = expect(pushsvc.get(f"/messages/{sub_id}"), 200).json()
    if isinstance(got, dict):
        got = got.get("messages", got.get("items", []))
    return list(got)


# -- 3. filing, with resumable uploads ----------------------------------------------------------------------
def sample_pdf(size: int) -> bytes:
    head = b"%PDF-1.5\n% DVC Hai Phong example\n"
    return head + (secrets.token_bytes(16) * (size // 16 + 1))[: max(0, size - len(head))]


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def tus_upload(
    http: httpx.Client, auth: dict[str, str], dossier_id: str, component_id: str, data: bytes, chunk: int
) -> str:
    """A file sent with tus 1.0 (creation, checksum); each chunk's offset is the server's, so a chunk
    lost to a dropped connection is sent again from where the server stopped. The upload's id."""
    meta = ",".join(
        f"{k} {b64(v)}"
        for k, v in {
            "dossier_id": dossier_id,
            "component_id": component_id,
            "filename": "giay-to.pdf",
            "filetype": "application/pdf",
        }.items()
    )
    made = http.post(
        f"{S}/uploads", headers={**auth, **TUS, "Upload-Length": str(len(data)), "Upload-Metadata": meta}
    )
    location = expect(made, 201).headers["location"]
    offset, failures = 0, 0
    while offset < len(data):
        part = data[offset : offset + chunk]
        checksum = base64.b64encode(hashlib.sha256(part).digest()).decode()
        headers = {
            **auth,
            **TUS,
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            "Upload-Checksum": f"sha256 {checksum}",
        }
        try:
            r = http.patch(location, content=part, headers=headers)
            if r.status_code == 204:
                offset, failures = int(r.headers["upload-offset"]), 0
                continue
            if r.status_code not in (409, 460):  # 409: another offset; 460: the chunk arrived damaged
                raise Failed(f"PATCH {location}: {problem(r)}")
        except httpx.TransportError as e:
            step(f"  the connection dropped at {offset} bytes ({type(e).__name__}): resuming")
        failures += 1
        if failures > 5:
            raise Failed(f"PATCH {location}: gave up after {failures} tries at offset {offset}")
        time.sleep(min(2**failures, 20))  # the network may be back by then
        try:
            offset = int(expect(http.head(location, headers={**auth, **TUS}), 200).headers["upload-offset"])
        except httpx.TransportError:
            continue  # still down: the next try asks again
    step(f"  uploaded {len(data)} bytes in chunks of {chunk}")
    return location.rstrip("/").rsplit("/", 1)[-1]


def file_dossier(
    http: httpx.Client, auth: dict[str, str], args: argparse.Namespace, me: dict[str, Any]
) -> dict[str, Any]:
    agencies = expect(http.get(f"{S}/agencies", params={"procedure": args.procedure}), 200).json()
    draft = {"procedure_code": args.procedure}
    if agencies:
        draft["agency_code"] = agencies[0]["code"]
    d = expect(http.post(f"{S}/dossiers", json=draft, headers=auth), 201).json()
    step(f"draft {d['id']} of procedure {args.procedure}")
    submitter = {
        "full_name": me["full_name"],
        "citizen_id": me["citizen_id"],
        "date_of_birth": args.date_of_birth,
        "phone": me["phone"],
        "address": args.address,
    }
    expect(http.put(f"{S}/dossiers/{d['id']}/applicant", json={"submitter": submitter}, headers=auth), 200)
    for missing in d["missing"]:
        if not missing["item"].startswith("component:"):
            continue
        component = missing["item"].split(":", 1)[1]
        upload_id = tus_upload(http, auth, d["id"], component, sample_pdf(args.file_size), args.chunk_size)
        attach = {"upload_id": upload_id, "component_id": component}
        expect(http.post(f"{S}/dossiers/{d['id']}/attachments", json=attach, headers=auth), 201)
        step(f"  attached upload {upload_id} to component {component}")
    expect(http.get(f"{S}/dossiers/{d['id']}/fees", headers=auth), 200)
    captcha = expect(http.post(f"{S}/captcha", headers=auth), 201).json()
    answer = args.captcha_answer or ask_captcha(captcha)
    body = {"captcha_id": captcha["captcha_id"], "captcha_answer": answer}
    return expect(http.post(f"{S}/dossiers/{d['id']}/submit", json=body, headers=auth), 200).json()


def ask_captcha(captcha: dict[str, Any]) -> str:
    """The captcha's picture saved for a person to read (an app shows it; or solves its proof of work)."""
    if not sys.stdin.isatty():
        raise Failed("a captcha answer is needed: --captcha-answer (DVC_CAPTCHA_TEST_ANSWER of the stack)")
    path = os.path.join(os.getcwd(), "captcha.png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(captcha["image"].split(",", 1)[1]))
    return input(f"Mã xác nhận trong {path} / the captcha's text in {path}: ").strip()


# -- the whole run ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--base-url", default=os.environ.get("DVC_PORTAL_URL", "http://127.0.0.1:8080"))
    p.add_argument("--push-service", default=f"http://127.0.0.1:{os.environ.get('DVC_PUSHSVC_PORT', '9600')}")
    p.add_argument("--username", help="a citizen's login: play the portal's part by API (scripted runs)")
    p.add_argument("--password")
    p.add_argument("--captcha-answer", default=os.environ.get("DVC_CAPTCHA_TEST_ANSWER"))
    p.add_argument(
        "--procedure", default="1.004194", help="the procedure to file (default: temporary residence)"
    )
    p.add_argument("--date-of-birth", default="1990-01-15")
    p.add_argument("--address", default="Số 1 Lạch Tray, phường Ngô Quyền, thành phố Hải Phòng")
    p.add_argument("--file-size", type=int, default=3 * 1024 * 1024)
    p.add_argument("--chunk-size", type=int, default=1024 * 1024)
    p.add_argument("--push-timeout", type=float, default=60.0)
    p.add_argument("--no-push", action="store_true", help="skip the push subscription (no push service)")
    p.add_argument("--only-sign-in", action="store_true", help="sign in, refresh once, and stop")
    args = p.parse_args(argv)
    if bool(args.username) != bool(args.password):
        p.error("--username and --password go together")

    headers = {"User-Agent": "DVC-HaiPhong-example/1.0 (Python)", "Accept-Language": "vi"}
    with (
        httpx.Client(base_url=args.base_url, headers=headers, timeout=60) as http,
        httpx.Client(base_url=args.push_service, timeout=30) as pushsvc,
    ):
        try:
            meta = discover(http)
            step(f"authorization server {meta['issuer']}")
            pkce = Pkce()
            if args.username:
                code, redirect_uri = by_api(http, meta, pkce, args.username, args.password)
            else:
                code, redirect_uri = in_browser(meta, pkce)
            tokens = exchange(http, meta, code, redirect_uri, pkce)
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            me = expect(http.get("/api/v1/auth/me", headers=auth), 200).json()
            step(f"signed in as {me['full_name']} (access token for {tokens['expires_in']} s)")

            if args.only_sign_in:
                tokens = refresh(http, meta, tokens)
                step("refreshed the session (the refresh token rotated)")
                print("OK", flush=True)
                return 0

            sub_id = None if args.no_push else subscribe(http, pushsvc, auth)
            if sub_id:
                step(f"subscribed to push notifications (push service subscription {sub_id})")
            before = len(pushes(pushsvc, sub_id)) if sub_id else 0

            dossier = file_dossier(http, auth, args, me)
            step(f"filed: dossier {dossier['code']}")

            if sub_id:
                deadline = time.monotonic() + args.push_timeout
                got = pushes(pushsvc, sub_id)
                while len(got) <= before and time.monotonic() < deadline:
                    time.sleep(1)
                    got = pushes(pushsvc, sub_id)
                if len(got) <= before:
                    raise Failed("no push notification arrived")
                for message in got[before:]:
                    shown = message if isinstance(message, dict) else {"payload": message}
                    print("PUSH " + json.dumps(shown, ensure_ascii=False), flush=True)

            tokens = refresh(http, meta, tokens)
            step("refreshed the session (the refresh token rotated)")
        except Failed as e:
            print(f"FAILED: {e}", file=sys.stderr)
            return 1
    print("OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
