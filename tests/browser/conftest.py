"""Browser tests of the web portal: Debian's Chromium driven by Playwright (never `playwright install`).

Fixtures only (tests run with --import-mode=importlib and cannot import this module):

- ``portal``: the gateway's address — the ``stack`` fixture's, or ``DVC_PORTAL_URL`` to reuse a running
  stack while developing (it must run with ``DVC_CAPTCHA_TEST_ANSWER=test-captcha``);
- ``browser``: one Chromium for the session; ``new_page(width, height)`` opens a page in a fresh context;
- ``shot(page, name)``: a full-page screenshot under ``test-artifacts/screenshots/``;
- ``axe(page, name)``: axe-core (vendored, injected into the page) finds no serious or critical violation;
- ``staff``: the administrator's API token and ``staff.create_officer(agencies)``;
- ``sample_files``: small real PDF and PNG files and wrong ones, made here.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

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


@pytest.fixture(scope="session")
def axe() -> Callable[[object, str], list[dict]]:
    """axe(page, name): run axe-core on the page; fail on a serious or critical violation."""

    def check(page, name: str) -> list[dict]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=AXE_URL)
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
            }"""
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe found serious or critical violations on {name}:\n" + json.dumps(
            bad, ensure_ascii=False, indent=1
        )
        return result

    return check


@dataclass
class Staff:
    portal: str
    token: str

    def create_officer(self, agencies: list[str]) -> dict[str, str]:
        n = uuid.uuid4().hex[:8]
        account = {
            "full_name": "Trần Thị Thu Hà",
            "role": "officer",
            "agencies": agencies,
            "username": f"canbo_{n}",
            "password": f"Cau-Rao-{n}-Officer",
        }
        r = httpx.post(
            f"{self.portal}/api/v1/auth/users",
            json=account,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        return {"username": account["username"], "password": account["password"], "id": r.json()["id"]}


@pytest.fixture(scope="session")
def staff(portal) -> Staff:
    r = httpx.post(
        f"{portal}/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}, timeout=30
    )
    assert r.status_code == 200, r.text
    return Staff(portal, r.json()["access_token"])


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
