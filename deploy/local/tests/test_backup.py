"""devstack.backup against the run's real MongoDB servers (one a service) and S3: a backup is one snapshot
a service, restore gives back exactly it (documents, indexes, objects byte for byte), re-arms the outbox
records sent just before the snapshot, and refuses what is not a backup."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo import IndexModel, MongoClient

from devstack import backup as bk
from devstack.config import SERVICE_NAMES
from devstack.testing import Infra


def _target(infra: Infra, tag: str) -> bk.Target:
    return bk.Target(
        mongo={
            name: (infra.mongo_url_for(name), f"{infra.namespace}bk{tag}_{name}") for name in SERVICE_NAMES
        },
        s3_endpoint=infra.s3_endpoint,
        bucket=f"{infra.namespace.replace('_', '-')}bk{tag}",
        s3_access_key=infra.s3_access_key,
        s3_secret_key=infra.s3_secret_key,
    )


def _db(target: bk.Target, service: str) -> tuple[MongoClient, str]:
    url, db = target.mongo[service]
    return MongoClient(url), db


def test_backup_and_restore_round_trip(infra: Infra, tmp_path: Path) -> None:
    target = _target(infra, "a")
    s3 = target.s3()
    s3.create_bucket(Bucket=target.bucket)
    blobs = {f"dossiers/{i}/file-{i}.pdf": bytes([i]) * (1000 + i * 37) for i in range(12)}
    for key, data in blobs.items():
        s3.put_object(Bucket=target.bucket, Key=key, Body=data, ContentType="application/pdf")
    old = datetime.now(UTC) - timedelta(hours=2)
    for service in SERVICE_NAMES:
        c, name = _db(target, service)
        with c:
            db = c[name]
            db.things.create_indexes([IndexModel([("k", 1)], name="k", unique=True)])
            db.things.insert_many([{"k": i, "at": datetime.now(UTC), "svc": service} for i in range(300)])
            db.outbox.insert_many(
                [
                    {"_id": "recent", "status": "sent", "sent_at": datetime.now(UTC)},
                    {"_id": "old", "status": "sent", "sent_at": old},
                    {"_id": "pending", "status": "pending", "due_at": datetime.now(UTC)},
                ]
            )

    # Writes go on while the backup reads: each service's copy is one moment (the 300 first, or more,
    # but counts in the manifest match what the files hold).
    stop = threading.Event()

    def writer() -> None:
        c, name = _db(target, "submission")
        with c:
            k = 1000
            while not stop.is_set():
                c[name].things.insert_one({"k": k})
                k += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        manifest = bk.backup(target, str(tmp_path / "b1"))
    finally:
        stop.set()
        t.join()
    assert (tmp_path / "b1" / bk.MANIFEST).exists()
    saved = json.loads((tmp_path / "b1" / bk.MANIFEST).read_text())
    assert saved["order"][:2] == ["auth", "catalog"]
    assert saved["buckets"][target.bucket]["count"] == len(blobs)
    in_backup = saved["services"]["submission"]["databases"][target.mongo["submission"][1]]["collections"]
    n_things = in_backup["things"]["documents"]
    assert n_things >= 300
    assert manifest["bytes"] > 0

    # After the backup: more data, changed data, a new object, a removed one.
    for service in SERVICE_NAMES:
        c, name = _db(target, service)
        with c:
            c[name].things.insert_one({"k": -1})
            c[name].things.update_one({"k": 0}, {"$set": {"changed": True}})
    s3.put_object(Bucket=target.bucket, Key="dossiers/late.pdf", Body=b"late")
    s3.delete_object(Bucket=target.bucket, Key="dossiers/3/file-3.pdf")

    done = bk.restore(target, str(tmp_path / "b1"), resend_minutes=15)
    for service in SERVICE_NAMES:
        c, name = _db(target, service)
        with c:
            db = c[name]
            expected = n_things if service == "submission" else 300
            assert db.things.count_documents({}) == expected
            assert db.things.count_documents({"k": -1}) == 0
            assert db.things.find_one({"k": 0}).get("changed") is None
            assert "k" in db.things.index_information()
            assert db.things.index_information()["k"].get("unique") is True
            status = {d["_id"]: d["status"] for d in db.outbox.find()}
            # Sent just before the snapshot: published again (consumers recognise what they handled).
            assert status == {"recent": "pending", "old": "sent", "pending": "pending"}
        assert done["services"][service]["outbox resent"] == 1
    keys = sorted(o["Key"] for o in bk._list_objects(s3, target.bucket))
    assert keys == sorted(blobs)
    for key, data in blobs.items():
        assert s3.get_object(Bucket=target.bucket, Key=key)["Body"].read() == data
    assert done["objects"]["deleted"] == 1


def test_backup_to_a_bucket_and_back(infra: Infra) -> None:
    target = _target(infra, "s")
    c, name = _db(target, "auth")
    with c:
        c[name].users.insert_many([{"n": i} for i in range(10)])
        where = f"s3://{infra.namespace.replace('_', '-')}bkstore/run1"
        bk.backup(target, where)
        c[name].users.delete_many({})
        bk.restore(target, where)
        assert c[name].users.count_documents({}) == 10


def test_restore_refuses_what_is_not_a_backup(infra: Infra, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not a"):
        bk.restore(_target(infra, "n"), str(tmp_path))


def test_a_text_index_is_made_again_from_its_fields() -> None:
    listed = {"v": 2, "key": {"_fts": "text", "_ftsx": 1}, "name": "t", "weights": {"title": 3, "body": 1}}
    model = bk._index_model(bk._xjson(listed)).document
    assert list(model["key"].items()) == [("title", "text"), ("body", "text")]
    assert model["name"] == "t" and model["weights"] == {"title": 3, "body": 1}
