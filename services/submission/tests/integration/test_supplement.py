"""A supplement (status 5) adds to a filed dossier; it does not reopen it as a draft. Files filed before
the officer's request stay, unless the officer named their component (then they may be replaced, and
the replaced file stays in the record); every change is in the history; resubmission checks the
dossier is complete again (security review, issue 12, finding 3)."""

from __future__ import annotations

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"  # where world.ready() files
FORM, PROOF, CONSENT = "aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"  # CONSENT is optional


async def accepted(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    did = (await world.submitted(p))["id"]
    assert (await world.act(officer, did, "accept")).status_code == 200
    return p, officer, did


async def dossier(world, p, did):
    r = await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])
    assert r.status_code == 200, r.text
    return r.json()


async def delete(world, p, did, fid):
    return await world.sub.delete(f"{S}/dossiers/{did}/attachments/{fid}", headers=p["h"])


async def test_the_filed_files_cannot_be_swapped_out_during_a_supplement(world):
    """The reported attack: after a request naming no component, delete every accepted file, upload one,
    resubmit. Each deletion is refused and changes nothing; the officer gets the filed files back."""
    p, officer, did = await accepted(world)
    filed = (await dossier(world, p, did))["attachments"]
    r = await world.act(officer, did, "request-supplement", {"items": ["Bản sao hợp đồng thuê nhà"]})
    assert r.status_code == 200
    rev = r.json()["rev"]
    store = world.sub.app.state.store
    for a in filed:
        r = await delete(world, p, did, a["id"])
        assert r.status_code == 409 and r.json()["code"] == "file-filed", r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail"].startswith("Tệp đã nộp không thể xóa")  # Vietnamese first
        assert await store.head(f"dossiers/{did}/{a['id']}") is not None
    assert (await dossier(world, p, did))["rev"] == rev  # the refusals changed nothing
    assert (await world.upload(p, did, CONSENT, world.pdf())).status_code == 201
    assert (await world.act(p, did, "resubmit")).status_code == 200
    seen = (await world.sub.get(f"{S}/officer/dossiers/{did}", headers=officer["h"])).json()
    assert [a["id"] for a in seen["attachments"][:2]] == [a["id"] for a in filed]
    assert [a["component_id"] for a in seen["attachments"]] == [FORM, PROOF, CONSENT]


async def test_a_named_component_is_replaced_and_every_change_is_in_the_history(world):
    p, officer, did = await accepted(world)
    filed = {a["component_id"]: a for a in (await dossier(world, p, did))["attachments"]}
    # Component ids are checked against the dossier's own (frozen) components; nothing changes otherwise.
    r = await world.act(officer, did, "request-supplement", {"items": ["x"], "components": ["zzzzzzzzzzzz"]})
    assert r.status_code == 422 and r.json()["code"] == "unknown-component"
    assert set(r.json()["components"]) == {FORM, PROOF, CONSENT}
    for bad in ("bbbbbbbbbbbb", [1], ["b"] * 51):
        r = await world.act(officer, did, "request-supplement", {"items": ["x"], "components": bad})
        assert r.status_code == 422, bad
    r = await world.act(officer, did, "start", {"components": [PROOF]})  # only a supplement names them
    assert r.status_code == 422
    assert (await dossier(world, p, did))["status"] == "accepted"

    # Naming the component is enough: its name becomes the item to supplement.
    r = await world.act(officer, did, "request-supplement", {"components": [PROOF]})
    assert r.status_code == 200, r.text
    asked = r.json()
    assert asked["supplement_components"] == [PROOF]
    assert asked["supplement_items"] == ["Giấy tờ chứng minh chỗ ở hợp pháp"]
    assert asked["history"][-1]["components"] == [PROOF]

    # The named component's filed file is replaced: gone from the files, kept in the record.
    old = filed[PROOF]
    assert (await delete(world, p, did, old["id"])).status_code == 204
    now = await dossier(world, p, did)
    assert [a["component_id"] for a in now["attachments"]] == [FORM]
    assert [(a["id"], a["sha256"]) for a in now["superseded"]] == [(old["id"], old["sha256"])]
    got = await world.sub.get(f"{S}/dossiers/{did}/attachments/{old['id']}", headers=p["h"])
    assert got.status_code == 200 and got.content == world.png()
    got = await world.sub.get(f"{S}/officer/dossiers/{did}/attachments/{old['id']}", headers=officer["h"])
    assert got.status_code == 200
    # The component not named stays as filed.
    r = await delete(world, p, did, filed[FORM]["id"])
    assert r.status_code == 409 and r.json()["code"] == "file-filed"

    # An addition of this supplement may be taken back before resubmitting; resubmission checks the
    # dossier is complete again.
    extra = (await world.upload(p, did, CONSENT, world.pdf())).json()
    r = await world.act(p, did, "resubmit")
    assert r.status_code == 422 and r.json()["code"] == "dossier-incomplete"
    assert [m["item"] for m in r.json()["missing"]] == [f"component:{PROOF}"]
    assert (await delete(world, p, did, extra["id"])).status_code == 204
    new = (await world.upload(p, did, PROOF, world.png(), "ảnh rõ hơn.png", "image/png")).json()
    r = await world.act(p, did, "resubmit")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["supplement_components"] == []
    assert [a["id"] for a in done["attachments"]] == [filed[FORM]["id"], new["id"]]
    changes = [(h["change"]["kind"], h["change"]["attachment_id"]) for h in done["history"] if h["change"]]
    assert changes == [
        ("file_superseded", old["id"]),
        ("file_added", extra["id"]),
        ("file_removed", extra["id"]),
        ("file_added", new["id"]),
    ]
    assert all(h["actor_role"] == "citizen" for h in done["history"] if h["change"])
    # A later supplement naming nothing: the replacement is a filed file now, and stays.
    assert (await world.act(officer, did, "request-supplement", {"items": ["Ảnh 3x4"]})).status_code == 200
    r = await delete(world, p, did, new["id"])
    assert r.status_code == 409 and r.json()["code"] == "file-filed"
