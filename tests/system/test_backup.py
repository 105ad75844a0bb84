"""The backup drill on a stack of its own (docs/operations.md, "Backup and restore"): a citizen files
dossiers with attachments, the stack is backed up, more are filed, every database and object is destroyed,
the stack is restored by the same code as ``make restore`` (services stopped, data put back, services
started), and then exactly the dossiers up to the backup are there, with byte-identical attachments, and
the outboxes resume without a duplicate notification (in-app or email) for any of them."""

from __future__ import annotations

import argparse
import asyncio
import email
import re
import uuid
from collections.abc import Iterator
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient, MongoClient

from devstack import backup as bk
from devstack import client
from devstack.config import SERVICE_NAMES
from devstack.testing import CAPTCHA_TEST_ANSWER, RunningStack, eventually, start_stack

S = "/api/v1/submissions"


@pytest.fixture(scope="module")
def own(infra) -> Iterator[RunningStack]:
    run = start_stack(infra, name="backup", namespace="bk_")
    try:
        yield run
    finally:
        run.stack.down(with_infra=False)


def _emails(mail_dir: Path, to: str, code: str) -> int:
    n = 0
    for path in mail_dir.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=default)
        if to in str(msg["To"]) and code in msg.get_body(("plain", "html")).get_content():
            n += 1
    return n


async def _file(http: httpx.AsyncClient, who: client.Person, n: int) -> dict[str, Any]:
    files = {
        c["id"]: client.pdf(3000 + 517 * n + i, salt=uuid.uuid4().bytes)
        for i, c in enumerate(client.TEST_PROCEDURE["components"])
    }
    d = await client.file_dossier(http, who, captcha_answer=CAPTCHA_TEST_ANSWER, files=files)
    return {"id": d["id"], "code": d["code"], "files": files}


async def _attachments(http: httpx.AsyncClient, who: client.Person, dossier_id: str) -> dict[str, bytes]:
    """component id → the bytes the citizen downloads."""
    d = (await http.get(f"{S}/dossiers/{dossier_id}", headers=who.auth)).json()
    out = {}
    for a in d["attachments"]:
        r = await http.get(f"{S}/dossiers/{dossier_id}/attachments/{a['id']}", headers=who.auth)
        assert r.status_code == 200, r.text
        out[a["component_id"]] = r.content
    return out


async def test_backup_destroy_restore(
    own: RunningStack, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    notify_db = AsyncMongoClient(own.mongo_url_for("notify"))[own.db_name("notify")]
    submission_db = AsyncMongoClient(own.mongo_url_for("submission"))[own.db_name("submission")]

    async def settled(dossiers: list[dict[str, Any]]) -> bool:
        """Each dossier's submission notice is in the app and its email was sent; nothing left to publish."""
        for d in dossiers:
            if not await notify_db.notifications.count_documents({"dossier_id": d["id"]}):
                return False
        if await notify_db.deliveries.count_documents({"status": {"$in": ["pending", "temporary_failure"]}}):
            return False
        return not await submission_db.outbox.count_documents({"status": "pending"})

    async with httpx.AsyncClient(base_url=own.url, timeout=60) as http, own.inbox() as inbox:
        admin = await client.admin(http, own.cfg.admin_username, own.cfg.admin_password)
        await client.add_procedure(http, admin)

        async def procedure_known() -> bool:
            r = await http.get(f"{S}/agencies", params={"procedure": client.TEST_PROCEDURE_CODE})
            return r.status_code == 200 and bool(r.json())

        await eventually(procedure_known, timeout=60, interval=0.2)
        citizen = await client.register(http, inbox)
        before = [await _file(http, citizen, n) for n in range(3)]
        await eventually(lambda: settled(before), timeout=60, interval=0.3)

        manifest = bk.backup(bk.Target.of(own.cfg), str(tmp_path / "b"))
        assert set(manifest["services"]) == set(SERVICE_NAMES)
        assert manifest["buckets"][own.cfg.bucket]["count"] >= 3 * len(client.TEST_PROCEDURE["components"])

        after = [await _file(http, citizen, n) for n in range(3, 5)]
        await eventually(lambda: settled(after), timeout=60, interval=0.3)

    # The disaster: the services stop, every database and every object is gone.
    own.stack.down(with_infra=False)
    for name in SERVICE_NAMES:
        with MongoClient(own.mongo_url_for(name)) as c:
            c.drop_database(own.db_name(name))
    s3 = bk.Target.of(own.cfg).s3()
    for o in list(bk._list_objects(s3, own.cfg.bucket)):
        s3.delete_object(Bucket=own.cfg.bucket, Key=o["Key"])

    # `make restore BACKUP=…`, on this stack: stop, put back, start.
    args = argparse.Namespace(action="restore", path=str(tmp_path / "b"), to=None, resend_minutes=None)
    assert await asyncio.to_thread(bk.main, own.cfg, own.stack, args) == 0
    said = capsys.readouterr().out
    resent = re.search(r"published again: .*submission (\d+)", said)
    assert resent and int(resent.group(1)) >= len(before), said

    async with httpx.AsyncClient(base_url=own.url, timeout=60) as http:
        citizen = await client.login(http, citizen, citizen.citizen_id, client.PASSWORD)
        mine = (await http.get(f"{S}/dossiers", params={"size": 50}, headers=citizen.auth)).json()
        assert sorted(d["code"] for d in mine["items"] if d["code"]) == sorted(d["code"] for d in before)
        for d in before:
            assert await _attachments(http, citizen, d["id"]) == d["files"]
        for d in after:
            r = await http.get(f"{S}/dossiers/{d['id']}", headers=citizen.auth)
            assert r.status_code == 404

        # The outboxes resumed: what was sent in the 15 minutes before the backup went out again (the
        # whole test is shorter), and the consumers recognised it; no dossier has a second notice, in the app or by email.
        await eventually(lambda: settled(before), timeout=60, interval=0.3)
        for d in before:
            assert await notify_db.notifications.count_documents({"dossier_id": d["id"]}) == 1
            assert _emails(own.infra.mail_dir, citizen.email, d["code"]) == 1

        # And the stack works on: a new dossier is filed and notified once.
        new = await _file(http, citizen, 9)
        await eventually(lambda: settled([new]), timeout=60, interval=0.3)
        assert await notify_db.notifications.count_documents({"dossier_id": new["id"]}) == 1
