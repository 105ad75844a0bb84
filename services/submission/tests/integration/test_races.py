"""Concurrent requests on one dossier: the answer each gets is what happened to the dossier. A submit
racing deletions never files an incomplete dossier and a DELETE that answers 204 did delete; parallel
uploads never pass the file limit (security review, issue 12, findings 7 and 8)."""

from __future__ import annotations

import asyncio
import random

from submission.domain.dossier import missing_items

S = "/api/v1/submissions"
REQUIRED = ("aaaaaaaaaaaa", "bbbbbbbbbbbb")


async def submit(world, p, did: str, captcha: str):
    body = {"captcha_id": captcha, "captcha_answer": "test-captcha"}
    return await world.sub.post(f"{S}/dossiers/{did}/submit", headers=p["h"], json=body)


async def delete(world, p, did: str, fid: str, delay: float):
    await asyncio.sleep(delay)
    return await world.sub.delete(f"{S}/dossiers/{did}/attachments/{fid}", headers=p["h"])


async def test_submit_and_deletions_at_once_agree_with_the_dossier(world):
    p = await world.citizen()
    db = world.sub.app.state.runtime.db
    for trial in range(8):
        d = await world.ready(p)
        did = d["id"]
        files = (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()["attachments"]
        captcha = await world.captcha(p)
        # Half the trials delete at once, half a little later: both orders of the race are met.
        delays = [0.0] * len(files) if trial % 2 == 0 else [random.uniform(0, 0.05) for _ in files]
        sub, *dels = await asyncio.gather(
            submit(world, p, did, captcha),
            *(delete(world, p, did, f["id"], t) for f, t in zip(files, delays, strict=True)),
        )
        stored = await db.dossiers.find_one({"_id": did})
        kept = {a["id"] for a in stored["attachments"]}
        for f, r in zip(files, dels, strict=True):
            assert r.status_code in (204, 409), r.text
            if r.status_code == 204:
                assert f["id"] not in kept, "a DELETE answered 204 and deleted nothing"
            else:
                assert f["id"] in kept and r.json()["code"] in ("not-a-draft", "dossier-changed")
        if sub.status_code == 200:
            assert stored["status"] == "submitted"
            assert not missing_items(stored), "submitted without its required files"
            assert {a["component_id"] for a in stored["attachments"]} >= set(REQUIRED)
        else:
            assert sub.status_code == 422 and sub.json()["code"] == "dossier-incomplete", sub.text
            assert stored["status"] == "draft"


async def test_parallel_uploads_never_pass_the_file_limit(world):
    p = await world.citizen()
    d = await world.draft(p)
    did = d["id"]
    limit = world.sub.app.state.runtime.settings.max_files
    for i in range(limit - 2):
        r = await world.upload(p, did, "cccccccccccc", world.pdf(), f"tệp {i}.pdf")
        assert r.status_code == 201, r.text
    got = await asyncio.gather(
        *(world.upload(p, did, "cccccccccccc", world.pdf(), f"song song {i}.pdf") for i in range(24))
    )
    codes = sorted(r.status_code for r in got)
    assert codes.count(201) == 2, codes
    for r in got:
        if r.status_code != 201:
            assert r.status_code == 409 and r.json()["code"] in ("too-many-files", "dossier-changed"), r.text
    stored = await world.sub.app.state.runtime.db.dossiers.find_one({"_id": did})
    assert len(stored["attachments"]) == limit and not stored.get("uploading")
    store = world.sub.app.state.store
    listed = await store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"dossiers/{did}/")
    assert listed.get("KeyCount", 0) == limit  # a refused upload left no object behind
    r = await world.upload(p, did, "cccccccccccc", world.pdf(), "một tệp nữa.pdf")
    assert r.status_code == 409 and r.json()["code"] == "too-many-files"


async def test_the_file_limit_counts_files_and_uploads_however_they_end_and_on_older_dossiers(world):
    """The slots follow every way a file comes and goes (a refused upload frees its slot, a removed file
    frees its own), and a dossier stored before the service kept its slots is still held to the limit."""
    settings = world.sub.app.state.runtime.settings.model_copy(update={"max_files": 3})
    small = await world.make_submission(settings)
    db = world.sub.app.state.runtime.db
    p = await world.citizen()

    async def upload(did: str, component: str = "cccccccccccc", data: bytes | None = None):
        return await world.upload(p, did, component, data or world.pdf(), client=small)

    did = (await world.draft(p, client=small))["id"]
    # Over its component's 64 KB once streaming: refused after it took a slot, which it gives back.
    r = await upload(did, "bbbbbbbbbbbb", world.pdf(200_000))
    assert r.status_code == 413, r.text
    ids = []
    for _ in range(3):
        r = await upload(did)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert (await upload(did)).json()["code"] == "too-many-files"
    r = await small.delete(f"{S}/dossiers/{did}/attachments/{ids[0]}", headers=p["h"])
    assert r.status_code == 204
    assert (await upload(did)).status_code == 201
    stored = await db.dossiers.find_one({"_id": did})
    assert sorted(stored["slots"]) == sorted(a["id"] for a in stored["attachments"])
    assert not stored["uploading"]

    # Older: no slots list; the limit still counts its files and its uploads in progress.
    older = (await world.draft(p, client=small))["id"]
    await db.dossiers.update_one({"_id": older}, {"$unset": {"slots": ""}})
    got = await asyncio.gather(*(upload(older) for _ in range(6)))
    assert sorted(r.status_code for r in got).count(201) == 3, [r.text for r in got]
    stored = await db.dossiers.find_one({"_id": older})
    assert len(stored["attachments"]) == 3 and "slots" not in stored and not stored["uploading"]
