"""A dossier's fact: the fold of every kept event of it, and what the fact adds to the counters (pure).

Events reach the service in any order and some twice; the fold sorts what is kept for the dossier before
reading it (``submitted`` first, then the status and step events by ``rev``, then ratings and payments by
their time), so a fact is the same whatever the order of arrival. The counters are a sum of the facts'
contributions: a fact that changes moves the counters by (new contribution − old contribution).

Days are local days (the settings' zone, Asia/Ho_Chi_Minh): a dossier filed at 23:30 in Hải Phòng on
the 1st counts on the 1st, though it is the 1st at 16:30 UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

SUBMITTED = "dossier.submitted.v1"
STATUS = "dossier.status_changed.v1"
STEP = "dossier.step_changed.v1"
RATED = "dossier.rated.v1"
PAID = "payment.succeeded.v1"
DOSSIER_EVENTS = (SUBMITTED, STATUS, STEP, RATED, PAID)

REFUSED, WITHDRAWN, STOPPED, FINISHED, RETURNED = 3, 7, 8, 9, 10
SUPPLEMENT = 5
CLOSED = frozenset({REFUSED, WITHDRAWN, STOPPED, FINISHED, RETURNED})
ENDED = {REFUSED: "refused", WITHDRAWN: "withdrawn", STOPPED: "stopped"}
SCORES = ("overall", "reception", "guidance", "time", "result")
SATISFIED_FROM = 4  # "hài lòng" and "rất hài lòng" on the national portal's 1–5 scale
OPEN_ROW = ("o", "open")  # (grain, period) of the row counting a unit's open dossiers by due day
NO_DUE = "none"  # not accepted yet: no appointment, within time

Fact = dict[str, Any]
Event = Mapping[str, Any]  # a kept event: {"_id", "type", "data"}
CommuneOf = Callable[[str], tuple[str, str] | None]  # agency code → (ward code, commune name)


def when(value: Any) -> datetime | None:
    """A time from an event's data (ISO text as it travelled, or a datetime), aware, in UTC, to the
    millisecond (what MongoDB keeps: a fact folded again compares equal to the one stored)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is UTC and not value.microsecond % 1000:
        return value  # already what it would become (the common case when folding stored facts)
    t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    t = (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def day(t: datetime | None, zone: tzinfo) -> str | None:
    return t.astimezone(zone).date().isoformat() if t is not None else None


def dossier_of(routing_key: str, data: Mapping[str, Any]) -> str | None:
    return str(data["dossier_id"]) if routing_key in DOSSIER_EVENTS and data.get("dossier_id") else None


def _moment(e: Event) -> datetime:
    d = e["data"]
    for name in ("changed_at", "rated_at", "paid_at", "submitted_at"):
        if d.get(name):
            return when(d[name]) or datetime.min.replace(tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)


def order_key(e: Event) -> tuple[int, int, datetime, str]:
    """Where an event stands in its dossier's history, whatever the order it arrived in."""
    kind = e["type"]
    if kind == SUBMITTED:
        return (0, 0, _moment(e), str(e["_id"]))
    if kind in (STATUS, STEP):
        return (1, int(e["data"].get("rev") or 0), _moment(e), str(e["_id"]))
    return (2, 0, _moment(e), str(e["_id"]))


def fold(dossier_id: str, events: Iterable[Event], commune_of: CommuneOf, zone: tzinfo) -> Fact | None:
    """The dossier's fact from its kept events (any order, duplicates harmless); None when none of them
    says enough to place it (a payment alone, before the dossier's own events arrived)."""
    seen: set[str] = set()
    ordered = []
    for e in sorted(events, key=order_key):
        if str(e["_id"]) not in seen:
            seen.add(str(e["_id"]))
            ordered.append(e)
    f: Fact = {
        "_id": dossier_id,
        "code": None,
        "procedure_code": None,
        "procedure_name": None,
        "agency_code": None,
        "agency_name": None,
        "field": None,
        "channel": None,
        "received_at": None,
        "components_filed": 0,
        "components_digital": 0,
        "fee": False,
        "paid_online": False,
        "status": None,
        "status_code": None,
        "rev": 0,
        "step": None,
        "legal_due_at": None,
        "legal_days": None,
        "finished_at": None,
        "on_time": None,
        "digital_result": None,
        "used_days": None,
        "ended_code": None,
        "ended_at": None,
        "supplements": [],
        "rating": None,
        "holder": None,
        "events": len(ordered),
    }
    known = False
    for e in ordered:
        d, kind = e["data"], e["type"]
        if kind != PAID:
            for name in ("code", "procedure_code", "procedure_name"):
                f[name] = d.get(name) or f[name]
            if f["agency_code"] is None or kind in (STATUS, STEP):
                # Later revisions win: a transfer names the receiving agency.
                f["agency_code"] = d.get("agency_code") or f["agency_code"]
                f["agency_name"] = d.get("agency_name") or f["agency_name"]
        if kind == SUBMITTED:
            known = True
            f["received_at"] = when(d.get("submitted_at"))
            f["channel"] = d.get("channel") or "online"
            f["field"] = d.get("field") or f["field"]
            f["components_filed"] = int(d.get("components_filed") or 0)
            f["components_digital"] = int(d.get("components_digital") or 0)
            f["fee"] = f["fee"] or int(d.get("fee_total") or 0) > 0
            f["status"], f["status_code"] = "submitted", 1
        elif kind == STATUS:
            known = True
            code = int(d["new_status_code"])
            at = when(d.get("changed_at"))
            f["status"], f["status_code"], f["rev"] = d.get("new_status"), code, int(d.get("rev") or 0)
            f["step"] = d.get("step")
            f["received_at"] = f["received_at"] or when(d.get("submitted_at"))
            f["channel"] = f["channel"] or d.get("channel") or "online"
            f["legal_due_at"] = when(d.get("legal_due_at")) or f["legal_due_at"]
            if d.get("legal_days") is not None:
                f["legal_days"] = float(d["legal_days"])
            if code == SUPPLEMENT and at is not None:
                f["supplements"].append(at)
            if int(d.get("payment_amount") or 0) > 0:
                f["fee"] = True
            if code in (FINISHED, RETURNED) or d.get("on_time") is not None:
                f["finished_at"] = when(d.get("finished_at")) or f["finished_at"] or at
                for name in ("on_time", "digital_result"):
                    if d.get(name) is not None:
                        f[name] = bool(d[name])
                if d.get("used_days") is not None:
                    f["used_days"] = float(d["used_days"])
            if code in ENDED:
                f["ended_code"], f["ended_at"] = code, at
            elif code not in CLOSED:
                # Back in the workflow (a stop undone): neither ended nor finished any more.
                f["ended_code"] = f["ended_at"] = None
                f["finished_at"] = f["on_time"] = f["digital_result"] = f["used_days"] = None
        elif kind == STEP:
            known = True
            f["rev"] = max(f["rev"], int(d.get("rev") or 0))
            f["status"] = d.get("status") or f["status"]
            f["status_code"] = int(d["status_code"]) if d.get("status_code") is not None else f["status_code"]
            f["step"] = d.get("step")
            if d.get("assignee_id"):
                f["holder"] = {"id": d["assignee_id"], "name": d.get("assignee_name")}
            elif d.get("action") == "transfer":
                f["holder"] = None  # the receiving agency has not assigned it yet
        elif kind == RATED:
            known = True
            scores = d.get("scores") or {}
            f["rating"] = {
                "scores": {k: int(scores[k]) for k in SCORES if k in scores},
                "comment": d.get("comment"),
                "rated_at": when(d.get("rated_at")),
            }
        elif kind == PAID and int(d.get("amount") or 0) > 0:
            # Every payment through the provider is a payment online.
            f["fee"] = f["paid_online"] = True
    if not known or f["agency_code"] is None:
        return None
    place = commune_of(f["agency_code"])
    f["commune"], f["commune_name"] = place if place else (None, None)
    f["open"] = f["status_code"] not in CLOSED
    f["digitised"] = f["components_filed"] > 0 and f["components_digital"] >= f["components_filed"]
    # Local days of what the counters count, so the drill-down finds the dossiers behind a count.
    f["d_received"] = day(f["received_at"], zone)
    f["d_finished"] = day(f["finished_at"], zone)
    f["d_ended"] = day(f["ended_at"], zone)
    f["d_rated"] = day(f["rating"]["rated_at"], zone) if f["rating"] else None
    # One day a request (a second request the same day is a second one).
    f["d_supplements"] = sorted(day(t, zone) or "" for t in f["supplements"])
    # The open dossiers are counted by the local day they fall due: overdue now = those due before
    # today, plus today's due before now (read from the open list: a handful).
    f["d_due"] = (day(f["legal_due_at"], zone) or NO_DUE) if f["open"] else None
    return f


def hundredths(x: float) -> int:
    """Days as whole hundredths: counters add integers, so a fact taken out and put back leaves them
    exactly as they were (floats would leave 1e-15 behind)."""
    return round(x * 100)


def contributions(f: Fact | None) -> dict[tuple[str, str], int]:
    """What the fact adds to the counters: (local day, metric) → amount."""
    c: dict[tuple[str, str], int] = defaultdict(int)
    if f is None:
        return c
    if (d := f.get("d_received")) is not None:
        c[d, "received"] += 1
        c[d, "received_counter" if f["channel"] == "counter" else "received_online"] += 1
        if f["digitised"]:
            c[d, "digitised"] += 1
        if f["fee"]:
            c[d, "fee_dossiers"] += 1
            if f["paid_online"]:
                c[d, "paid_online"] += 1
    if (d := f.get("d_finished")) is not None:
        c[d, "finished"] += 1
        if f["on_time"] is not None:
            c[d, "finished_on_time" if f["on_time"] else "finished_late"] += 1
        if f["used_days"] is not None:
            c[d, "used_days_x100"] += hundredths(f["used_days"])
            c[d, "used_n"] += 1
        if f["legal_days"] is not None:
            c[d, "legal_days_x100"] += hundredths(f["legal_days"])
            c[d, "legal_n"] += 1
        if f["digital_result"]:
            c[d, "digital_results"] += 1
    for d in f.get("d_supplements") or ():
        c[d, "supplement_requested"] += 1
    if (d := f.get("d_ended")) is not None:
        c[d, ENDED[f["ended_code"]]] += 1
    if (d := f.get("d_rated")) is not None:
        scores = f["rating"]["scores"]
        c[d, "ratings"] += 1
        if scores.get("overall", 0) >= SATISFIED_FROM:
            c[d, "satisfied"] += 1
        for k in SCORES:
            if k in scores:
                c[d, f"rating_{k}"] += scores[k]
    return c


def units(f: Fact) -> list[str]:
    out = ["city", f"agency:{f['agency_code']}"]
    if f.get("commune"):
        out.append(f"commune:{f['commune']}")
    return out


def fields(f: Fact) -> list[str]:
    return ["*", f["field"]] if f.get("field") else ["*"]


def counter_id(unit: str, field: str, grain: str, period: str) -> str:
    return f"{unit}|{field}|{grain}|{period}"


def split_counter_id(cid: str) -> tuple[str, str, str, str]:
    head, grain, period = cid.rsplit("|", 2)
    unit, field = head.split("|", 1)
    return unit, field, grain, period


def expand(f: Fact | None) -> dict[str, dict[str, int]]:
    """The fact's contributions spread over its counters: a day row and a month row for each unit it
    belongs to (city, its agency, its commune), for every field and for its own field."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if f is None:
        return out
    us, fs = units(f), fields(f)
    for (d, metric), n in contributions(f).items():
        for grain, period in (("d", d), ("m", d[:7])):
            for u in us:
                for fl in fs:
                    out[counter_id(u, fl, grain, period)][metric] += n
    if f.get("d_due"):
        for u in us:
            for fl in fs:
                out[counter_id(u, fl, *OPEN_ROW)][f["d_due"]] += 1
    return out


def open_counts(row: dict[str, int], today: str, due_today_before_now: int) -> tuple[int, int]:
    """(within time, overdue) from a unit's open row (due day → dossiers) and today's overdue ones."""
    total = sum(row.values())
    overdue = sum(n for d, n in row.items() if d != NO_DUE and d < today) + due_today_before_now
    return total - overdue, overdue


def diff(old: Fact | None, new: Fact | None) -> dict[str, dict[str, int]]:
    """How the counters move when ``old`` becomes ``new``: counter id → metric → change (no zeros)."""
    moves: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cid, metrics in expand(new).items():
        for m, n in metrics.items():
            moves[cid][m] += n
    for cid, metrics in expand(old).items():
        for m, n in metrics.items():
            moves[cid][m] -= n
    return {cid: {m: n for m, n in ms.items() if n} for cid, ms in moves.items() if any(ms.values())}
