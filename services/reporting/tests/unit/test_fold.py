"""A dossier's fact, its contributions and the counters' moves (domain, pure)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from reporting.domain.fold import diff, expand, fold
from reporting.domain.totals import Totals

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY = "000.02.A0.H26"
OTHER = "000.00.07.H26"
T0 = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 00:30 on 2 March in Hải Phòng


def commune_of(code: str):
    return ("31001", "Phường Hồng Bàng") if code == AGENCY else None


def base(**kw):
    return {
        "dossier_id": "d1",
        "code": f"{AGENCY}-260302-0001",
        "owner_id": "u1",
        "procedure_code": "1.004194",
        "procedure_name": "Đăng ký tạm trú",
        "agency_code": AGENCY,
        "agency_name": "Trung tâm phục vụ hành chính công phường Hồng Bàng",
        **kw,
    }


def ev(n: int, kind: str, **data):
    return {"_id": f"e{n}", "type": kind, "data": base(**data)}


def status(n, rev, old, new, at, **kw):
    return ev(
        n,
        "dossier.status_changed.v1",
        old_status="x",
        new_status={
            2: "accepted",
            4: "processing",
            5: "supplement_requested",
            9: "finished",
            10: "returned",
        }.get(new, "s"),
        old_status_code=old,
        new_status_code=new,
        actor_role="reception",
        changed_at=at.isoformat(),
        rev=rev,
        submitted_at=T0.isoformat(),
        legal_due_at=(T0 + timedelta(days=10)).isoformat(),
        legal_days=5,
        **kw,
    )


def history():
    finished = T0 + timedelta(days=6)
    return [
        ev(
            1,
            "dossier.submitted.v1",
            procedure_version=1,
            submitted_at=T0.isoformat(),
            fee_total=20000,
            field="Hộ tịch",
            channel="online",
            components_filed=3,
            components_digital=3,
        ),
        status(2, 2, 1, 2, T0 + timedelta(hours=2)),
        ev(
            3,
            "dossier.step_changed.v1",
            status="accepted",
            status_code=2,
            action="assign",
            step="handling",
            from_agency_code=AGENCY,
            assignee_id="s1",
            assignee_name="Trần Văn Bình",
            changed_at=(T0 + timedelta(hours=3)).isoformat(),
            rev=3,
        ),
        status(4, 4, 2, 5, T0 + timedelta(days=1)),
        status(5, 5, 5, 4, T0 + timedelta(days=2)),
        status(
            6,
            6,
            4,
            9,
            finished,
            finished_at=finished.isoformat(),
            on_time=True,
            digital_result=True,
            used_days=3.5,
        ),
        status(
            7,
            7,
            9,
            10,
            finished + timedelta(days=1),
            finished_at=finished.isoformat(),
            on_time=True,
            digital_result=True,
            used_days=3.5,
        ),
        ev(
            8,
            "payment.succeeded.v1",
            order_id="o1",
            dossier_code="c",
            purpose="filing",
            amount=20000,
            provider="vnpay",
            provider_txn="1",
            paid_at=(T0 + timedelta(minutes=5)).isoformat(),
            receipt_no="r1",
        ),
        ev(
            9,
            "dossier.rated.v1",
            scores={"overall": 5, "reception": 4, "guidance": 4, "time": 3, "result": 5},
            comment="Nhanh gọn",
            status_code=10,
            rated_at=(finished + timedelta(days=2)).isoformat(),
        ),
    ]


def test_fold_reads_the_whole_history():
    f = fold("d1", history(), commune_of, ZONE)
    assert f["status_code"] == 10 and f["rev"] == 7 and not f["open"]
    assert f["d_received"] == "2026-03-02"  # the local day, not the UTC one
    assert f["commune"] == "31001" and f["field"] == "Hộ tịch" and f["channel"] == "online"
    assert f["on_time"] is True and f["digital_result"] is True and f["used_days"] == 3.5
    assert f["fee"] and f["paid_online"] and f["digitised"]
    assert f["holder"] == {"id": "s1", "name": "Trần Văn Bình"}
    assert f["rating"]["scores"]["overall"] == 5 and f["d_rated"] == "2026-03-10"
    assert f["d_supplements"] == ["2026-03-03"]


def test_any_order_and_redelivery_give_the_same_fact():
    events = history()
    expected = fold("d1", events, commune_of, ZONE)
    rnd = random.Random(7)
    for _ in range(50):
        shuffled = events + rnd.sample(events, 3)  # some delivered twice
        rnd.shuffle(shuffled)
        assert fold("d1", shuffled, commune_of, ZONE) == expected


def test_a_prefix_of_the_history_is_an_open_dossier():
    f = fold("d1", history()[:3], commune_of, ZONE)
    assert f["open"] and f["status_code"] == 2 and f["d_finished"] is None
    # a payment alone says too little to place a dossier
    assert fold("d1", [history()[7]], commune_of, ZONE) is None


def test_contributions_by_day_unit_field_and_grain():
    f = fold("d1", history(), commune_of, ZONE)
    rows = expand(f)
    city_day = rows["city|*|d|2026-03-02"]
    assert city_day == {
        "received": 1,
        "received_online": 1,
        "digitised": 1,
        "fee_dossiers": 1,
        "paid_online": 1,
    }
    assert rows["commune:31001|Hộ tịch|m|2026-03"]["finished_on_time"] == 1
    assert rows[f"agency:{AGENCY}|*|d|2026-03-08"]["used_days_x100"] == 350
    assert rows["city|*|m|2026-03"]["supplement_requested"] == 1
    assert rows["city|*|d|2026-03-10"] == {
        "ratings": 1,
        "satisfied": 1,
        "rating_overall": 5,
        "rating_reception": 4,
        "rating_guidance": 4,
        "rating_time": 3,
        "rating_result": 5,
    }
    # 12 rows a contribution day: 2 grains × 3 units × 2 fields
    assert len([k for k in rows if k.endswith("|d|2026-03-02")]) == 6


def test_diff_moves_only_what_changed_and_follows_a_transfer():
    events = history()[:3]
    before = fold("d1", events, commune_of, ZONE)
    transfer = ev(
        10,
        "dossier.step_changed.v1",
        agency_code=OTHER,
        agency_name="Sở Tài chính",
        status="accepted",
        status_code=2,
        action="transfer",
        step="reception",
        from_agency_code=AGENCY,
        to_agency_code=OTHER,
        changed_at=(T0 + timedelta(hours=5)).isoformat(),
        rev=4,
    )
    after = fold("d1", [*events, transfer], commune_of, ZONE)
    assert after["agency_code"] == OTHER and after["holder"] is None and after["commune"] is None
    moves = diff(before, after)
    assert moves[f"agency:{AGENCY}|*|d|2026-03-02"]["received"] == -1
    assert moves[f"agency:{OTHER}|*|d|2026-03-02"]["received"] == 1
    assert moves["commune:31001|*|m|2026-03"]["received"] == -1
    assert "city|*|d|2026-03-02" not in moves  # the city's count does not move
    assert diff(after, after) == {}


def test_applying_each_step_equals_the_whole_and_totals():
    """Counters built event by event (new − old at each) equal the whole fact's, and Totals (the rebuild's
    sum) equals them too."""
    events = history()
    rnd = random.Random(3)
    rnd.shuffle(events)
    counters: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    old = None
    for i in range(1, len(events) + 1):
        new = fold("d1", events[:i], commune_of, ZONE)
        for cid, ms in diff(old, new).items():
            for m, n in ms.items():
                counters[cid][m] += n
        old = new if new is not None else old
    whole = {c: {m: n for m, n in ms.items() if n} for c, ms in counters.items()}
    whole = {c: ms for c, ms in whole.items() if ms}
    assert whole == {c: dict(ms) for c, ms in expand(old).items()}
    t = Totals()
    t.add(old)
    assert t.counters() == whole


def test_supplements_each_count_and_stop_undone():
    t1 = T0 + timedelta(days=1)
    events = [
        *history()[:3],
        status(4, 4, 2, 5, t1),
        status(5, 5, 5, 4, t1 + timedelta(hours=1)),
        status(6, 6, 4, 5, t1 + timedelta(hours=2)),
    ]
    f = fold("d1", events, commune_of, ZONE)
    assert f["d_supplements"] == ["2026-03-03", "2026-03-03"]
    assert expand(f)["city|*|d|2026-03-03"]["supplement_requested"] == 2
    stopped = fold("d1", [*events, status(7, 7, 5, 8, t1 + timedelta(hours=3))], commune_of, ZONE)
    assert stopped["ended_code"] == 8 and not stopped["open"]
    resumed = fold(
        "d1",
        [*events, status(7, 7, 5, 8, t1 + timedelta(hours=3)), status(8, 8, 8, 4, t1 + timedelta(hours=4))],
        commune_of,
        ZONE,
    )
    assert resumed["ended_code"] is None and resumed["open"]


def test_open_rows_and_totals_over_many_dossiers():
    """The open row counts open dossiers by due day; Totals (the rebuild's sums) equals the sum of every
    fact's expansion, open rows included."""
    from reporting.domain.fold import NO_DUE, open_counts

    facts = []
    for n in range(1, 30):
        events = [
            {**e, "_id": f"{e['_id']}-{n}", "data": {**e["data"], "dossier_id": f"d{n}"}}
            for e in history()[: 2 + n % 7]
        ]
        facts.append(fold(f"d{n}", events, commune_of, ZONE))
    t = Totals()
    summed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in facts:
        t.add(f)
        for cid, ms in expand(f).items():
            for m, v in ms.items():
                summed[cid][m] += v
    assert t.counters() == {c: dict(ms) for c, ms in summed.items()}
    row = t.counters()["city|*|o|open"]
    assert row == {"2026-03-12": sum(1 for f in facts if f["open"])}
    assert open_counts(row, "2026-03-12", 0) == (sum(row.values()), 0)
    assert open_counts(row, "2026-03-12", 2) == (sum(row.values()) - 2, 2)
    assert open_counts(row, "2026-03-13", 0) == (0, sum(row.values()))
    assert open_counts({NO_DUE: 3, "2026-03-01": 1}, "2026-03-13", 0) == (3, 1)
