"""Resumable uploads (tus 1.0): the protocol, offsets, checksums, limits, type sniffing, ownership,
termination and expiry, against the real MongoDB and S3 (the parts S3 holds are looked at directly)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from datetime import UTC, datetime, timedelta

import pytest

from dvckit.auth import Principal
from submission.api.deps import actor
from submission.service.uploads import Interrupted

S = "/api/v1/submissions"
U = f"{S}/uploads"
TUS = {"Tus-Resumable": "1.0.0"}
MIB = 1024 * 1024
PART = 5 * MIB


def meta(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def big_pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%"
    return head + os.urandom(size - len(head) - 7) + b"\n%%EOF\n"


@pytest.fixture(scope="module")
async def tus(world):
    """A submission app whose parts are S3's smallest (5 MiB), so a few MiB cross part boundaries."""
    settings = world.sub.app.state.runtime.settings.model_copy(update={"part_bytes": PART})
    return await world.make_submission(settings)


async def create(c, p, d, length, *, component="aaaaaaaaaaaa", name="tờ khai.pdf", **headers):
    h = {**TUS, **p["h"], "Upload-Length": str(length)}
    h["Upload-Metadata"] = meta(
        dossier_id=d["id"], component_id=component, filename=name, filetype="application/pdf"
    )
    return await c.post(U, headers={**h, **headers})


async def patch(c, p, url, offset, data, **headers):
    h = {**TUS, **p["h"], "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
    return await c.patch(url, content=data, headers={**h, **headers})


async def head(c, p, url):
    return await c.head(url, headers={**TUS, **p["h"]})


def who(p) -> object:
    return actor(Principal(sub=p["id"], roles=["citizen"], name=p["full_name"]))


async def s3_parts(c, upload_id):
    rec = await c.app.state.uploads.repo.get(upload_id)
    return rec, await c.app.state.uploads.objects.list_parts(rec.key, rec.s3_upload_id)


async def keys(c, prefix):
    store = c.app.state.store
    listed = await store.client.list_objects_v2(Bucket=store.bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


async def test_options_name_the_protocol(tus):
    r = await tus.options(U)
    assert r.status_code == 204
    assert r.headers["tus-version"] == "1.0.0"
    assert r.headers["tus-extension"] == "creation,termination,checksum,expiration"
    assert r.headers["tus-checksum-algorithm"] == "sha1,sha256,md5"
    assert int(r.headers["tus-max-size"]) == 250 * MIB


async def test_an_upload_in_uneven_chunks_across_parts_becomes_the_same_file(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    data = big_pdf(9 * MIB + 12345)  # the component's limit is the catalogue's default, 10 MB
    r = await create(tus, p, d, len(data))
    assert r.status_code == 201, r.text
    assert r.headers["tus-resumable"] == "1.0.0" and "upload-expires" in r.headers
    url = r.headers["location"]
    assert url.startswith(f"{U}/")
    upload_id = url.rsplit("/", 1)[1]
    r = await head(tus, p, url)
    assert r.status_code == 200 and r.headers["upload-offset"] == "0"
    assert r.headers["upload-length"] == str(len(data)) and r.headers["cache-control"] == "no-store"
    # 1 MiB (a tail only), then 6 MiB (a part of 5 with the tail in front), then 1 MiB, then the rest.
    cuts = [0, MIB, 7 * MIB, 8 * MIB, len(data)]
    for a, b in itertools.pairwise(cuts):
        r = await patch(tus, p, url, a, data[a:b])
        assert r.status_code == 204, r.text
        assert r.headers["upload-offset"] == str(b)
        assert (await head(tus, p, url)).headers["upload-offset"] == str(b)
        rec, parts = await s3_parts(tus, upload_id)
        if b < len(data):
            # What counts is the recorded parts (5 MiB each) and the tail: nothing more held anywhere.
            assert [x.size for x in rec.parts] == [PART] * (b // PART)
            assert rec.tail_size == b % PART and parts == [x.number for x in rec.parts]
            tails = await keys(tus, f"uploads/{upload_id}/")
            assert len(tails) == (1 if b % PART else 0)
    rec = await tus.app.state.uploads.repo.get(upload_id)
    assert rec.status == "complete" and rec.sha256 == hashlib.sha256(data).hexdigest()
    assert await keys(tus, f"uploads/{upload_id}/") == []  # the last tail went into the last part
    # A PATCH after the end: nothing more is taken.
    assert (await patch(tus, p, url, len(data), b"x")).status_code == 413
    # Attached by its id: the same record as a plain upload, once.
    body = {"upload_id": upload_id, "component_id": "aaaaaaaaaaaa"}
    r = await tus.post(f"{S}/dossiers/{d['id']}/attachments", json=body, headers=p["h"])
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["attachment_id"] == upload_id and att["size"] == len(data)
    assert att["sha256"] == hashlib.sha256(data).hexdigest() and att["content_type"] == "application/pdf"
    assert att["name"] == "tờ khai.pdf"
    r = await tus.post(f"{S}/dossiers/{d['id']}/attachments", json=body, headers=p["h"])
    assert r.status_code == 409 and r.json()["code"] == "upload-attached"
    r = await tus.get(f"{S}/dossiers/{d['id']}/attachments/{upload_id}", headers=p["h"])
    assert r.status_code == 200 and hashlib.sha256(r.content).digest() == hashlib.sha256(data).digest()
    full = (await tus.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    assert [a["id"] for a in full["attachments"]] == [upload_id] and full["total_bytes"] == len(data)
    # Terminating an attached upload would take a dossier's file: refused.
    r = await tus.delete(url, headers={**TUS, **p["h"]})
    assert r.status_code == 409 and r.json()["code"] == "upload-attached"


async def test_protocol_errors_change_nothing(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    data = world.pdf(20_000)
    r = await create(tus, p, d, len(data), **{"Tus-Resumable": "0.2.2"})
    assert r.status_code == 412 and r.headers["tus-version"] == "1.0.0"
    r = await create(tus, p, d, len(data), **{"Upload-Defer-Length": "1"})
    assert r.status_code == 400 and r.json()["code"] == "bad-tus-header"
    r = await tus.post(
        U, headers={**TUS, **p["h"], "Upload-Length": "10", "Upload-Metadata": "dossier_id !!!"}
    )
    assert r.status_code == 400
    r = await tus.post(U, headers={**TUS, **p["h"], "Upload-Length": "-3"})
    assert r.status_code == 400 and r.headers["tus-resumable"] == "1.0.0"
    url = (await create(tus, p, d, len(data))).headers["location"]
    r = await patch(tus, p, url, 0, data[:9000], **{"Content-Type": "application/octet-stream"})
    assert r.status_code == 415
    r = await patch(tus, p, url, 100, data[:9000])
    assert (
        r.status_code == 409 and r.json()["code"] == "offset-mismatch" and r.headers["upload-offset"] == "0"
    )
    r = await patch(tus, p, url, 0, data + b"more")
    assert r.status_code == 413 and r.json()["code"] == "upload-length-exceeded"
    assert (await head(tus, p, url)).headers["upload-offset"] == "0"
    # Not complete: not attachable.
    body = {"upload_id": url.rsplit("/", 1)[1]}
    r = await tus.post(f"{S}/dossiers/{d['id']}/attachments", json=body, headers=p["h"])
    assert r.status_code == 409 and r.json()["code"] == "upload-incomplete"
    r = await tus.post(f"{S}/dossiers/{d['id']}/attachments", json={"upload_id": "x"}, headers=p["h"])
    assert r.status_code == 422


async def test_a_checksum_mismatch_counts_nothing(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    data = big_pdf(7 * MIB)
    url = (await create(tus, p, d, len(data))).headers["location"]
    first = data[: 6 * MIB]  # crosses a part: the part is written, not recorded, then overwritten
    good = "sha1 " + base64.b64encode(hashlib.sha1(first).digest()).decode()
    bad = "sha1 " + base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    r = await patch(tus, p, url, 0, first, **{"Upload-Checksum": bad})
    assert r.status_code == 460 and r.json()["code"] == "checksum-mismatch"
    assert (await head(tus, p, url)).headers["upload-offset"] == "0"
    assert (await patch(tus, p, url, 0, first, **{"Upload-Checksum": "crc32 AAAA"})).status_code == 400
    r = await patch(tus, p, url, 0, first, **{"Upload-Checksum": good})
    assert r.status_code == 204 and r.headers["upload-offset"] == str(6 * MIB)
    rest = data[6 * MIB :]
    digest = "sha256 " + base64.b64encode(hashlib.sha256(rest).digest()).decode()
    r = await patch(tus, p, url, 6 * MIB, rest, **{"Upload-Checksum": digest})
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    r = await tus.post(
        f"{S}/dossiers/{d['id']}/attachments", json={"upload_id": url.rsplit("/", 1)[1]}, headers=p["h"]
    )
    assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(data).hexdigest()


async def test_a_file_in_one_patch_is_hashed_on_the_way(world, tus):
    """One PATCH from byte 0 to the end (a whole part and a short last one): the SHA-256 is the file's,
    hashed as it passed, and the object S3 assembled is the same bytes."""
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    data = big_pdf(PART + 123_457)
    url = (await create(tus, p, d, len(data))).headers["location"]
    r = await patch(tus, p, url, 0, data)
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    upload_id = url.rsplit("/", 1)[1]
    rec = await tus.app.state.uploads.repo.get(upload_id)
    assert rec.status == "complete" and rec.sha256 == hashlib.sha256(data).hexdigest()
    assert [x.size for x in rec.parts] == [PART, 123_457]
    r = await tus.post(f"{S}/dossiers/{d['id']}/attachments", json={"upload_id": upload_id}, headers=p["h"])
    assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(data).hexdigest()
    r = await tus.get(f"{S}/dossiers/{d['id']}/attachments/{upload_id}", headers=p["h"])
    assert r.status_code == 200 and r.content == data


async def test_limits_are_checked_at_creation(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    r = await create(tus, p, d, 70 * 1024, component="bbbbbbbbbbbb", name="ảnh.png")  # the component: 64 KB
    assert r.status_code == 413 and r.json()["limit_bytes"] == 65536
    r = await create(tus, p, d, 251 * MIB)
    assert r.status_code == 413
    r = await create(tus, p, d, 1000, name="tờ khai.exe")
    assert r.status_code == 415 and r.json()["code"] == "file-type-refused"
    r = await create(tus, p, d, 1000, name="ảnh.png")  # the CT01 form takes PDFs only
    assert r.status_code == 415 and r.json()["accepted"] == ["pdf"]
    r = await create(tus, p, d, 1000, component="zzzzzzzzzzzz")
    assert r.status_code == 422 and r.json()["code"] == "unknown-component"
    r = await create(tus, p, d, 0)
    assert r.status_code == 422 and r.json()["code"] == "file-empty"
    r = await create(tus, p, d, 1000, name="a/b.pdf")
    assert r.status_code == 422 and r.json()["code"] == "bad-file-name"
    done = await world.submitted(p)
    r = await create(tus, p, {"id": done["id"]}, 1000)
    assert r.status_code == 409 and r.json()["code"] == "not-a-draft"
    assert await tus.app.state.uploads.repo.coll.count_documents({"owner_id": p["id"]}) == 0


async def test_the_real_type_is_read_as_bytes_arrive(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    exe = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + os.urandom(6 * MIB)
    url = (await create(tus, p, d, len(exe), name="to-khai.pdf")).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    r = await patch(tus, p, url, 0, exe[:100])  # too few bytes to tell: kept
    assert r.status_code == 204
    r = await patch(tus, p, url, 100, exe[100 : 6 * MIB])
    assert r.status_code == 415 and r.json()["detected"] == "exe"
    assert (await head(tus, p, url)).status_code == 410
    rec, parts = await s3_parts(tus, upload_id)
    assert rec.status == "refused" and parts is None
    assert await keys(tus, f"uploads/{upload_id}/") == []
    # A small file is judged whole at its end.
    png = world.png()
    url = (await create(tus, p, d, len(png), name="x.pdf")).headers["location"]
    r = await patch(tus, p, url, 0, png)
    assert r.status_code == 415 and r.json()["detected"] == "png"
    assert await keys(tus, f"dossiers/{d['id']}/") == []


async def test_nobody_sees_or_touches_anothers_upload(world, tus):
    p, other = await world.citizen(), await world.citizen()
    d = await world.draft(p, client=tus)
    data = world.pdf(20_000)
    url = (await create(tus, p, d, len(data))).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    assert (await head(tus, other, url)).status_code == 404
    assert (await patch(tus, other, url, 0, data)).status_code == 404
    assert (await tus.delete(url, headers={**TUS, **other["h"]})).status_code == 404
    # Not on another's dossier either (its existence not revealed).
    assert (await create(tus, other, d, len(data))).status_code == 404
    assert (await patch(tus, p, url, 0, data)).status_code == 204
    theirs = await world.draft(other, client=tus)
    for target, h in ((d, other["h"]), (theirs, other["h"])):
        r = await tus.post(
            f"{S}/dossiers/{target['id']}/attachments", json={"upload_id": upload_id}, headers=h
        )
        assert r.status_code == 404, r.text
    # The owner attaches it to its own dossier only, under its own component.
    mine2 = await world.draft(p, client=tus)
    r = await tus.post(
        f"{S}/dossiers/{mine2['id']}/attachments", json={"upload_id": upload_id}, headers=p["h"]
    )
    assert r.status_code == 422 and r.json()["code"] == "upload-mismatch"
    r = await tus.post(
        f"{S}/dossiers/{d['id']}/attachments",
        json={"upload_id": upload_id, "component_id": "cccccccccccc"},
        headers=p["h"],
    )
    assert r.status_code == 422
    assert (await head(tus, p, url)).headers["upload-offset"] == str(len(data))


async def test_termination_removes_the_parts(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    data = big_pdf(6 * MIB)
    url = (await create(tus, p, d, len(data) + 10)).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    assert (await patch(tus, p, url, 0, data)).status_code == 204
    rec, parts = await s3_parts(tus, upload_id)
    assert parts == [1] and rec.tail_key is not None
    r = await tus.delete(url, headers={**TUS, **p["h"]})
    assert r.status_code == 204 and r.headers["tus-resumable"] == "1.0.0"
    _, parts = await s3_parts(tus, upload_id)
    assert parts is None and await keys(tus, f"uploads/{upload_id}/") == []
    assert (await head(tus, p, url)).status_code == 410
    assert (await patch(tus, p, url, len(data), b"0123456789")).status_code == 410
    assert (await tus.delete(url, headers={**TUS, **p["h"]})).status_code == 410


async def test_abandoned_uploads_expire_and_their_parts_go(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    data = big_pdf(6 * MIB)
    url = (await create(tus, p, d, len(data) + 1000)).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    assert (await patch(tus, p, url, 0, data)).status_code == 204
    small = world.pdf(3000)
    done_url = (await create(tus, p, d, len(small))).headers["location"]
    assert (await patch(tus, p, done_url, 0, small)).status_code == 204  # complete, never attached
    done_id = done_url.rsplit("/", 1)[1]
    uploads = tus.app.state.uploads
    assert (await uploads.expire(datetime.now(UTC)))["expired_uploads"] == 0  # not yet
    rec = await uploads.repo.get(upload_id)
    assert rec.expires_at > datetime.now(UTC) + timedelta(hours=23)  # 24 h after the last PATCH
    later = datetime.now(UTC) + timedelta(hours=25)
    assert (await uploads.expire(later))["expired_uploads"] >= 2
    _, parts = await s3_parts(tus, upload_id)
    assert parts is None
    assert await keys(tus, f"uploads/{upload_id}/") == []
    assert await keys(tus, f"dossiers/{d['id']}/{done_id}") == []
    assert (await head(tus, p, url)).status_code == 410
    r = await tus.post(f"{S}/dossiers/{d['id']}/attachments", json={"upload_id": done_id}, headers=p["h"])
    assert r.status_code == 410
    assert (await uploads.repo.get(upload_id)).status == "expired"


async def test_a_broken_off_patch_keeps_what_arrived_unless_checksummed(world, tus):
    p = await world.citizen()
    d = await world.draft(p, client=tus)
    data = big_pdf(8 * MIB)
    url = (await create(tus, p, d, len(data))).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    uploads = tus.app.state.uploads

    def cut(chunk: bytes, at: int):
        async def body():
            for i in range(0, at, 256 * 1024):
                yield chunk[i : min(at, i + 256 * 1024)]
            raise Interrupted

        return body()

    rec = await uploads.patch(who(p), upload_id, offset=0, chunks=cut(data, 5 * MIB + 3000))
    assert rec.offset == 5 * MIB + 3000
    assert (await head(tus, p, url)).headers["upload-offset"] == str(5 * MIB + 3000)
    from submission.service.uploads import Checksum

    with pytest.raises(Interrupted):
        await uploads.patch(
            who(p),
            upload_id,
            offset=rec.offset,
            chunks=cut(data[rec.offset :], MIB),
            checksum=Checksum("sha256", hashlib.sha256(data[rec.offset :]).digest()),
        )
    assert (await head(tus, p, url)).headers["upload-offset"] == str(5 * MIB + 3000)
    r = await patch(tus, p, url, rec.offset, data[rec.offset :])
    assert r.status_code == 204
    assert (await uploads.repo.get(upload_id)).sha256 == hashlib.sha256(data).hexdigest()
