"""The runnable example of docs/mobile.md (examples/mobile_client.py) against a whole stack, as an app
developer runs it: PKCE sign-in (the portal's part played by API), a push subscription through the push
service stand-in (devstack.pushsvc, issue 23 part C), a dossier filed with resumable uploads (tus, part A)
and the push it brings, then a refresh. The sign-in alone is run too."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from devstack import client
from devstack.config import ROOT
from devstack.testing import CAPTCHA_TEST_ANSWER

EXAMPLE = ROOT / "examples" / "mobile_client.py"


async def citizen(stack) -> client.Person:
    p = client.new_person("Nguyễn Thị Ứng Dụng", email=False)
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        async with stack.inbox() as inbox:
            return await client.register(http, inbox, p)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DVC_")}
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def push_service_url(stack) -> str:
    """Where the run's push service stand-in listens (devstack.pushsvc)."""
    return stack.infra.pushsvc_url


async def test_the_example_signs_in_with_pkce_and_refreshes(stack):
    p = await citizen(stack)
    done = run(
        "--base-url", stack.url, "--username", p.citizen_id, "--password", client.PASSWORD, "--only-sign-in"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"signed in as {p.full_name}" in done.stdout and done.stdout.rstrip().endswith("OK")
    # The example's session is listed, named after the development app.
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        tokens = (
            await http.post(
                "/api/v1/auth/login", json={"username": p.citizen_id, "password": client.PASSWORD}
            )
        ).json()
        listed = await http.get(
            "/api/v1/auth/sessions", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    apps = [s for s in listed.json()["items"] if s.get("app")]
    assert [s["app"]["client_id"] for s in apps] == ["dvc-mobile-dev"]


async def test_the_example_files_with_resumable_uploads_and_receives_the_push(stack):
    p = await citizen(stack)
    done = run(
        "--base-url",
        stack.url,
        "--push-service",
        push_service_url(stack),
        "--username",
        p.citizen_id,
        "--password",
        client.PASSWORD,
        "--captcha-answer",
        CAPTCHA_TEST_ANSWER,
        "--file-size",
        str(3 * 1024 * 1024),
        "--chunk-size",
        str(1024 * 1024),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "filed: dossier " in out and "uploaded 3145728 bytes" in out
    pushed = [line for line in out.splitlines() if line.startswith("PUSH ")]
    assert pushed, out
    assert any("hồ sơ" in line.lower() for line in pushed), pushed
    assert out.rstrip().endswith("OK")
