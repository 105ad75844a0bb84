"""The catalogue's components measurable with no procedure event: the catalog's seed never makes one,
so the service reads the catalog's procedure summary at start and when its revision moves; an event's
newer version is never replaced by an older summary item."""

from __future__ import annotations

from typing import Any

from devstack.testing import eventually

from .conftest import HB, SO_TC, procedure, summary_item

NOV = {"from": "2026-11-01", "to": "2026-11-30"}


def components(body: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {c["key"]: (c["numerator"], c["denominator"]) for i in body["indexes"] for c in i["components"]}


async def catalogue(reporting, unit: str) -> tuple[tuple[int, int], tuple[int, int]]:
    c = components(await reporting.ok("/indexes", unit=unit, **NOV))
    return c["procedures_public"], c["online_procedures"]


async def test_catalogue_from_the_summary_and_newer_events_win(make_reporting, catalog):
    catalog.summary_revision = 41
    catalog.summary = [
        summary_item("1.000001", 2, detailed=True, online="full"),
        summary_item("1.000002", 1, detailed=False, online="partial", body="police", field_name="Cư trú"),
        summary_item(
            "2.000001", 1, detailed=True, online="none", level="city", body=None, receivers=(SO_TC,)
        ),
    ]
    try:
        reporting = await make_reporting(catalogue_seconds=0.2)
        await eventually(lambda: reporting.db.procedures.count_documents({}), 30)
        assert await reporting.db.events.count_documents({}) == 0  # no event at all
        await eventually(lambda: _is(catalogue(reporting, "city"), ((2, 3), (1, 3))), 10)
        assert await catalogue(reporting, f"commune:{HB}") == ((1, 2), (1, 2))
        assert await catalogue(reporting, f"agency:{SO_TC}") == ((1, 1), (0, 1))

        # An administrator's change arrives as an event (version 3)…
        await reporting.publish(procedure("1.000001", detailed=False, online="partial", version=3))
        await reporting.settled(1)
        await eventually(lambda: _is(catalogue(reporting, "city"), ((1, 3), (0, 3))), 10)

        # …and the catalog's summary read after (its revision moved) still has version 2 of it: the
        # event's version stays; the procedure new in the summary is added.
        calls = catalog.summary_calls
        catalog.summary = [*catalog.summary, summary_item("1.000003", 1, detailed=True, online="full")]
        catalog.summary_revision = 42
        await eventually(lambda: reporting.db.procedures.find_one({"_id": "1.000003"}), 10)
        assert catalog.summary_calls > calls
        kept = await reporting.db.procedures.find_one({"_id": "1.000001"})
        assert (kept["version"], kept["detailed"], kept["full_online"]) == (3, False, False)
        await eventually(lambda: _is(catalogue(reporting, "city"), ((2, 4), (1, 4))), 10)
        seen = await reporting.db.meta.find_one({"_id": "catalog-summary"})
        assert seen["revision"] == 42

        # Nothing moved: the catalog answers 304 and nothing is written again.
        rev = (await reporting.db.meta.find_one({"_id": "reference"}))["rev"]
        calls = catalog.summary_calls
        await eventually(lambda: catalog.summary_calls >= calls + 2, 10)
        assert (await reporting.db.meta.find_one({"_id": "reference"}))["rev"] == rev
    finally:
        catalog.summary, catalog.summary_revision = [], 1


async def _is(got: Any, expected: Any) -> bool:
    return await got == expected
