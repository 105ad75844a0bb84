"""Browser tests of the web portal: Debian's Chromium driven by Playwright (never `playwright install`).

Fixtures only (tests run with --import-mode=importlib and cannot import this module):

- ``portal``: the gateway's address — the ``stack`` fixture's, or ``DVC_PORTAL_URL`` to reuse a running
  stack while developing (it must run with ``DVC_CAPTCHA_TEST_ANSWER=test-captcha``);
- ``browser``: one Chromium for the session; ``new_page(width, height)`` opens a page in a fresh context;
- ``shot(page, name)``: a full-page screenshot under ``test-artifacts/screenshots/``;
- ``axe(page, name)``: axe-core (vendored, injected into the page) finds no violation of WCAG 2.2 A/AA or
  of axe's best practices, whatever its impact;
- ``staff``: the administrator's API token and ``staff.create_officer(agencies, roles=[...])`` (enrolled in
  the second factor through the API: its ``totp_secret``; ``enrol=False``: its first sign-in enrols);
- ``mfa_code(secret)``: the next TOTP code of an officer's or the administrator's secret (``ADMIN_TOTP``)
  no sign-in on this stack has used (devstack.client: a code works once);
- ``sample_files``: small real PDF and PNG files and wrong ones, made here;
- ``new_citizen(full_name, ...)``: a :class:`Citizen` no other test has used, not registered yet;
- ``by_api``: a scene set through the API (:class:`ByApi`): register a citizen, a draft, its files, submit;
- ``citizen_by_api(full_name, ...)``: a new citizen registered (with the SMS code) and signed in by API;
- ``sign_in(page, username, password, totp=secret)``: the sign-in form, filled and sent (and the second
  step's code, for staff);
- ``listen(page)``: records what a screen reader would read out on the page (:class:`Speech`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from devstack.client import admin_totp_secret, scope_of, sign_in_sync, submitter, totp_code, wait_code
from devstack.config import StackConfig
from devstack.testing import CAPTCHA_TEST_ANSWER

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_URL = "/__browser-tests__/axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN = ("admin", "admin-dev-password")
ADMIN_TOTP = admin_totp_secret()  # the stack's first administrator's second factor (DVC_ADMIN_TOTP_SECRET)


def _ensure_chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.geteuid() != 0:
        pytest.fail(
            f"{CHROMIUM} is missing; install Debian's package: "
            "sudo apt-get install -y --no-install-recommends chromium"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL, check=True)
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    assert Path(CHROMIUM).exists(), "apt-get did not install chromium"
    return CHROMIUM


@pytest.fixture(scope="session")
def portal(request: pytest.FixtureRequest) -> str:
    url = os.environ.get("DVC_PORTAL_URL")
    if url:
        return url.rstrip("/")
    return request.getfixturevalue("stack").url


@pytest.fixture(scope="module")
def browser(portal) -> Iterator[object]:
    # Closed at the end of the browser tests' module, and after the stack (through `portal`): while
    # Playwright's synchronous API is open, the thread counts as running an event loop, and the asyncio
    # tests that run after these (and the stack's cleanup) could not run theirs.
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # argon2 hashing and cold caches on a small machine
    executable = _ensure_chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser, portal) -> Iterator[Callable[..., object]]:
    """new_page(width=1280, height=900): a page in a fresh context (its own session), Vietnamese first."""
    contexts = []

    def make(width: int = 1280, height: int = 900, mobile: bool = False):
        ctx = browser.new_context(
            base_url=portal,
            viewport={"width": width, "height": height},
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            is_mobile=mobile,
            has_touch=mobile,
            accept_downloads=True,
        )
        ctx.set_default_timeout(15_000)
        # axe-core reaches the page as a same-origin script answered by the browser itself (the file
        # never goes through the gateway): the Content-Security-Policy refuses inline scripts, so
        # add_script_tag(path=...) would be blocked, and bypassing the CSP would hide our own violations.
        ctx.route(
            f"{portal}{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript")
        )
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.js_errors = errors  # the tests assert the page threw nothing and broke no CSP rule
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def shot() -> Callable[[object, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# Every rule of WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (issue 13: everyone
# can file). Rules axe marks "experimental" stay out (axe leaves them out of a run by tag).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="session")
def axe() -> Callable[[object, str], list[dict]]:
    """axe(page, name): run axe-core on the page; fail on any violation, whatever its impact."""

    def check(page, name: str) -> list[dict]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=AXE_URL)
        result = page.evaluate(
            """async (tags) => {
                const r = await axe.run(document, {
                    runOnly: {type: 'tag', values: tags},
                    resultTypes: ['violations'],
                });
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
            }""",
            AXE_TAGS,
        )
        assert not result, f"axe found violations on {name}:\n" + json.dumps(
            result, ensure_ascii=False, indent=1
        )
        return result

    return check


@dataclass
class Staff:
    portal: str
    token: str

    def create_officer(
        self,
        agencies: list[str],
        enrol: bool = True,
        roles: list[str] | None = None,
        full_name: str = "Trần Thị Thu Hà",
    ) -> dict[str, str]:
        """A new officer of ``agencies``: login, id and, enrolled through the API (its first sign-in), its
        ``totp_secret`` (empty with ``enrol=False``: the portal's first sign-in enrols it). ``roles``: its
        roles in those agencies (reception, specialist, leader); without, the legacy ``role: officer``
        (all three)."""
        n = uuid.uuid4().hex[:8]
        account = {
            "full_name": full_name,
            "agencies": agencies,
            "username": f"canbo_{n}",
            "password": f"Cau-Rao-{n}-Officer",
        }
        account |= {"roles": roles} if roles else {"role": "officer"}
        r = httpx.post(
            f"{self.portal}/api/v1/auth/users",
            json=account,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        made = {
            "username": account["username"],
            "password": account["password"],
            "id": r.json()["id"],
            "full_name": full_name,
        }
        made["totp_secret"] = ""
        if enrol:
            with httpx.Client(base_url=self.portal, timeout=30) as http:
                _, factor = sign_in_sync(http, account["username"], account["password"])
            made["totp_secret"] = factor.secret
        return made


@pytest.fixture(scope="session")
def codes(request: pytest.FixtureRequest, portal) -> Iterator[Callable[[str, datetime], str]]:
    """``codes(phone_or_email, since)``: the code the portal's stack sent there (its SMS record and
    mail folder), the stack being the test stack, or the developer's (``make up``) with DVC_PORTAL_URL."""
    if os.environ.get("DVC_PORTAL_URL"):
        cfg = StackConfig.from_env()
        mongo_url, notify_db, mail_dir = cfg.mongo_url_for("notify"), cfg.db_name("notify"), cfg.mail_dir
    else:
        stack = request.getfixturevalue("stack")
        mongo_url, notify_db = stack.mongo_url_for("notify"), stack.db_name("notify")
        mail_dir = stack.infra.mail_dir
    with MongoClient(mongo_url) as mongo:
        yield lambda to, since: wait_code(mongo[notify_db].sms_dev_outbox, mail_dir, to, since)


@pytest.fixture(scope="session")
def staff(portal) -> Staff:
    with httpx.Client(base_url=portal, timeout=30) as http:
        tokens, _ = sign_in_sync(http, ADMIN[0], ADMIN[1], ADMIN_TOTP)
    return Staff(portal, tokens["access_token"])


@pytest.fixture(scope="session")
def mfa_code(portal) -> Callable[[str], str]:
    """mfa_code(secret): a TOTP code the portal's stack takes now for that secret; each call a step no
    sign-in of this process used on the stack (devstack.client.totp_code: waits when it must)."""
    with httpx.Client(base_url=portal) as http:
        scope = scope_of(http)
    return lambda secret: totp_code(secret, scope)


def _png(width: int = 64, height: int = 48) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((200, 30 + y * 4 % 200, 40)) * width for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 18 Tf 50 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("files")
    files = {
        "pdf": ("to-khai-CT01.pdf", _pdf("To khai thay doi thong tin cu tru")),
        "png": ("giay-to-cho-o.png", _png()),
        "result": ("ket-qua.pdf", _pdf("Thong bao ket qua giai quyet")),
        "txt": ("ghi-chu.txt", b"not an accepted type"),
        "fake_pdf": ("gia-mao.pdf", b"this is plain text pretending to be a PDF file"),
    }
    out = {}
    for key, (name, data) in files.items():
        path = d / name
        path.write_bytes(data)
        out[key] = path
    return out


@pytest.fixture(scope="session", autouse=True)
def _clean_screenshots() -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


# -- people and scenes set through the API ----------------------------------------------------------


@dataclass
class Citizen:
    full_name: str
    citizen_id: str
    phone: str
    password: str
    token: str = ""  # once signed in through the API

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def new_citizen() -> Callable[..., Citizen]:
    """new_citizen(full_name, id_prefix="0314", phone_prefix="097", password="Lach-Tray-{n}-Song"): a
    citizen no other test has used (``{n}`` in the password: the citizen's own number), not registered."""

    def make(
        full_name: str,
        id_prefix: str = "0314",
        phone_prefix: str = "097",
        password: str = "Lach-Tray-{n}-Song",
    ) -> Citizen:
        n = uuid.uuid4().int % 10**8
        return Citizen(
            full_name, f"{id_prefix}{n:08d}", f"{phone_prefix}{n % 10**7:07d}", password.format(n=n)
        )

    return make


S = "/api/v1/submissions"
# The file given for a component: (name, content, type), by the component's place in the list and its id.
FileFor = Callable[[int, str], tuple[str, bytes, str]]


class ByApi:
    """A scene set through the API (the journeys through the screens are tested elsewhere): a citizen
    registered as people do (the SMS code), a draft with its submitter, its files, the submission."""

    def __init__(self, http: httpx.Client, codes: Callable[[str, datetime], str]) -> None:
        self.http = http
        self.codes = codes

    def register(self, who: Citizen) -> Citizen:
        """Register ``who`` (ask, the code by SMS, confirm) and sign in: ``who.token``."""
        since = datetime.now(UTC)
        body = {
            "full_name": who.full_name,
            "citizen_id": who.citizen_id,
            "phone": who.phone,
            "password": who.password,
        }
        assert self.http.post("/api/v1/auth/register", json=body).status_code == 202
        confirm = {"citizen_id": who.citizen_id, "phone": who.phone, "code": self.codes(who.phone, since)}
        assert self.http.post("/api/v1/auth/register/confirm", json=confirm).status_code == 201
        r = self.http.post("/api/v1/auth/login", json={"username": who.citizen_id, "password": who.password})
        assert r.status_code == 200, r.text
        who.token = r.json()["access_token"]
        return who

    def draft(self, who: Citizen, procedure: str, agency: str, *, date_of_birth: str, address: str) -> dict:
        """A draft of ``procedure`` at ``agency`` with ``who`` as its submitter (step 2 next)."""
        d = self.http.post(
            f"{S}/dossiers", json={"procedure_code": procedure, "agency_code": agency}, headers=who.auth
        )
        assert d.status_code == 201, d.text
        d = d.json()
        person = submitter(who, date_of_birth=date_of_birth, address=address)
        r = self.http.put(f"{S}/dossiers/{d['id']}/applicant", json={"submitter": person}, headers=who.auth)
        assert r.is_success, r.text
        return d

    def attach(self, who: Citizen, d: dict, file_for: FileFor) -> list[str]:
        """A file for every component the draft lacks; returns their ids."""
        components = [m["item"].split(":", 1)[1] for m in d["missing"] if m["item"].startswith("component:")]
        for i, cid in enumerate(components):
            r = self.http.post(
                f"{S}/dossiers/{d['id']}/attachments",
                headers=who.auth,
                data={"component_id": cid},
                files={"file": file_for(i, cid)},
            )
            assert r.status_code == 201, r.text
        return components

    def submit(self, who: Citizen, d: dict) -> dict:
        """Step 3 and 4: a captcha (the test answer) and the submission; the dossier, with its code."""
        captcha = self.http.post(f"{S}/captcha", headers=who.auth).json()["captcha_id"]
        r = self.http.post(
            f"{S}/dossiers/{d['id']}/submit",
            json={"captcha_id": captcha, "captcha_answer": CAPTCHA_TEST_ANSWER},
            headers=who.auth,
        )
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def by_api(portal, codes) -> Iterator[ByApi]:
    with httpx.Client(base_url=portal, timeout=60) as http:
        yield ByApi(http, codes)


@pytest.fixture
def citizen_by_api(new_citizen, by_api) -> Callable[..., Citizen]:
    """citizen_by_api(full_name, ...): new_citizen's, registered and signed in through the API."""
    return lambda *args, **kwargs: by_api.register(new_citizen(*args, **kwargs))


@pytest.fixture(scope="session")
def sign_in(mfa_code) -> Callable[..., None]:
    """sign_in(page, username, password, until="logout", totp=""): the sign-in form, filled and sent; for
    an officer or administrator, the second step with a code of ``totp`` (its TOTP secret); waits for the
    control of that test id, there once signed in."""
    from playwright.sync_api import expect

    def go(page, username: str, password: str, until: str = "logout", totp: str = "") -> None:
        page.goto("/dang-nhap")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(password)
        page.get_by_test_id("login-submit").click()
        if totp:
            expect(page.locator("h1")).to_have_text("Xác thực hai bước")
            page.get_by_test_id("mfa-code").fill(mfa_code(totp))
            page.get_by_test_id("mfa-submit").click()
        # Signed in, the portal moves on to the person's start page: wait for that move, or a test's next
        # click may land on the page being left (seen on a loaded machine: a panel opened, then dropped).
        expect(page).not_to_have_url(re.compile(r"/dang-nhap(\?|$)"))
        expect(page.get_by_test_id(until)).to_be_visible()

    return go


# -- what a screen reader hears -----------------------------------------------------------------------

# Installed before the page's scripts, records in window.__said the text a screen reader would read out:
# text that appears inside a live region (aria-live, role=status, role=alert) already in the page, and
# alerts (role=alert) as they appear. A status box inserted together with its text is not counted, as
# screen readers often skip it. Every sentence is kept, in order: a notification arriving live may
# replace a sentence a moment after it was said.
LISTEN = """
(() => {
  window.__said = [];
  const LIVE = "[aria-live], [role=status], [role=alert]";
  const say = (text) => {
    text = (text || "").replace(/\\s+/g, " ").trim();
    if (text) window.__said.push(text);
  };
  new MutationObserver((changes) => {
    for (const m of changes) {
      if (m.type === "characterData") {
        const region = m.target.parentElement && m.target.parentElement.closest(LIVE);
        if (region) say(region.textContent);
        continue;
      }
      const region = m.target.nodeType === 1 ? m.target.closest(LIVE) : null;
      for (const n of m.addedNodes) {
        if (region) say(n.textContent);
        else if (n.nodeType === 1) {
          if (n.matches("[role=alert]")) say(n.textContent);
          n.querySelectorAll("[role=alert]").forEach((a) => say(a.textContent));
        }
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();
"""


class Speech:
    """What was said on a page since it loaded (see LISTEN): ``speech()`` the sentences in order."""

    def __init__(self, page) -> None:
        self.page = page

    def __call__(self) -> list[str]:
        return self.page.evaluate("window.__said")

    def heard(self, text: str, *, exact: bool = False) -> bool:
        """Whether a sentence said was ``text`` (``exact``) or held it."""
        return any(text == s if exact else text in s for s in self())

    def expect(self, text: str, *, exact: bool = False, seconds: float = 15) -> None:
        """Wait until :meth:`heard`. Polled from here: the page's own timers may be a test's fake
        clock, and wait_for_function would evaluate a string (the CSP refuses that)."""
        deadline = time.monotonic() + seconds
        while not self.heard(text, exact=exact):
            assert time.monotonic() < deadline, f"never said {text!r}; said: {self()}"
            time.sleep(0.1)


@pytest.fixture(scope="session")
def listen() -> Callable[[object], Speech]:
    """listen(page), before the page's first goto: what a screen reader would read out there."""

    def start(page) -> Speech:
        page.add_init_script(LISTEN)
        return Speech(page)

    return start
