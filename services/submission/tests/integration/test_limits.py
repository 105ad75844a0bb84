"""Bodies that cost the service work or storage for nothing are refused before they are read: a form of
thousands of tiny fields, a file sent to an action that takes none (it was stored, and left in S3 for
ever), a JSON body that never ends. Receipts are drawn off the event loop, once per revision (security
review, issue 12, findings 4 and 6)."""

from __future__ import annotations

import asyncio
import io
import os

from pypdf import PdfReader

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"
BOUNDARY = "dvclimitstest"
CHUNK = 64 * 1024
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def many_fields(n: int = 100_000) -> bytes:
    """About 8 MB of one-byte fields, the shape of the reported 42 MB body."""
    part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n'.encode()
    return part * n + f"--{BOUNDARY}--\r\n".encode()


class Sent:
    """A request body sent in chunks (no Content-Length); counts how many the service pulled."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.pulled = 0
        self.total = (len(body) + CHUNK - 1) // CHUNK

    async def __aiter__(self):
        for i in range(0, len(self.body), CHUNK):
            self.pulled += 1
            yield self.body[i : i + CHUNK]


async def objects(world, did: str) -> list[str]:
    store = world.sub.app.state.store
    listed = await store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"dossiers/{did}/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


async def raw(world, did: str) -> dict:
    return await world.sub.app.state.runtime.db.dossiers.find_one({"_id": did})


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code, r.json()
    return r.json()


async def test_a_form_of_many_tiny_fields_costs_nothing_anywhere(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    did = d["id"]
    assert (await world.act(officer, did, "accept")).status_code == 200
    before = await raw(world, did)

    # Sent to withdraw (the citizen's own dossier, as reported): refused by type, not one chunk parsed.
    body = Sent(many_fields())
    r = await world.sub.post(
        f"{S}/dossiers/{did}/actions/withdraw", content=body, headers={**p["h"], **MULTIPART}
    )
    problem(r, 415, "json-required")
    assert body.pulled <= 1 < body.total

    # To an upload and to propose (which do take a form): refused at the first field over the limit.
    draft = await world.draft(p)
    body = Sent(many_fields())
    r = await world.sub.post(
        f"{S}/dossiers/{draft['id']}/attachments", content=body, headers={**p["h"], **MULTIPART}
    )
    assert problem(r, 413, "too-many-parts")["limit"] <= 8
    assert body.pulled <= 1 < body.total
    assert (await world.act(officer, did, "start")).status_code == 200
    body = Sent(many_fields())
    r = await world.sub.post(
        f"{S}/dossiers/{did}/actions/propose", content=body, headers={**officer["h"], **MULTIPART}
    )
    problem(r, 413, "too-many-parts")
    assert body.pulled <= 1 < body.total

    after = await raw(world, did)
    assert after["status"] == "processing" and after["rev"] == before["rev"] + 1  # only the start
    assert not after.get("uploading") and not after.get("results")
    assert (await raw(world, draft["id"]))["attachments"] == []


async def test_a_file_sent_with_an_action_that_takes_none_is_refused_and_nothing_is_stored(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    did = (await world.submitted(p))["id"]
    filed = await objects(world, did)
    assert len(filed) == 2
    big = world.pdf(5 * 1024 * 1024)
    # A 5 MB PDF to withdraw: over what a JSON action reads, refused from its Content-Length.
    r = await world.sub.post(
        f"{S}/dossiers/{did}/actions/withdraw",
        headers=p["h"],
        files={"file": ("đơn rút.pdf", big, "application/pdf")},
    )
    problem(r, 413, "payload-too-large")
    # The same without a Content-Length, and a small one: refused by type before a byte is read.
    form = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    for data in (big, world.pdf()):
        body = Sent(form + data + f"\r\n--{BOUNDARY}--\r\n".encode())
        r = await world.sub.post(
            f"{S}/dossiers/{did}/actions/withdraw", content=body, headers={**p["h"], **MULTIPART}
        )
        problem(r, 415, "json-required")
        assert body.pulled <= 1
    r = await world.sub.post(
        f"{S}/dossiers/{did}/actions/accept",
        headers=officer["h"],
        files={"file": ("quyết định.pdf", world.pdf(), "application/pdf")},
    )
    problem(r, 415, "json-required")
    assert await objects(world, did) == filed  # nothing left in the bucket
    stored = await raw(world, did)
    assert stored["status"] == "submitted" and not stored.get("uploading")


async def test_action_bodies_are_json_and_bounded(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    did = (await world.submitted(p))["id"]
    url = f"{S}/dossiers/{did}/actions/accept"
    # Chunked JSON is read only up to its limit.
    body = Sent(b'{"note": "' + b"x" * (4 * CHUNK) + b'"}')
    r = await world.sub.post(url, content=body, headers={**officer["h"], "Content-Type": "application/json"})
    problem(r, 413, "payload-too-large")
    assert body.pulled <= 2 < body.total
    r = await world.sub.post(
        url, content=b"note=x", headers={**officer["h"], "Content-Type": "application/x-www-form-urlencoded"}
    )
    problem(r, 415, "json-required")
    r = await world.sub.post(url, content=b'{"note": "x"}', headers=officer["h"])  # a body of no type
    problem(r, 415, "json-required")
    assert (await raw(world, did))["status"] == "submitted"
    # No body at all is an empty action; JSON with a charset is JSON.
    r = await world.sub.post(url, headers=officer["h"])
    assert r.status_code == 200, r.text
    r = await world.sub.post(
        f"{S}/dossiers/{did}/actions/start",
        content='{"note": "Bắt đầu"}'.encode(),
        headers={**officer["h"], "Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200 and r.json()["history"][-1]["note"] == "Bắt đầu"
    # propose takes a form, or JSON (then it asks for the file), nothing else.
    r = await world.sub.post(
        f"{S}/dossiers/{did}/actions/propose",
        content=b"x",
        headers={**officer["h"], "Content-Type": "text/plain"},
    )
    problem(r, 415, "unsupported-media-type")


def text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_receipts_are_drawn_off_the_loop_once_per_revision_and_never_mixed(world):
    officer = await world.officer([WARD])
    people = [await world.citizen(), await world.citizen()]
    codes = []
    for p in people:
        d = await world.submitted(p)
        assert (await world.act(officer, d["id"], "accept")).status_code == 200
        codes.append((p, d["id"], d["code"]))
    receipts = world.sub.app.state.receipts
    drawn = receipts.renders

    async def get(who, did):
        r = await world.sub.get(f"{S}/dossiers/{did}/receipt", headers=who["h"])
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
        return r.content

    # Twelve at once, six for each dossier: two drawings, in a worker process.
    got = await asyncio.gather(*(get(p, did) for p, did, _ in codes for _ in range(6)))
    assert receipts.renders == drawn + 2
    assert receipts.worker_pids and os.getpid() not in receipts.worker_pids
    mine, theirs = got[:6], got[6:]
    assert len(set(mine)) == 1 and len(set(theirs)) == 1
    assert codes[0][2] in text(mine[0]) and codes[1][2] not in text(mine[0])
    assert codes[1][2] in text(theirs[0]) and codes[0][2] not in text(theirs[0])
    # The officer gets the same drawing; another citizen gets nothing.
    assert await get(officer, codes[0][1]) == mine[0]
    r = await world.sub.get(f"{S}/dossiers/{codes[0][1]}/receipt", headers=people[1]["h"])
    assert r.status_code == 404
    assert receipts.renders == drawn + 2

    # A new revision with a new file: the receipt shows it (a third component on the slip).
    p, did, _ = codes[0]
    assert (
        await world.act(officer, did, "request-supplement", {"items": ["Văn bản đồng ý"]})
    ).status_code == 200
    assert (await world.upload(p, did, "cccccccccccc", world.pdf())).status_code == 201
    assert "Văn bản đồng ý của chủ hộ" not in text(mine[0])
    assert "Văn bản đồng ý của chủ hộ" in text(await get(p, did))
    assert receipts.renders == drawn + 3
