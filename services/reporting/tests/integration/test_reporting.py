"""The reporting service end to end in-process: real events through RabbitMQ into real MongoDB, the API's
numbers, the drill-down, access, exports, redelivery and reordering, two replicas at once, rebuild."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import load_workbook
from prometheus_client import REGISTRY

from devstack.testing import eventually
from dvckit.contracts import AgencyChangedV1
from dvckit.events import Envelope
from reporting.adapters.opened import Opened
from reporting.domain.fold import fold
from reporting.domain.units import Agency, Directory
from reporting.rebuild import run as rebuild
from reporting.service import gauges

from .conftest import (
    AL,
    CITY_UBND,
    DIRECTORY,
    HB,
    HB_HCC,
    HB_POLICE,
    SO_TC,
    Dossier,
    at,
    procedure,
)

NOV = {"from": "2026-11-01", "to": "2026-11-30"}


def scenario() -> tuple[list[Any], dict[str, Dossier]]:
    """Seven dossiers of November (and one filed half an hour into December, Hải Phòng time) and three
    procedures; the expected figures are worked out in the tests."""
    now = datetime.now(UTC)
    a = Dossier(HB_HCC)
    b = Dossier(HB_POLICE, field="Cư trú", channel="counter")
    c = Dossier(HB_HCC)
    d = Dossier(SO_TC, field="Tài chính")
    e = Dossier(HB_HCC)
    f = Dossier(HB_HCC)
    g = Dossier(HB_HCC)
    events: list[Any] = [
        procedure("1.000001", detailed=True, online="full"),
        procedure("1.000002", detailed=False, online="partial", body="police", field_name="Cư trú"),
        procedure(
            "2.000003",
            detailed=True,
            online="none",
            level="city",
            body=None,
            receivers=(SO_TC,),
            field_name="Tài chính",
        ),
        # A: online, paid online, on time, electronic result, rated 5
        a.submitted(at(2), fee=20000),
        a.paid(at(2, 10), 20000),
        a.status(1, 2, at(2, 11), due=at(9)),
        a.assigned(at(2, 12), "sp-1", "Trần Văn Bình"),
        a.status(2, 9, at(5), finished_at=at(5), on_time=True, digital_result=True, used_days=3),
        a.status(9, 10, at(6), finished_at=at(5), on_time=True, digital_result=True, used_days=3),
        a.rated(at(7), 5, "Cán bộ hướng dẫn tận tình"),
        # B: at the counter, on paper, a supplement, late, rated 2
        b.submitted(at(3), fee=10000, filed=2, digital=0),
        b.status(1, 2, at(3, 10), due=at(10)),
        b.status(2, 5, at(4)),
        b.status(5, 4, at(5)),
        b.status(4, 9, at(20), finished_at=at(20), on_time=False, digital_result=False, used_days=12),
        b.rated(at(21), 2),
        # C: open, overdue now, held by a specialist
        c.submitted(at(10)),
        c.status(1, 2, at(10, 10), due=at(17)),
        c.assigned(at(10, 11), "sp-2", "Phạm Thị Dung"),
        # D: a city department's, open within time, one of three components electronic
        d.submitted(at(25), filed=3, digital=1),
        d.status(1, 2, at(25, 10), due=now + timedelta(days=5)),
        # E: refused at once
        e.submitted(at(12)),
        e.status(1, 3, at(12, 15)),
        # F: filed at 23:30 on 30 November, Hải Phòng time (16:30 UTC): November's
        f.submitted(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)),
        # G: filed at 00:30 on 1 December, Hải Phòng time (17:30 UTC on 30 November): December's
        g.submitted(datetime(2026, 11, 30, 17, 30, tzinfo=UTC)),
    ]
    return events, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


async def loaded(reporting) -> dict[str, Dossier]:
    events, dossiers = scenario()
    await reporting.publish_all(events)
    await reporting.settled(len(events))
    return dossiers


def by_key(body: dict[str, Any]) -> dict[str, Any]:
    return {i["key"]: i for i in body["indexes"]}


async def test_indexes_counts_and_score(reporting):
    await loaded(reporting)
    body = await reporting.ok("/indexes", unit="city", **NOV)
    assert body["unit"] == {"key": "city", "kind": "city", "code": None, "name": "Thành phố Hải Phòng"}
    assert (body["from"], body["to"], body["max"]) == ("2026-11-01", "2026-11-30", 100)
    c = body["counts"]
    assert (c["received"], c["received_online"], c["received_counter"]) == (6, 5, 1)
    assert (c["finished"], c["finished_on_time"], c["finished_late"]) == (2, 1, 1)
    assert (c["open_within"], c["open_overdue"]) == (3, 1)  # now: C overdue; D, F, G within
    assert (c["supplement_requested"], c["refused"], c["withdrawn"], c["stopped"]) == (1, 1, 0, 0)
    assert (c["avg_used_days"], c["avg_legal_days"]) == (7.5, 5.0)
    assert (c["fee_dossiers"], c["paid_online"], c["digitised"], c["digital_results"]) == (2, 1, 4, 1)
    assert (c["ratings"], c["satisfied"]) == (2, 1)
    assert c["rating_avg"] == {"overall": 3.5, "reception": 4.0, "guidance": 5.0, "time": 3.5, "result": 4.0}
    idx = by_key(body)
    assert [i["key"] for i in body["indexes"]] == [
        "publicity",
        "progress",
        "online",
        "payment",
        "satisfaction",
        "digitisation",
    ]
    assert idx["publicity"]["name"] == {"vi": "Công khai, minh bạch", "en": "Publicity and transparency"}
    assert idx["publicity"]["value"] == 12.0  # 2 of 3 published procedures with a complete record
    on_time = idx["progress"]["components"][0]
    assert (on_time["numerator"], on_time["denominator"], on_time["value"]) == (1, 2, 10.0)  # past month
    assert idx["online"]["value"] == 7.0  # 6 × 1/3 + 6 × 5/6
    assert idx["payment"]["value"] == 5.0 and idx["satisfaction"]["value"] == 9.0
    assert idx["digitisation"]["value"] == round(11 * 4 / 6 + 11 * 1 / 2, 2)
    assert body["score"] == round(12 + 10 + 7 + 5 + 9 + 11 * 4 / 6 + 5.5, 2)

    # to today: December's G is received too, and the dossier overdue now weighs on progress
    today = datetime.now(UTC).astimezone(reporting.settings.zone).date().isoformat()
    now = await reporting.ok("/indexes", unit="city", **{"from": "2026-11-01", "to": today})
    on_time = by_key(now)["progress"]["components"][0]
    assert now["counts"]["received"] == 7 and (on_time["numerator"], on_time["denominator"]) == (1, 3)

    ward = await reporting.ok("/indexes", unit=f"commune:{HB}", **NOV)
    assert ward["unit"]["name"] == "Phường Hồng Bàng" and ward["counts"]["received"] == 5
    pub = by_key(ward)["publicity"]["components"][0]
    assert (pub["numerator"], pub["denominator"]) == (1, 2)  # the commune-level procedures
    agency = await reporting.ok("/indexes", unit=f"agency:{SO_TC}", **NOV)
    assert agency["counts"]["received"] == 1 and agency["counts"]["digitised"] == 0
    assert by_key(agency)["publicity"]["components"][0]["denominator"] == 1
    field = await reporting.ok("/indexes", unit="city", field="Cư trú", **NOV)
    assert field["field"] == "Cư trú" and field["counts"]["received"] == 1
    assert field["counts"]["received_counter"] == 1
    empty = await reporting.ok("/indexes", unit=f"commune:{AL}", **NOV)
    assert empty["counts"]["received"] == 0 and by_key(empty)["progress"]["value"] is None


async def test_drill_down_trend_ranking_overdue_units(reporting):
    ds = await loaded(reporting)

    async def ids(metric: str, **kw: Any) -> list[str]:
        body = await reporting.ok("/dossiers", metric=metric, **{"unit": "city", **NOV, **kw})
        assert body["total"] == len(body["items"])
        return sorted(i["id"] for i in body["items"])

    assert await ids("finished_on_time") == [ds["a"].id]
    assert await ids("received_counter") == [ds["b"].id]
    assert await ids("on_time") == sorted([ds["a"].id, ds["b"].id])
    assert await ids("supplement_requested") == [ds["b"].id]
    assert await ids("refused") == [ds["e"].id]
    assert await ids("paid_online") == [ds["a"].id]
    assert len(await ids("received")) == 6
    assert len(await ids("received", unit=f"commune:{HB}")) == 5
    sat = await reporting.ok("/dossiers", metric="satisfied", unit="city", **NOV)
    [item] = sat["items"]
    assert item["rating"] == {
        "scores": {"overall": 5, "reception": 4, "guidance": 5, "time": 5, "result": 4},
        "comment": "Cán bộ hướng dẫn tận tình",
    }
    assert item["commune"] == "Phường Hồng Bàng" and item["status_code"] == 10 and item["on_time"] is True
    [late] = (await reporting.ok("/dossiers", metric="open_overdue", unit="city"))["items"]
    assert late["id"] == ds["c"].id and late["holder"] == {"id": "sp-2", "name": "Phạm Thị Dung"}
    page = await reporting.ok("/dossiers", metric="received", unit="city", page=2, limit=4, **NOV)
    assert page["total"] == 6 and len(page["items"]) == 2 and (page["page"], page["limit"]) == (2, 4)
    for bad in ("nonsense", "score"):
        r = await reporting.get("/dossiers", metric=bad, unit="city")
        assert r.status_code == 422 and r.json()["code"] == "unknown-metric"
    r = await reporting.get("/dossiers", metric="procedures_public", unit="city")
    assert r.status_code == 422 and r.json()["code"] == "metric-not-dossiers"

    trend = await reporting.ok("/trend", unit="city", months=3)
    months = [m["month"] for m in trend["months"]]
    assert months == sorted(months) and len(months) == 3
    nov = next(m for m in trend["months"] if m["month"] == "2026-11")
    assert (nov["received"], nov["finished"], nov["finished_on_time"]) == (6, 2, 1)
    assert set(nov["indexes"]) == {
        "publicity",
        "progress",
        "online",
        "payment",
        "satisfaction",
        "digitisation",
    }
    ward_trend = await reporting.ok("/trend", unit=f"commune:{HB}", months=3)
    assert next(m for m in ward_trend["months"] if m["month"] == "2026-11")["received"] == 5

    ranking = await reporting.ok("/ranking", kind="commune", **NOV)
    assert ranking["kind"] == "commune"
    assert [i["unit"]["key"] for i in ranking["items"]] == [f"commune:{HB}", f"commune:{AL}"]
    hb, al = ranking["items"]
    assert hb["received"] == 5 and al["received"] == 0 and al["indexes"]["progress"] is None
    # the commune-level procedures are every commune's: An Lão is scored on its catalogue alone
    assert al["indexes"]["publicity"] == 9.0 and hb["score"] > al["score"]
    agencies = await reporting.ok("/ranking", kind="agency", **NOV)
    top = {i["unit"]["key"]: i for i in agencies["items"]}
    assert top[f"agency:{HB_HCC}"]["received"] == 4 and top[f"agency:{SO_TC}"]["received"] == 1
    assert len(agencies["items"]) == len(DIRECTORY)

    overdue = await reporting.ok("/overdue", unit="city")
    [o] = overdue["items"]
    assert o["id"] == ds["c"].id and o["holder"]["name"] == "Phạm Thị Dung" and o["step"] == "handling"
    assert o["days_overdue"] >= 1 and o["agency_name"].startswith("Trung tâm phục vụ")
    assert (await reporting.ok("/overdue", unit=f"agency:{SO_TC}"))["items"] == []

    mine = await reporting.ok("/units", reporting.leader(HB_POLICE))
    assert [u["key"] for u in mine["units"]] == [f"agency:{HB_POLICE}", f"commune:{HB}"]
    assert {"Hộ tịch", "Cư trú", "Tài chính"} <= set(mine["fields"])
    everything = await reporting.ok("/units")
    assert everything["units"][0]["key"] == "city" and len(everything["units"]) == 1 + len(DIRECTORY) + 2

    # /metrics: the open dossiers by status and agency, the overdue ones by agency (service/gauges.py)
    await gauges.sample(Opened(reporting.db))
    gauge = REGISTRY.get_sample_value
    assert gauge("dossiers_open", {"status": "2", "agency": HB_HCC}) == 1  # C
    assert gauge("dossiers_open", {"status": "2", "agency": SO_TC}) == 1  # D
    assert gauge("dossiers_open", {"status": "1", "agency": HB_HCC}) == 2  # F, G
    assert gauge("dossiers_open", {"status": "9", "agency": HB_HCC}) is None
    assert gauge("dossiers_overdue", {"agency": HB_HCC}) == 1  # C
    assert gauge("dossiers_overdue", {"agency": SO_TC}) is None


async def test_access(reporting):
    await loaded(reporting)
    anonymous = await reporting.http.get("/api/v1/reporting/indexes")
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"
    citizen = reporting.token("citizen-1")
    specialist = reporting.token("sp-1", roles=["officer", "specialist"], agencies=[HB_HCC])
    for who in (citizen, specialist):
        for path in ("/indexes", "/dossiers?metric=received", "/trend", "/overdue", "/units", "/ranking"):
            r = await reporting.http.get(f"/api/v1/reporting{path}", headers=who)
            assert r.status_code == 403, (path, r.text)
    tc = reporting.leader(SO_TC)
    assert (await reporting.get("/indexes", tc, unit=f"agency:{SO_TC}", **NOV)).status_code == 200
    for unit in (f"commune:{HB}", f"agency:{HB_HCC}", "city"):
        r = await reporting.get("/indexes", tc, unit=unit, **NOV)
        assert r.status_code == 403 and r.json()["code"] == "unit-forbidden", unit
        assert (await reporting.get("/dossiers", tc, unit=unit, metric="received")).status_code == 403
    # no unit given: the leader's own agency
    assert (await reporting.ok("/indexes", tc, **NOV))["unit"]["key"] == f"agency:{SO_TC}"
    assert (await reporting.get("/ranking", tc)).status_code == 403
    ward = reporting.leader(HB_POLICE)
    assert (await reporting.ok("/indexes", ward, unit=f"commune:{HB}", **NOV))["counts"]["received"] == 5
    assert (await reporting.get("/indexes", ward, unit=f"commune:{AL}")).status_code == 403
    city = reporting.leader(CITY_UBND)
    assert (await reporting.ok("/indexes", city, **NOV))["unit"]["key"] == "city"
    assert (await reporting.get("/ranking", city, kind="agency")).status_code == 200
    assert (await reporting.get("/indexes", city, unit=f"commune:{HB}")).status_code == 403

    for params, code in (
        ({"from": "2026-11-30", "to": "2026-11-01"}, "bad-period"),
        ({"from": "2022-01-01", "to": "2026-01-01"}, "bad-period"),
        ({"from": "30/11/2026"}, "bad-period"),
        ({"to": "2026-02-30"}, "bad-period"),
        ({"unit": "commune:39999"}, "unknown-unit"),
        ({"unit": "agency:000.99.99.H26"}, "unknown-unit"),
        ({"unit": "district:1"}, "unknown-unit"),
    ):
        r = await reporting.get("/indexes", **params)
        assert r.status_code == 422 and r.json()["code"] == code, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json" and r.json()["errors"]
    r = await reporting.get("/trend", months=0)
    assert r.status_code == 422
    r = await reporting.get("/ranking", kind="district")
    assert r.status_code == 422


async def test_exports(reporting):
    await loaded(reporting)
    body = await reporting.ok("/indexes", unit=f"commune:{HB}", **NOV)
    r = await reporting.get("/indexes.xlsx", unit=f"commune:{HB}", **NOV)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="chi-so-commune-31001-2026-11-01-2026-11-30.xlsx"' in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = {row[1]: row for row in ws.iter_rows(values_only=True) if row and len(row) > 8 and row[1]}
    assert rows["score"][8] == body["score"]
    assert (
        rows["publicity"][2] == "Công khai, minh bạch"
        and rows["publicity"][8] == by_key(body)["publicity"]["value"]
    )
    assert rows["on_time"][5:8] == (1, 2, 0.5)
    assert rows["received"][8] == 5 and rows["rating_avg.overall"][8] == 3.5
    assert any("Phường Hồng Bàng" in str(c) for row in ws.iter_rows(values_only=True) for c in row if c)

    r = await reporting.get("/indexes.csv", unit=f"commune:{HB}", **NOV)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    table = {(row[0], row[1]): row for row in lines if len(row) == 9}
    assert table["component", "online_dossiers"][2] == "Hồ sơ tiếp nhận trực tuyến"
    assert float(table["component", "satisfied"][8]) == by_key(body)["satisfaction"]["value"]
    assert table["count", "received"][8] == "5" and table["count", "refused"][8] == "1"
    assert (await reporting.get("/indexes.csv", reporting.token("c"), unit="city")).status_code == 403
    assert (await reporting.get("/indexes.xlsx", unit="city", **{"from": "x"})).status_code == 422


async def test_public_scorecard(reporting):
    ds = await loaded(reporting)
    r = await reporting.http.get("/api/v1/reporting/public/scorecard", params={"months": 2})
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=300"
    body = r.json()
    assert len(body["months"]) == 2 and body["city"]["unit"]["key"] == "city"
    assert [c["unit"]["key"] for c in body["communes"]] == [f"commune:{HB}", f"commune:{AL}"]
    assert set(body["city"]["months"][0]) == {"month", "score", "indexes"}
    text = r.text
    for d in ds.values():  # no dossier-level data: no id, no code
        assert d.id not in text and d.base["code"] not in text
    assert "Phạm Thị Dung" not in text and "citizen-1" not in text
    assert (
        await reporting.http.get("/api/v1/reporting/public/scorecard", params={"months": 99})
    ).status_code == 422


def normalised(counters: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counters as sums: a metric moved to 0 (a dossier transferred away) is no metric."""
    out = {}
    for c in counters:
        m = {k: v for k, v in (c.get("m") or {}).items() if v}
        if m:
            out[c["_id"]] = m
    return out


async def facts_of(reporting) -> dict[str, dict[str, Any]]:
    return {d["_id"]: {k: v for k, v in d.items() if k != "v"} async for d in reporting.db.facts.find({})}


async def read_models(reporting) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    counters = normalised(await reporting.db.counters.find({}).to_list())
    opened = await reporting.db.open_dossiers.find({}).sort("_id").to_list()
    return await facts_of(reporting), counters, opened


async def test_redelivered_and_reordered_events_and_rebuild(make_reporting):
    """One replica gets the events in order once; another gets them newest first, each twice: the same
    facts, counters and answers. Then a rebuild from the kept events gives the same again."""
    events, ds = scenario()
    envelopes = [Envelope.wrap(e, producer="test") for e in events]
    first = await make_reporting()
    second = await make_reporting()
    for env in envelopes:
        await first.rt.bus.publish_to_queue(first.rt.consumer.queue_name, env.to_message())
    for env in [*reversed(envelopes), *envelopes[::3], *reversed(envelopes)]:
        await second.rt.bus.publish_to_queue(second.rt.consumer.queue_name, env.to_message())
    await first.settled(len(envelopes))
    await second.settled(len(envelopes))

    async def drained(r) -> bool:
        return await r.db.processed_events.count_documents({}) == len(envelopes)

    await eventually(lambda: drained(second), 30)
    await asyncio.sleep(1.0)  # the redeliveries still queued find their id and change nothing
    assert await second.db.events.count_documents({}) == len(envelopes)
    kept = await second.db.events.find_one({"_id": str(envelopes[0].id)})
    assert kept["applied_at"] >= kept["occurred_at"]

    one, two = await read_models(first), await read_models(second)
    assert one[0] == two[0] and one[1] == two[1] and one[2] == two[2]
    for params in ({"unit": "city", **NOV}, {"unit": f"commune:{HB}"}):
        a = await first.ok("/indexes", **params)
        b = await second.ok("/indexes", **params)
        assert {**a, "as_of": None} == {**b, "as_of": None}

    # the fact equals the pure fold of the dossier's events
    directory = Directory.of(Agency.of(a) for a in DIRECTORY)
    kept_a = await second.db.events.find({"dossier_id": ds["a"].id}).to_list()
    assert fold(ds["a"].id, kept_a, directory.commune_of, second.settings.zone) == two[0][ds["a"].id]

    made = await rebuild(second.settings)
    assert made["facts"] == len(ds)
    second.app.state.parts.reports.reference.stale()
    assert await read_models(second) == two
    after = await second.ok("/indexes", unit="city", **NOV)
    assert {**after, "as_of": None} == {**(await first.ok("/indexes", unit="city", **NOV)), "as_of": None}


async def test_two_replicas_fold_the_same_dossiers_at_once(infra, make_reporting):
    """Two replicas on one database and one queue take events of the same dossiers at the same time: the
    version check makes the loser fold again, and nothing is lost or counted twice."""
    first = await make_reporting()
    await make_reporting(  # the second replica: same database, same queue
        mongo_db=first.settings.mongo_db, queue_prefix=first.settings.queue_prefix
    )
    dossiers = [Dossier(HB_HCC) for _ in range(4)]
    events = []
    for d in dossiers:
        events.append(d.submitted(at(2)))
        events.append(d.status(1, 2, at(2, 10), due=at(9)))
        for i in range(6):
            events.append(d.status(2 if i % 2 == 0 else 5, 5 if i % 2 == 0 else 2, at(3 + i)))
        events.append(
            d.status(2, 9, at(20), finished_at=at(20), on_time=True, digital_result=True, used_days=4)
        )
    await asyncio.gather(*(first.publish(e) for e in events))
    await first.settled(len(events))
    await eventually(lambda: _processed(first, len(events)), 30)
    body = await first.ok("/indexes", unit="city", **NOV)
    c = body["counts"]
    assert (c["received"], c["finished"], c["finished_on_time"], c["supplement_requested"]) == (4, 4, 4, 12)
    assert (c["open_within"], c["open_overdue"]) == (0, 0)
    facts = await facts_of(first)
    assert all(f["status_code"] == 9 and f["events"] == 9 for f in facts.values())
    made = normalised(await first.db.counters.find({}).to_list())
    await rebuild(first.settings)
    assert normalised(await first.db.counters.find({}).to_list()) == made


async def _processed(r, n: int) -> bool:
    return await r.db.processed_events.count_documents({}) >= n


async def test_directory_read_when_catalog_comes_back_and_agency_events(make_reporting, catalog):
    """The catalog down at start: the service runs, facts are counted for the city and the agency; once
    the directory is read, the facts are folded again into their communes. An agency.changed event moves
    an agency's commune."""
    catalog.failures = 3
    r = await make_reporting()
    assert catalog.failures == 0
    d = Dossier(HB_HCC)
    await r.publish(d.submitted(at(2)))
    await r.settled(1)
    ward = await r.ok("/indexes", unit=f"commune:{HB}", **NOV)
    assert ward["counts"]["received"] == 1

    moved = AgencyChangedV1(
        code=HB_HCC,
        version=2,
        change="updated",
        name="Trung tâm phục vụ hành chính công phường Hồng Bàng",
        level="commune",
        kind="service_center",
        ward_code=AL,
        commune="Xã An Lão",
    )
    await r.publish(moved)
    await r.settled(2)

    async def refolded() -> bool:
        f = await r.db.facts.find_one({"_id": d.id})
        return f["commune"] == AL

    await eventually(refolded, 30)
    r.app.state.parts.reports.reference.stale()
    assert (await r.ok("/indexes", unit=f"commune:{AL}", **NOV))["counts"]["received"] == 1
    assert (await r.ok("/indexes", unit=f"commune:{HB}", **NOV))["counts"]["received"] == 0
    agency = await r.db.agencies.find_one({"_id": HB_HCC})
    assert agency["version"] == 2 and agency["ward_code"] == AL
