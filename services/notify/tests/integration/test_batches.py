"""Notify under a burst: events handled in batches (contacts read once a batch, inserts together),
deliveries handed to the worker without a claim, and live streams fed by one watcher a replica."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

from devstack.testing import eventually
from dvckit.contracts import DossierSubmittedV1, UserRegisteredV1
from dvckit.events import Envelope
from dvckit.mongo_metrics import commands

from .test_live import _events, _open

N = "/api/v1/notifications"


def submitted(user_id: str, code: str) -> DossierSubmittedV1:
    return DossierSubmittedV1(
        dossier_id=str(uuid.uuid4()),
        code=code,
        owner_id=user_id,
        procedure_code="1.004194",
        procedure_name="Đăng ký tạm trú",
        procedure_version=1,
        agency_code="000.32.02.H26",
        agency_name="Công an Phường Ngô Quyền",
        submitted_at=datetime.now(UTC),
    )


def sent(db_name: str, command: str) -> float:
    return commands.labels(db_name, command)._value.get()


async def burst(n, envelopes: list[Envelope]) -> None:
    """Published while the replica is not consuming: its consumer then finds them all waiting."""
    consumer = n.rt.consumer
    await consumer.queue.cancel(consumer._tag)
    for env in envelopes:
        await n.rt.bus.publish(env)
    consumer._tag = await consumer.queue.consume(consumer._on_message)


async def test_a_burst_is_handled_in_batches_with_each_users_contact_as_of_its_events(notify, mailbox):
    """A registration and the same person's dossier in one batch: the dossier's email goes to the address
    the registration gave (the batch's contacts follow its own changes). Every event once, fewer
    contact reads than events."""
    users = [
        {
            "user_id": str(uuid.uuid4()),
            "full_name": f"Trần Thị Lô {i}",
            "email": f"lo{i}-{uuid.uuid4().hex[:6]}@example.vn",
            "phone": None,
        }
        for i in range(10)
    ]
    envs = [Envelope.wrap(UserRegisteredV1(**u, roles=["citizen"]), producer="test") for u in users]
    envs += [
        Envelope.wrap(submitted(u["user_id"], f"H26.{i:04d}"), producer="test") for i, u in enumerate(users)
    ]
    db = notify.rt.settings.mongo_db
    finds_before = sent(db, "find")
    await burst(notify, envs)

    for u in users:
        await eventually(lambda u=u: len(mailbox.to(u["email"])) == 2, 15)  # welcome, then the dossier
    in_app = await notify.db.notifications.count_documents(
        {"user_id": {"$in": [u["user_id"] for u in users]}}
    )
    assert in_app == 20
    # Each dossier email is addressed by name from the registration handled just before it.
    for u in users:
        subjects = [m["Subject"] for m in mailbox.to(u["email"])]
        assert len(subjects) == 2
    # One contact query a batch (plus the claim loop's polls), not one an event.
    assert sent(db, "find") - finds_before < len(envs)


async def test_deliveries_go_out_without_being_claimed(notify, mailbox):
    u = await notify.citizen()
    db = notify.rt.settings.mongo_db
    await eventually(lambda: len(mailbox.to(u["email"])) == 1, 10)  # the welcome
    updates_before = sent(db, "update")
    await notify.publish(submitted(u["user_id"], "H26.9001"))
    await eventually(lambda: len(mailbox.to(u["email"])) == 2, 10)
    await eventually(
        lambda: notify.db.deliveries.find_one(
            {
                "event_id": {"$exists": True},
                "status": "sent",
                "kind": "dossier_submitted",
                "user_id": u["user_id"],
            }
        ),
        10,
    )
    job = await notify.db.deliveries.find_one({"user_id": u["user_id"], "kind": "dossier_submitted"})
    assert job["status"] == "sent" and "lease" not in job and "next_at" not in job
    assert len(job["attempts"]) == 1
    # The outcome recorded is the only update: the delivery was not claimed (no leasing update).
    assert sent(db, "update") - updates_before == 1


async def test_a_users_streams_share_one_watcher_and_one_unread_count(notify):
    u = await notify.citizen()
    streams = [await _open(notify, u["user_id"], exp=int(time.time()) + 3, sid=f"s{i}") for i in range(4)]
    await asyncio.sleep(0.3)
    db = notify.rt.settings.mongo_db
    counts_before = sent(db, "aggregate")  # count_documents is an aggregate
    await notify.publish(submitted(u["user_id"], "H26.9002"))
    bodies = [(await asyncio.wait_for(s, 10)).text for s in streams]
    for body in bodies:
        assert _events(body) == ["unread", "notification", "unread", "end"], body
        before, after = body.split("event: notification")
        # The welcome notification was unread before; the dossier's makes two.
        assert '"unread":1' in before and "H26.9002" in after and '"unread":2' in after
    # The unread count after the notification: counted once for the four streams.
    assert sent(db, "aggregate") - counts_before == 1
