"""Periods, the indexes' arithmetic, the catalogue's tally and who sees which unit (domain, pure)."""

from __future__ import annotations

from datetime import date

import pytest

from reporting.domain.catalogue import Procedure, Tally, count
from reporting.domain.indexes import MAX_SCORE, Catalogue, counts, evaluate
from reporting.domain.periods import BadPeriod, last_months, period, pieces
from reporting.domain.units import CITY, Agency, Caller, Directory, Unit

TODAY = date(2026, 12, 4)


def test_periods():
    assert period(None, None, TODAY).start == date(2026, 12, 1)
    assert period(None, None, TODAY).end == TODAY
    year = period("2026-01-01", "2026-12-31", TODAY)
    days, months = pieces(year)
    assert days == [] and len(months) == 12
    days, months = pieces(period("2026-01-15", "2026-12-31", TODAY))
    assert len(days) == 17 and months[0] == "2026-02" and len(months) == 11
    days, months = pieces(period("2026-02-10", "2026-02-20", TODAY))
    assert len(days) == 11 and months == []
    assert pieces(period("2024-02-01", "2024-02-29", TODAY)) == ([], ["2024-02"])
    for bad in (("2026-13-01", None), ("2026-1-1", None), ("yesterday", None), (None, "2026-02-30")):
        with pytest.raises(BadPeriod):
            period(*bad, TODAY)
    with pytest.raises(BadPeriod):
        period("2026-05-02", "2026-05-01", TODAY)
    with pytest.raises(BadPeriod):
        period("2022-01-01", "2026-01-01", TODAY)
    assert last_months(date(2026, 2, 3), 3) == ["2025-12", "2026-01", "2026-02"]


def test_indexes_and_score():
    summed = {
        "received": 10,
        "received_online": 8,
        "received_counter": 2,
        "finished": 6,
        "finished_on_time": 5,
        "finished_late": 1,
        "fee_dossiers": 4,
        "paid_online": 1,
        "digitised": 9,
        "digital_results": 3,
        "ratings": 4,
        "satisfied": 3,
        "rating_overall": 15,
        "used_days_x100": 1050,
        "used_n": 6,
    }
    c = counts(summed, open_within=3, open_overdue=2)
    assert c["avg_used_days"] == 1.75 and c["avg_legal_days"] is None
    assert c["rating_avg"]["overall"] == 3.75 and c["open_overdue"] == 2
    score, idx = evaluate(c, Catalogue(published=4, detailed=2, full_online=1))
    by = {i["key"]: i for i in idx}
    assert [i["max"] for i in idx] == [18, 20, 12, 10, 18, 22] and MAX_SCORE == 100
    assert by["publicity"]["value"] == 9.0
    on_time = by["progress"]["components"][0]
    assert (on_time["numerator"], on_time["denominator"]) == (5, 8) and on_time["value"] == 12.5
    assert by["online"]["value"] == round(6 * 1 / 4 + 6 * 8 / 10, 2)
    assert by["payment"]["value"] == 2.5 and by["satisfaction"]["value"] == 13.5
    assert by["digitisation"]["value"] == round(11 * 9 / 10 + 11 * 3 / 6, 2)
    total = 9 + 12.5 + (1.5 + 4.8) + 2.5 + 13.5 + (9.9 + 5.5)
    assert score == round(total, 2)
    # a past period: the open overdue dossiers of today do not weigh on it
    _, past = evaluate(c, Catalogue(), overdue_counts=False)
    assert past[1]["components"][0]["denominator"] == 6
    # nothing measurable: publicity null; the others' maxima only
    score2, idx2 = evaluate(c, Catalogue())
    assert idx2[0]["value"] is None and idx2[0]["components"][0]["ratio"] is None
    assert idx2[2]["value"] == 4.8  # one of two components measurable: the index is its value
    assert score2 == round(100 * (total - 9 - 1.5) / 82, 2)
    empty, none = evaluate(counts({}, 0, 0), Catalogue())
    assert empty is None and all(i["value"] is None for i in none)


AGENCIES = [
    Agency("000.00.00.H26", "Ủy ban nhân dân thành phố Hải Phòng", "city", "people_committee"),
    Agency("000.00.07.H26", "Sở Tài chính", "city", "department"),
    Agency(
        "000.00.A0.H26",
        "Ủy ban nhân dân phường Hồng Bàng",
        "commune",
        "people_committee",
        "31001",
        "Phường Hồng Bàng",
    ),
    Agency("000.01.A0.H26", "Công an phường Hồng Bàng", "commune", "police", "31001", "Phường Hồng Bàng"),
    Agency(
        "000.02.A0.H26",
        "Trung tâm phục vụ HCC phường Hồng Bàng",
        "commune",
        "service_center",
        "31001",
        "Phường Hồng Bàng",
    ),
    Agency("000.00.A1.H26", "Ủy ban nhân dân xã An Lão", "commune", "people_committee", "31002", "Xã An Lão"),
]
D = Directory.of(AGENCIES)


def test_access():
    admin = Caller("a", ("admin",))
    city_leader = Caller("l", ("officer", "leader"), ("000.00.00.H26",))
    ward_leader = Caller("w", ("officer", "leader"), ("000.01.A0.H26",))
    specialist = Caller("s", ("officer", "specialist"), ("000.01.A0.H26",))
    citizen = Caller("c", ("citizen",))
    ward = Unit("commune", "31001")
    police = Unit("agency", "000.01.A0.H26")
    assert D.allowed(admin, Unit("commune", "31002"))
    assert D.allowed(city_leader, CITY) and not D.allowed(city_leader, ward)
    assert D.allowed(ward_leader, police) and D.allowed(ward_leader, ward)
    assert not D.allowed(ward_leader, CITY) and not D.allowed(ward_leader, Unit("agency", "000.00.A0.H26"))
    assert not D.allowed(ward_leader, Unit("commune", "31002"))
    assert not any(D.allowed(w, police) for w in (specialist, citizen))
    assert D.choosable(ward_leader) == [police, ward]
    assert D.choosable(citizen) == []
    assert D.choosable(admin)[0] == CITY and len(D.choosable(admin)) == 1 + 6 + 2
    assert D.sees_city(city_leader) and not D.sees_city(ward_leader)
    assert Unit.parse("agency:000.00.07.H26") == Unit("agency", "000.00.07.H26")
    assert Unit.parse("commune:3100") is None and Unit.parse("town") is None
    assert D.name(ward) == "Phường Hồng Bàng" and D.name(CITY) == "Thành phố Hải Phòng"


def test_catalogue_tally_matches_counting():
    procs = [
        Procedure("1", 1, True, "Hộ tịch", True, True, "commune", (), "people_committee"),
        Procedure("2", 1, True, "Cư trú", True, False, "commune", (), "police"),
        Procedure("3", 1, True, "Tài chính", False, True, "city", ("000.00.07.H26",)),
        Procedure("4", 1, False, "Tài chính", True, True, "city", ("000.00.07.H26",)),
        Procedure("5", 2, True, "Tài chính", True, False, "city", ("000.00.07.H26", "000.00.00.H26")),
    ]
    tally = Tally.of(procs)
    units = [CITY, Unit("commune", "31001"), *(Unit("agency", a.code) for a in AGENCIES)]
    for unit in units:
        agency = D.agencies.get(unit.code or "")
        for field in (None, "Hộ tịch", "Tài chính", "Cư trú"):
            assert tally.count(unit, agency, field) == count(procs, unit, agency, field), (unit, field)
    assert tally.count(CITY, None, None) == Catalogue(4, 3, 2)
    assert tally.count(Unit("agency", "000.02.A0.H26"), D.agencies["000.02.A0.H26"], None) == Catalogue(
        2, 2, 1
    )
    assert tally.count(Unit("agency", "000.01.A0.H26"), D.agencies["000.01.A0.H26"], None) == Catalogue(
        1, 1, 0
    )
    assert tally.count(Unit("agency", "000.00.07.H26"), D.agencies["000.00.07.H26"], None) == Catalogue(
        2, 1, 1
    )
