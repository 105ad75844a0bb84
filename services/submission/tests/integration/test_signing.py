"""Signed results against the real servers: the proposed result read from S3, signed as the dossier's
agency, stored as a new object and recorded; then checked by anyone, by its code or by uploading it."""

from __future__ import annotations

import hashlib
import io

import pytest
from reportlab.pdfgen import canvas

from submission.domain.model import Actor, Dossier
from submission.service.signing import ALPHABET, CODE_LENGTH, is_pdf

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"  # where world.ready() files
LEADER = Actor(id="leader-1", name="Nguyễn Văn Lãnh", roles=frozenset({"officer", "leader"}))


def result_pdf(title: str = "QUYET DINH cap giay xac nhan") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)
    c.drawString(72, 760, title)
    c.showPage()
    c.save()
    return buf.getvalue()


async def finished(world, result: bytes = b"") -> Dossier:
    """A dossier processed to status 9 with ``result`` as its result document (as stored)."""
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    for action in ("accept", "start"):
        assert (await world.act(officer, d["id"], action)).status_code == 200
    r = await world.sub.post(
        f"{S}/dossiers/{d['id']}/actions/finish",
        headers=officer["h"],
        files={"file": ("Quyết định.pdf", result or result_pdf(), "application/pdf")},
    )
    assert r.status_code == 200, r.text
    got = await world.sub.app.state.dossiers.repo.get(d["id"])
    assert got is not None and got.results
    return got


async def read(world, key: str) -> bytes:
    chunks = await world.sub.app.state.signing.files.objects.read(key)
    return b"".join([c async for c in chunks])


@pytest.fixture(scope="module")
async def signed(world):
    """One dossier's result, signed: the dossier, the signed attachment, its bytes and its record."""
    d = await finished(world)
    signing = world.sub.app.state.signing
    [att] = await signing.sign_results(d, LEADER, d.results)
    record = await signing.store.coll.find_one({"file_id": att.id})
    return d, att, await read(world, att.key), record


async def test_a_result_is_signed_stored_and_recorded(world, signed):
    d, att, data, record = signed
    source = d.results[0]
    assert att.id != source.id and att.key != source.key and att.key.startswith(f"dossiers/{d.id}/")
    assert att.content_type == "application/pdf" and att.name == source.name
    assert att.sha256 == hashlib.sha256(data).hexdigest() and att.size == len(data)
    assert data.startswith(result_pdf()[:8]) and len(data) > source.size
    # The original is untouched: the signature is an incremental update of it.
    assert data[: source.size] == await read(world, source.key)
    code = record["_id"]
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert record | {"signed_at": None} == {
        "_id": code,
        "dossier_id": d.id,
        "dossier_code": d.code,
        "file_id": att.id,
        "source_id": source.id,
        "file_name": source.name,
        "sha256": att.sha256,
        "size": att.size,
        "agency_code": WARD,
        "agency_name": d.agency.name,
        "signer_id": LEADER.id,
        "signer_name": LEADER.name,
        "signed_at": None,
    }
    indexes = await world.sub.app.state.signing.store.coll.index_information()
    assert "sha256" in indexes


async def test_anyone_looks_a_code_up(world, signed):
    d, att, _, record = signed
    r = await world.sub.get(f"{S}/verify", params={"code": record["_id"].lower()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agency"] == {"code": WARD, "name": d.agency.name}
    assert body["dossier_code"] == d.code and body["sha256"] == att.sha256 and body["file_name"] == att.name
    assert "signer_name" not in body and "dossier_id" not in body  # nothing personal
    missing = await world.sub.get(f"{S}/verify", params={"code": "ZZZZZZZZZZ"})
    assert missing.status_code == 404 and missing.json()["code"] == "signature-not-found"
    assert missing.headers["content-type"].startswith("application/problem+json")
    bad = await world.sub.get(f"{S}/verify", params={"code": "<script>"})
    assert bad.status_code == 422


async def test_an_uploaded_signed_result_is_authentic_and_unchanged(world, signed):
    d, att, data, record = signed
    for how in ("multipart", "raw"):
        if how == "multipart":
            r = await world.sub.post(f"{S}/verify", files={"file": ("kq.pdf", data, "application/pdf")})
        else:
            r = await world.sub.post(f"{S}/verify", content=data, headers={"Content-Type": "application/pdf"})
        assert r.status_code == 200, r.text
        v = r.json()
        assert v["verdict"] == "authentic" and v["authentic"] and v["unchanged"], v
        assert v["code"] == record["_id"] and v["sha256"] == att.sha256
        assert v["signature"]["agency"] == {"code": WARD, "name": d.agency.name}
        assert v["signature"]["covers_whole_file"] and v["signature"]["trusted"]
        assert v["record"]["dossier_code"] == d.code


async def test_a_changed_document_is_not_unchanged(world, signed):
    _, _, data, record = signed
    changed = bytearray(data)
    at = changed.index(b"QUYET DINH")
    changed[at : at + 10] = b"QUYET XXXX"
    r = await world.sub.post(f"{S}/verify", files={"file": ("kq.pdf", bytes(changed), "application/pdf")})
    v = r.json()
    assert r.status_code == 200 and v["verdict"] == "changed" and not v["authentic"] and not v["unchanged"]
    assert v["record"]["code"] == record["_id"]  # what it was when signed
    # Something added after the signature: the signature is intact, the file is not the one signed.
    appended = data + b"\n% added later\n"
    v = (
        await world.sub.post(f"{S}/verify", content=appended, headers={"Content-Type": "application/pdf"})
    ).json()
    assert v["verdict"] == "changed" and v["authentic"] and not v["unchanged"]


async def test_unsigned_and_bad_uploads(world):
    v = (
        await world.sub.post(f"{S}/verify", files={"file": ("a.pdf", result_pdf(), "application/pdf")})
    ).json()
    assert v["verdict"] == "unsigned" and not v["authentic"] and v["signature"] is None
    cases = [
        ({"files": {"file": ("a.png", world.png(), "image/png")}}, 422, "not-a-pdf"),
        ({"content": b"hello", "headers": {"Content-Type": "text/plain"}}, 415, "unsupported-media-type"),
        ({"files": {"other": ("a.pdf", result_pdf(), "application/pdf")}}, 422, "one-file"),
        ({"data": {"x": "y"}, "files": {}}, 415, None),  # urlencoded: not multipart
        ({"content": b"", "headers": {"Content-Type": "application/pdf"}}, 422, "file-required"),
    ]
    for kw, status, code in cases:
        r = await world.sub.post(f"{S}/verify", **kw)
        assert r.status_code == status, (kw, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if code:
            assert r.json()["code"] == code


async def test_an_upload_over_the_limit_is_refused(world):
    small = await world.make_submission(
        world.sub.app.state.settings.model_copy(update={"verify_max_bytes": 4096})
    )
    big = result_pdf() + b"%" + b"x" * 8000 + b"\n"
    r = await small.post(f"{S}/verify", content=big, headers={"Content-Type": "application/pdf"})
    assert r.status_code == 413 and r.json()["code"] == "payload-too-large"
    r = await small.post(f"{S}/verify", files={"file": ("a.pdf", big, "application/pdf")})
    assert r.status_code == 413


async def test_only_pdfs_are_signed_and_a_failure_stores_nothing(world):
    signing = world.sub.app.state.signing
    d = await finished(world, world.pdf())  # a "PDF" by its first bytes that no reader can parse
    assert is_pdf(d.results[0]) and is_pdf(b"%PDF-1.7\n") and not is_pdf(world.png())
    before = await signing.store.coll.count_documents({"dossier_id": d.id})
    with pytest.raises(Exception) as e:
        await signing.sign_results(d, LEADER, d.results)
    assert getattr(e.value, "code", None) == "result-unsignable"
    assert await signing.store.coll.count_documents({"dossier_id": d.id}) == before
    png = d.results[0].model_copy(update={"content_type": "image/png"})
    with pytest.raises(Exception) as e:
        await signing.sign_results(d, LEADER, [png])
    assert getattr(e.value, "code", None) == "result-not-pdf"


async def test_an_agency_without_a_certificate_and_a_discarded_signature(world):
    signing = world.sub.app.state.signing
    d = await finished(world)
    elsewhere = d.model_copy(update={"agency": d.agency.model_copy(update={"code": "000.00.99.X99"})})
    with pytest.raises(Exception) as e:
        await signing.sign_results(elsewhere, LEADER, d.results)
    assert getattr(e.value, "status", None) == 503 and e.value.code == "signing-unavailable"
    # Signed, then the caller's write fails: the objects and the records go again.
    done = await signing.sign_results(d, LEADER, [*d.results, *d.results])
    assert len(done) == 2 and len({a.id for a in done}) == 2
    await signing.discard(done)
    assert await signing.store.coll.count_documents({"file_id": {"$in": [a.id for a in done]}}) == 0
    for a in done:
        assert await world.sub.app.state.store.head(a.key) is None
