"""The whole path of an entry: a producing service records it with ``rt.audit`` inside its transaction (an
outbox record), its relay publishes it on the run's exchange, the audit service keeps it in the
producer's stream, and the chain verifies."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from devstack.testing import BROKER_PAUSE_S
from dvckit.auth import Principal
from dvckit.runtime import Runtime
from dvckit.settings import ServiceSettings


class ProducerSettings(ServiceSettings):
    """A producing service of the test's own, on payment's server: its stream is ``payment``."""

    model_config = SettingsConfigDict(env_prefix="E2E_PRODUCER_")
    service_name: ClassVar[str] = "payment"


async def test_an_entry_recorded_by_a_service_reaches_its_stream(infra, audit):
    rt = Runtime(infra.settings(ProducerSettings, name="e2e_producer"))
    officer = Principal(sub="officer-9", roles=("officer", "specialist"), agencies=("000.00.A0.H26",))
    await rt.start()
    try:
        await rt.bus.wait_ready(BROKER_PAUSE_S)
        for i in range(3):

            async def change(session, i=i):
                await rt.audit.add(
                    session,
                    officer,
                    kind="change",
                    action="order.refunded",
                    target_type="payment_order",
                    target_id=f"order-{i}",
                    subject="citizen-7",
                    before={"state": "paid"},
                    after={"state": "refunded"},
                )

            await rt.transaction(change)
        # A citizen's own read is not the trail's business: nothing written.
        await rt.audit.read(
            Principal(sub="citizen-7", roles=("citizen",)),
            action="order.viewed",
            target_type="payment_order",
            target_id="order-0",
            subject="citizen-7",
        )
        await audit.kept(3, stream="payment")
    finally:
        await rt.stop()
    records = await audit.db.entries.find({"stream": "payment"}).sort("seq", 1).to_list()
    assert [(r["seq"], r["target_id"], r["actor"]) for r in records] == [
        (1, "order-0", "officer-9"),
        (2, "order-1", "officer-9"),
        (3, "order-2", "officer-9"),
    ]
    assert records[0]["before"] == {"state": "paid"} and records[0]["after"] == {"state": "refunded"}
    (report,) = await audit.app.state.verifier.verify_all(["payment"])
    assert report.intact and report.checked == 3
    r = await audit.http.get("/api/v1/audit/me", headers=audit.citizen("citizen-7"))
    assert [e["changed_fields"] for e in r.json()["items"]] == [["state"]] * 3
