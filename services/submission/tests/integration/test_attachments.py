"""Step 2's rules: real file types, limits while streaming, names, deletion; nothing half-stored."""

from __future__ import annotations

import io
import zipfile

S = "/api/v1/submissions"


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


async def _state(world, p, d):
    full = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    raw = await world.sub.app.state.runtime.db.dossiers.find_one({"_id": d["id"]})
    pending = len(raw.get("uploading", []))
    return full, pending


async def test_a_renamed_executable_and_wrong_types_are_refused(world):
    p = await world.citizen()
    d = await world.draft(p)
    exe = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 5000
    r = await world.upload(p, d["id"], "aaaaaaaaaaaa", exe, "to-khai.pdf")
    assert r.status_code == 415 and r.json()["code"] == "file-type-refused" and r.json()["detected"] == "exe"
    # The CT01 form must be a PDF: a real PNG is refused there, accepted where images are.
    r = await world.upload(p, d["id"], "aaaaaaaaaaaa", world.png(), "a.png", "image/png")
    assert r.status_code == 415 and r.json()["accepted"] == ["pdf"]
    r = await world.upload(
        p, d["id"], "cccccccccccc", docx(), "Văn bản đồng ý.docx", "application/octet-stream"
    )
    assert r.status_code == 201 and r.json()["content_type"].endswith("wordprocessingml.document")
    full, pending = await _state(world, p, d)
    assert len(full["attachments"]) == 1 and pending == 0


async def test_limits_are_enforced_while_streaming_and_leave_nothing(world):
    p = await world.citizen()
    d = await world.draft(p)
    big = world.pdf(70 * 1024)  # the component allows 64 KB
    r = await world.upload(p, d["id"], "bbbbbbbbbbbb", big, "lớn.pdf")
    assert r.status_code == 413 and r.json()["code"] == "file-too-large" and r.json()["limit_bytes"] == 65536
    r = await world.upload(p, d["id"], "aaaaaaaaaaaa", b"", "rỗng.pdf")
    assert r.status_code == 422 and r.json()["code"] == "file-empty"
    full, pending = await _state(world, p, d)
    assert full["attachments"] == [] and full["total_bytes"] == 0 and pending == 0
    store = world.sub.app.state.store
    listed = await store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"dossiers/{d['id']}/")
    assert listed.get("KeyCount", 0) == 0


async def test_the_dossier_total_is_limited(world):
    settings = world.sub.app.state.runtime.settings.model_copy(update={"max_dossier_bytes": 5000})
    small = await world.make_submission(settings)
    p = await world.citizen()
    d = await world.draft(p, client=small)
    assert (await world.upload(p, d["id"], "aaaaaaaaaaaa", world.pdf(3000), client=small)).status_code == 201
    r = await world.upload(p, d["id"], "cccccccccccc", world.pdf(3000), client=small)
    assert r.status_code == 413


def raw_form(filename: bytes, data: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart body written by hand: HTTP clients clean file names, an attacker's does not."""
    b = b"dvcboundary"
    body = (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="component_id"\r\n\r\naaaaaaaaaaaa\r\n'
        b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + data + b"\r\n--" + b + b"--\r\n"
    )
    return body, {"Content-Type": "multipart/form-data; boundary=dvcboundary"}


async def test_bad_file_names_and_forms_are_refused(world):
    p = await world.citizen()
    d = await world.draft(p)
    for name in (
        b"../../etc/passwd.pdf",
        b"C:\\\\Users\\\\a.pdf",
        b"a\x01b.pdf",
        b"a\x7fb.pdf",
        "tệp\u2028mới.pdf".encode(),
        b"   ",
    ):
        body, headers = raw_form(name, world.pdf())
        r = await world.sub.post(
            f"{S}/dossiers/{d['id']}/attachments", content=body, headers={**p["h"], **headers}
        )
        assert r.status_code == 422, name
        assert r.json()["code"] in ("bad-file-name", "validation-error"), r.json()
    body, headers = raw_form(b"--not-the-boundary", b"x")
    r = await world.sub.post(
        f"{S}/dossiers/{d['id']}/attachments", content=body[:40], headers={**p["h"], **headers}
    )
    assert r.status_code in (400, 422)
    r = await world.upload(p, d["id"], "zzzzzzzzzzzz", world.pdf())
    assert r.status_code == 422 and r.json()["code"] == "unknown-component"
    # JSON names a finished resumable upload (test_uploads.py): anything else in it is invalid.
    r = await world.sub.post(f"{S}/dossiers/{d['id']}/attachments", headers=p["h"], json={"file": "x"})
    assert r.status_code == 422 and r.json()["code"] == "validation-error"
    r = await world.sub.post(
        f"{S}/dossiers/{d['id']}/attachments", headers={**p["h"], "Content-Type": "text/plain"}, content=b"x"
    )
    assert r.status_code == 415
    r = await world.sub.post(
        f"{S}/dossiers/{d['id']}/attachments", headers=p["h"], files={"component_id": (None, "aaaaaaaaaaaa")}
    )
    assert r.status_code == 422 and r.json()["code"] == "file-required"
    # component_id may also come in the query string
    r = await world.sub.post(
        f"{S}/dossiers/{d['id']}/attachments?component_id=aaaaaaaaaaaa",
        headers=p["h"],
        files={"file": ("q.pdf", world.pdf(), "application/pdf")},
    )
    assert r.status_code == 201
    full, pending = await _state(world, p, d)
    assert len(full["attachments"]) == 1 and pending == 0


async def test_several_files_per_component_and_deleting_one(world):
    p = await world.citizen()
    d = await world.draft(p)
    a = (await world.upload(p, d["id"], "bbbbbbbbbbbb", world.png(), "mặt trước.png", "image/png")).json()
    b = (await world.upload(p, d["id"], "bbbbbbbbbbbb", world.png(), "mặt sau.png", "image/png")).json()
    store = world.sub.app.state.store
    assert (
        await world.sub.delete(f"{S}/dossiers/{d['id']}/attachments/{a['id']}", headers=p["h"])
    ).status_code == 204
    full = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    assert [x["id"] for x in full["attachments"]] == [b["id"]] and full["total_bytes"] == b["size"]
    assert await store.head(f"dossiers/{d['id']}/{a['id']}") is None
    assert (
        await world.sub.delete(f"{S}/dossiers/{d['id']}/attachments/{a['id']}", headers=p["h"])
    ).status_code == 404


async def test_files_cannot_change_after_submission(world):
    p = await world.citizen()
    d = await world.ready(p)
    assert (await world.submit(p, d["id"])).status_code == 200
    r = await world.upload(p, d["id"], "cccccccccccc", world.pdf())
    assert r.status_code == 409 and r.json()["code"] == "not-a-draft"
    full = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    first = full["attachments"][0]["id"]
    assert (
        await world.sub.delete(f"{S}/dossiers/{d['id']}/attachments/{first}", headers=p["h"])
    ).status_code == 409
    r = await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(p), headers=p["h"])
    assert r.status_code == 409
