"""The installable portal's files (issue 23, part B: gateway/web/README.md, "Installable portal"): the
service worker's generated block is current (a shell file edited without it would be served stale from
every installed portal's cache), the manifest and its icons are what the browsers need, the icons are
what their script draws, and the offline page keeps to the Content-Security-Policy. The browser checks
(installability, offline, Cache Storage, drafts, push) are in tests/browser/test_pwa.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from PIL import Image, ImageChops

from devstack import gateway, pwa
from devstack.config import ROOT
from devstack.testing import script

WEB = ROOT / "gateway" / "web"


def test_the_service_worker_block_is_current():
    run = subprocess.run([sys.executable, "-m", "devstack.pwa", "--check"], capture_output=True, text=True)
    assert run.returncode == 0, f"run `.venv/bin/python -m devstack.pwa`: {run.stderr}"
    assert pwa.render(pwa.SW.read_text()) == pwa.SW.read_text()


def test_the_shell_is_every_file_the_portal_loads_and_nothing_else():
    text = pwa.SW.read_text()
    shell = re.findall(r'"([^"]+)"', text.split("const SHELL = [", 1)[1].split("];", 1)[0])
    assert all((WEB / p.lstrip("/")).is_file() for p in shell)
    for must in (
        "/index.html",
        "/offline.html",
        "/app.js",
        "/styles.css",
        "/manifest.webmanifest",
        "/favicon.svg",
    ):
        assert must in shell
    assert "/sw.js" not in shell and not [p for p in shell if p.endswith((".md", ".txt", ".py"))]
    # Every module any file imports (statically or on demand) is in the shell, so the app runs offline.
    imported = set()
    for p in WEB.rglob("*.js"):
        if "vendor" in p.parts or p.name == "sw.js":
            continue
        for spec in re.findall(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""", p.read_text()):
            imported.add("/" + (p.parent / spec).resolve().relative_to(WEB).as_posix())
    assert imported and imported <= set(shell), sorted(imported - set(shell))
    # The version is the hash of exactly these files.
    assert re.search(r'^const VERSION = "([0-9a-f]{16})";$', text, re.MULTILINE).group(1) == pwa.version(
        pwa.shell_files()
    )


def test_the_offline_routes_are_app_js_routes():
    routes = pwa.routes((WEB / "app.js").read_text())
    assert routes[0] == "/" and "/nop-truc-tuyen/:code" in routes and "/ho-so/:id" in routes
    assert len(routes) == (WEB / "app.js").read_text().split("const ROUTES = [")[1].split("];")[0].count(
        '["/'
    )


def test_the_service_worker_never_stores_api_answers():
    text = pwa.SW.read_text()
    # The fetch handler leaves /api/, other origins, non-GET and Authorization-bearing requests alone, and
    # stores only paths of the shell (which holds no /api/ path).
    assert 'url.pathname.startsWith("/api/")) return;' in text
    assert 'request.headers.has("Authorization")) return;' in text
    assert re.findall(r"cache\.put\(", text) == ["cache.put("]
    assert "SHELL_SET.has(path)) await cache.put(path" in text
    # No navigation preload: its request would go out for /api/ navigations too, which the worker leaves to
    # the network, so a one-time callback (VNeID's state) would be asked twice (tests/browser/test_vneid.py).
    assert "navigationPreload.enable" not in text and "navigationPreload.disable()" in text


def test_the_manifest_has_what_installing_needs():
    m = json.loads((WEB / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert m["name"] == "Dịch vụ công trực tuyến Hải Phòng" and m["short_name"] == "DVC Hải Phòng"
    assert m["lang"] == "vi" and m["start_url"] == "/" and m["scope"] == "/" and m["display"] == "standalone"
    sizes = {}
    for icon in m["icons"]:
        path = WEB / icon["src"].lstrip("/")
        assert path.is_file(), icon
        if icon["type"] == "image/png":
            with Image.open(path) as img:
                assert img.format == "PNG" and f"{img.width}x{img.height}" == icon["sizes"], icon
            sizes[(icon["sizes"], icon["purpose"])] = True
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(sizes)
    assert any(i["type"] == "image/svg+xml" for i in m["icons"])
    index = (WEB / "index.html").read_text()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in index
    assert f'<meta name="theme-color" content="{m["theme_color"]}">' in index
    assert '<link rel="apple-touch-icon" href="/icons/apple-touch-icon.png">' in index


def test_the_icons_are_what_their_script_draws():
    for name, drawn in script(WEB / "icons" / "make_icons.py").icons().items():
        with Image.open(WEB / "icons" / name) as committed:
            assert committed.size == drawn.size and committed.mode == drawn.mode, name
            assert ImageChops.difference(committed, drawn).getbbox() is None, f"{name}: run make_icons.py"


def test_the_offline_page_keeps_to_the_csp_vietnamese_first():
    text = (WEB / "offline.html").read_text()
    assert "<script" not in text and "<style" not in text and "style=" not in text
    assert '<html lang="vi">' in text and 'lang="en"' in text
    assert text.index("Không có kết nối mạng") < text.index("You are offline")


def test_the_gateway_gives_the_worker_and_the_manifest_their_headers():
    conf = gateway.docker(ROOT)
    sw = re.search(r"location = /sw\.js \{(.*?)\n {8}\}", conf, re.DOTALL).group(1)
    assert 'add_header Cache-Control "no-cache" always;' in sw
    assert 'add_header Service-Worker-Allowed "/" always;' in sw
    assert "default_type application/javascript;" in sw and "Content-Security-Policy" in sw
    manifest = re.search(r"location = /manifest\.webmanifest \{(.*?)\n {8}\}", conf, re.DOTALL).group(1)
    assert "default_type application/manifest+json;" in manifest
    assert "worker-src 'self'" in conf and "manifest-src 'self'" in conf
