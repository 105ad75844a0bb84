"""Backup and restore of a stack holding 10,000 dossiers (issue 22): how long ``make backup`` takes and how
big it is, how long ``make restore`` takes (data put back; services started again).

    nice .venv/bin/python bench/backup.py [--dossiers 10000] [--citizens 16] [--kib 16] [--seed-minutes 45]

Starts a stack of its own (``lib.harness.stack``: fresh MongoDB servers, one a service; the machine's S3
and RabbitMQ), has the administrator add ``devstack.client.TEST_PROCEDURE`` (two required PDF
components), registers ``--citizens`` citizens and has them file ``--dossiers`` dossiers through the
gateway, side by side, the four steps as a person takes them (draft, step 1, two uploads of ``--kib`` KiB
of random bytes, fees, captcha, submit): the services' own code path, outbox and events included, so
notify and reporting hold what they would. Seeding stops early after ``--seed-minutes`` (a slow shared
machine): the result says how many were filed. Then it waits for the events to settle, backs up
(``devstack.backup.backup``, the code of ``make backup``), stops the services, restores
(``devstack.backup.restore``) and starts them again (``make restore`` does exactly these), checks the
counts, and writes bench/results/backup.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, save, stack

from devstack import backup as bk
from devstack import client
from devstack.config import SERVICE_NAMES

S = "/api/v1/submissions"


def _counts(cfg: Any) -> dict[str, int]:
    with MongoClient(cfg.mongo_url_for("submission")) as c:
        dossiers = c[cfg.db_name("submission")].dossiers.count_documents({"code": {"$ne": None}})
    with MongoClient(cfg.mongo_url_for("notify")) as c:
        notices = c[cfg.db_name("notify")].notifications.count_documents({})
    return {"dossiers_filed": dossiers, "notifications": notices}


def _settled(cfg: Any) -> bool:
    with MongoClient(cfg.mongo_url_for("submission")) as c:
        if c[cfg.db_name("submission")].outbox.count_documents({"status": "pending"}):
            return False
    with MongoClient(cfg.mongo_url_for("notify")) as c:
        db = c[cfg.db_name("notify")]
        return not db.deliveries.count_documents({"status": {"$in": ["pending", "temporary_failure"]}})


async def seed(cfg: Any, n: int, citizens: int, kib: int, minutes: float) -> dict[str, Any]:
    deadline = time.monotonic() + minutes * 60
    limits = httpx.Limits(max_connections=citizens * 2)
    async with httpx.AsyncClient(base_url=cfg.gateway_url, timeout=120, limits=limits) as http:
        inbox = client.Inbox(cfg.mongo_url_for("notify"), cfg.db_name("notify"), cfg.mail_dir)
        admin = await client.admin(http, cfg.admin_username, cfg.admin_password)
        # Two agencies: an agency's dossier codes of one day end in a four-digit number (at most 9,999).
        procedures = [
            client.TEST_PROCEDURE,
            {**client.TEST_PROCEDURE, "code": "2.999901", "agencies": ["Sở Xây dựng"]},
        ]
        for procedure in procedures:
            await client.add_procedure(http, admin, procedure)
            while True:
                r = await http.get(f"{S}/agencies", params={"procedure": procedure["code"]})
                if r.status_code == 200 and r.json():
                    break
                await asyncio.sleep(0.3)
        people = await client.register_many(http, inbox, citizens)
        await inbox.close()
        filed = 0
        failed = 0
        t0 = time.monotonic()
        components = [c["id"] for c in client.TEST_PROCEDURE["components"]]

        async def person(p: client.Person) -> None:
            nonlocal filed, failed
            while filed < n and time.monotonic() < deadline:
                files = {cid: b"%PDF-1.5\n" + os.urandom(kib * 1024 - 9) for cid in components}
                filed += 1  # claimed before the await: the total stops at n
                try:
                    code = procedures[filed % len(procedures)]["code"]
                    await client.file_dossier(
                        http, p, captcha_answer=cfg.captcha_test_answer, procedure_code=code, files=files
                    )
                except Exception as e:  # a timeout on a loaded machine: counted, the run goes on
                    filed -= 1
                    failed += 1
                    print(f"filing failed: {e!r}", flush=True)
                    await asyncio.sleep(1)
                    if ": 401 " in str(e):
                        await client.login(http, p, p.citizen_id, client.PASSWORD)
                    continue
                if filed % 250 == 0:
                    rate = filed / (time.monotonic() - t0)
                    print(f"{filed} dossiers filed, {rate:.1f}/s", flush=True)

        await asyncio.gather(*(person(p) for p in people))
        return {"seconds": round(time.monotonic() - t0, 1), "failed_attempts": failed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=10_000)
    ap.add_argument("--citizens", type=int, default=16)
    ap.add_argument("--kib", type=int, default=16, help="size of each of a dossier's two files")
    ap.add_argument("--seed-minutes", type=float, default=45.0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dvc-bench-backup-"))
    try:
        with stack() as s:
            cfg = s.cfg
            t0 = time.monotonic()
            seeding = asyncio.run(seed(cfg, args.dossiers, args.citizens, args.kib, args.seed_minutes))
            settle_from = time.monotonic()
            while not _settled(cfg) and time.monotonic() - settle_from < 600:
                time.sleep(1)
            seeding["settle_seconds"] = round(time.monotonic() - settle_from, 1)
            before = _counts(cfg)
            print(f"seeded in {time.monotonic() - t0:.0f}s: {before}", flush=True)

            target = bk.Target.of(cfg)
            dest = work / "backup"
            t = time.monotonic()
            manifest = bk.backup(target, str(dest), say=print)
            backup_s = time.monotonic() - t

            t = time.monotonic()
            s.down(with_infra=False)
            stop_s = time.monotonic() - t
            # The disaster, as in tests/system/test_backup.py: every database and object gone (not timed).
            for name in SERVICE_NAMES:
                with MongoClient(cfg.mongo_url_for(name)) as c:
                    c.drop_database(cfg.db_name(name))
            s3 = target.s3()
            for o in list(bk._list_objects(s3, cfg.bucket)):
                s3.delete_object(Bucket=cfg.bucket, Key=o["Key"])
            restored = bk.restore(target, str(dest), say=print)
            t = time.monotonic()
            s.up(with_infra=False)
            start_s = time.monotonic() - t
            after = _counts(cfg)
            assert after == before, (before, after)

            services = {
                name: {"documents": m["documents"], "gzip_bytes": m["bytes"]}
                for name, m in manifest["services"].items()
            }
            objects = next(iter(manifest["buckets"].values()))
            save(
                "backup",
                {
                    "machine": MACHINE,
                    "note": "2 cores shared with other work while it ran (nice); stand-ins: secantusdb, JuiceFS",
                    "asked": vars(args),
                    "stack": before,
                    "seeding": seeding,
                    "backup": {
                        "seconds": round(backup_s, 1),
                        "databases_seconds": manifest["seconds"]["databases"],
                        "objects_seconds": manifest["seconds"]["objects"],
                        "bytes": manifest["bytes"],
                        "documents": sum(m["documents"] for m in manifest["services"].values()),
                        "database_bytes_gzip": sum(m["bytes"] for m in manifest["services"].values()),
                        "objects": objects["count"],
                        "object_bytes": objects["bytes"],
                        "services": services,
                    },
                    "per_dossier": {
                        "backup_bytes": round(manifest["bytes"] / max(1, before["dossiers_filed"])),
                        "note": "catalog's seed (7,473 documents, most of the database bytes) is there at any size",
                    },
                    "restore": {
                        "seconds": round(stop_s + restored["seconds"]["total"] + start_s, 1),
                        "stop_services_seconds": round(stop_s, 1),
                        "databases_seconds": restored["seconds"]["databases"],
                        "objects_seconds": restored["seconds"]["objects"],
                        "start_services_seconds": round(start_s, 1),
                        "objects": restored["objects"],
                        "counts_after": after,
                    },
                },
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
