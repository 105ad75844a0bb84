"""Resumable uploads (tus) through the gateway: a 50 MB file whose PATCH is cut off at several points
(the connection closed mid-body, as a phone losing its network), the offset read back with HEAD, resumed
to the end, attached and downloaded byte for byte (sha256)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from urllib.parse import urlsplit

import httpx

from devstack import client
from devstack.testing import CORS_TEST_ORIGIN, eventually

S = "/api/v1/submissions"
U = f"{S}/uploads"
TUS = {"Tus-Resumable": "1.0.0"}
MB = 1000 * 1000


def meta(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def big_pdf(size: int) -> bytes:
    head = b"%PDF-1.5\n"
    return head + os.urandom(size - len(head))


async def cut_patch(base_url: str, path: str, token: str, offset: int, body: bytes, send: int) -> None:
    """A PATCH announcing all of ``body`` whose connection is closed after ``send`` bytes of it."""
    u = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: {u.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode())
    step = 256 * 1024
    for i in range(0, send, step):
        writer.write(body[i : min(send, i + step)])
        await writer.drain()
    writer.transport.abort()  # gone, as a phone in a lift
    del reader


async def settled_offset(http: httpx.AsyncClient, url: str, h: dict[str, str]) -> int:
    """The offset once the broken PATCH's handler has recorded what arrived (it records each part as it
    goes, then the rest when it sees the connection close): an empty PATCH at the offset HEAD gives is
    taken (204) only then; before, it is 423 (the upload is held) or 409 (the offset moved on)."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        r = await http.head(url, headers={**TUS, **h})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        at = int(r.headers["upload-offset"])
        r = await http.patch(
            url,
            content=b"",
            headers={**TUS, **h, "Upload-Offset": str(at), "Content-Type": "application/offset+octet-stream"},
        )
        if r.status_code == 204:
            assert r.headers["upload-offset"] == str(at)
            return at
        assert r.status_code in (409, 423), r.text
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.3)


async def test_a_50_mb_upload_cut_off_three_times_resumes_to_the_same_object(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=120) as http, stack.inbox() as inbox:
        admin = await client.admin(http, stack.cfg.admin_username, stack.cfg.admin_password)
        await client.add_procedure(http, admin)  # components of up to 250 MB

        async def agencies() -> list[dict[str, str]] | None:
            r = await http.get(f"{S}/agencies", params={"procedure": client.TEST_PROCEDURE_CODE})
            return r.json() if r.status_code == 200 and r.json() else None

        agency = (await eventually(agencies, timeout=60, interval=0.2))[0]
        citizen = await client.register(http, inbox)
        h = citizen.auth
        body = {"procedure_code": client.TEST_PROCEDURE_CODE, "agency_code": agency["code"]}
        d = (await http.post(f"{S}/dossiers", json=body, headers=h)).json()
        component = client.TEST_PROCEDURE["components"][0]["id"]

        # Discovery goes to the service; a CORS preflight is still the gateway's, naming the tus headers.
        r = await http.options(U)
        assert r.status_code == 204 and r.headers["tus-version"] == "1.0.0"
        assert "checksum" in r.headers["tus-extension"]
        pre = {"Origin": CORS_TEST_ORIGIN, "Access-Control-Request-Method": "PATCH"}
        r = await http.options(U + "/" + "0" * 32, headers=pre)
        assert r.status_code == 204 and "tus-version" not in r.headers
        assert "Upload-Offset" in r.headers["access-control-allow-headers"]
        assert "Upload-Offset" in r.headers["access-control-expose-headers"]

        data = big_pdf(50 * MB)
        digest = hashlib.sha256(data).hexdigest()
        r = await http.post(
            U,
            headers={
                **TUS,
                **h,
                "Upload-Length": str(len(data)),
                "Upload-Metadata": meta(
                    dossier_id=d["id"],
                    component_id=component,
                    filename="sổ đỏ.pdf",
                    filetype="application/pdf",
                ),
            },
        )
        assert r.status_code == 201, r.text
        url = r.headers["location"]
        assert url.startswith(U + "/")

        offset = 0
        for cut in (7 * MB + 123, 23 * MB + 4567, 41 * MB + 89):
            await cut_patch(stack.url, url, citizen.token, offset, data[offset:], cut - offset)
            got = await settled_offset(http, url, h)
            assert offset < got <= cut  # what arrived before the break is kept, nothing more
            assert got > cut - 2 * MB  # and nearly all of it did arrive
            offset = got
        # The rest, resumed where HEAD says.
        r = await http.patch(
            url,
            content=data[offset:],
            headers={
                **TUS,
                **h,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert r.status_code == 204, r.text
        assert r.headers["upload-offset"] == str(len(data))

        r = await http.post(
            f"{S}/dossiers/{d['id']}/attachments",
            json={"upload_id": url.rsplit("/", 1)[1], "component_id": component},
            headers=h,
        )
        assert r.status_code == 201, r.text
        assert r.json()["sha256"] == digest and r.json()["size"] == len(data)
        got = await http.get(f"{S}/dossiers/{d['id']}/attachments/{r.json()['attachment_id']}", headers=h)
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == digest
