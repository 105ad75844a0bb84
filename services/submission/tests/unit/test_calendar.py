"""Working days and deadlines on real Vietnamese calendar cases: holidays, make-up Saturdays, the
administrator's days, each unit of a processing time, office hours and the pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from submission.domain.calendar import (
    VN,
    Calendar,
    Duration,
    add_months,
    check_overrides,
    duration_of,
    holidays_of,
    parse_hours,
    weekend_workdays_of,
)

CAL = Calendar()
C15 = Calendar(cutoff=time(15, 0))  # the afternoon cut-off, where a setting turns it on
is_working_day = CAL.is_working_day
next_working_day = CAL.next_working_day
add_working_days = CAL.add_working_days
working_days_between = CAL.working_days_between
clock_start = C15.clock_start
shift = CAL.shift
deadline_state = CAL.state


def appointment(accepted: datetime, days: int, cal: Calendar = C15) -> datetime:
    return cal.due(accepted, Duration(days))


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def due(accepted: datetime, days: int) -> date:
    return appointment(accepted, days).date()


def test_holidays_come_from_the_library():
    assert not is_working_day(date(2027, 2, 8))  # Tết (3rd day of the lunar new year)
    assert not is_working_day(date(2026, 4, 30)) and not is_working_day(date(2026, 5, 1))
    assert not is_working_day(date(2026, 9, 2)) and not is_working_day(
        date(2026, 8, 31)
    )  # substituted day off
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert is_working_day(date(2026, 11, 27))


def test_accepted_just_before_tet():
    # Tết 2027: 4–10 February off. Accepted Wednesday 3 February, 3 working days.
    assert due(at(2027, 2, 3, 10), 3) == date(2027, 2, 15)
    # Tết 2026: 16–20 February off. Accepted Friday 13 February, 2 working days.
    assert due(at(2026, 2, 13, 9), 2) == date(2026, 2, 24)


def test_friday_after_three_pm_starts_on_monday():
    assert due(at(2026, 11, 27, 16, 5), 3) == date(2026, 12, 3)  # starts Monday 30/11
    assert due(at(2026, 11, 27, 14, 59), 3) == date(2026, 12, 2)  # starts Friday itself
    assert due(at(2026, 11, 28, 9), 1) == date(2026, 12, 1)  # accepted on a Saturday


def test_across_30_april_and_1_may():
    assert due(at(2026, 4, 29, 10), 2) == date(2026, 5, 5)


def test_across_2_september():
    assert due(at(2026, 8, 28, 10), 1) == date(2026, 9, 3)  # 31/8 (substituted), 1/9 and 2/9 off


def test_appointment_is_the_end_of_the_working_day_in_vietnam():
    a = appointment(at(2026, 11, 27, 16, 5), 3)
    assert (a.hour, a.minute) == (17, 0) and a.utcoffset().total_seconds() == 7 * 3600


def test_supplement_time_is_not_counted():
    base = appointment(at(2026, 11, 27, 16, 5), 3)  # Thursday 3 December
    moved = shift(base, at(2026, 11, 30, 9), at(2026, 12, 2, 11))  # paused Mon, back Wed: 2 working days
    assert moved.date() == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("now", "state", "left"),
    [
        (at(2026, 11, 30, 9), "on_time", 3),
        (at(2026, 12, 2, 9), "due_soon", 1),
        (at(2026, 12, 3, 16), "due_soon", 0),
        (at(2026, 12, 4, 9), "overdue", -1),
    ],
)
def test_deadline_states(now, state, left):
    a = appointment(at(2026, 11, 27, 16, 5), 3)
    assert deadline_state(a, now) == {"state": state, "working_days_left": left}


# -- exact boundaries ------------------------------------------------------------------------------------
# Late November 2026: Tuesday 24/11 is a day off (Vietnam Cultural Day); no other holiday up to 11/12.


@pytest.mark.parametrize(
    ("hh", "mm", "start"),
    [
        (14, 30, date(2026, 11, 26)),  # before the cut-off: the day itself
        (14, 59, date(2026, 11, 26)),
        (15, 0, date(2026, 11, 27)),  # at 15:00 exactly it is already late
        (15, 30, date(2026, 11, 27)),
        (16, 30, date(2026, 11, 27)),
    ],
)
def test_the_clock_starts_the_same_day_only_before_15_00(hh, mm, start):
    assert clock_start(at(2026, 11, 26, hh, mm)) == start  # a Thursday


def test_the_cut_off_is_read_on_vietnam_time_whatever_the_offset_given():
    assert clock_start(datetime(2026, 11, 26, 7, 59, tzinfo=UTC)) == date(2026, 11, 26)  # 14:59 in Vietnam
    assert clock_start(datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == date(2026, 11, 27)  # 15:00 in Vietnam
    # 23:30 on Wednesday in UTC is Thursday 06:30 in Vietnam: Thursday starts the count.
    assert clock_start(datetime(2026, 11, 25, 23, 30, tzinfo=UTC)) == date(2026, 11, 26)


def test_accepted_on_a_day_off_starts_on_the_next_working_day_even_in_the_morning():
    assert clock_start(at(2026, 11, 28, 8)) == date(2026, 11, 30)  # Saturday → Monday
    assert clock_start(at(2026, 9, 2, 8)) == date(2026, 9, 3)  # National Day → Thursday


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 24), False),  # Vietnam Cultural Day
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2027, 2, 8), False),  # Tết, a Monday
    ],
)
def test_working_days_are_monday_to_friday_except_holidays(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "after"),
    [
        (date(2026, 11, 25), date(2026, 11, 26)),  # Wednesday → Thursday
        (date(2026, 11, 27), date(2026, 11, 30)),  # Friday → Monday
        (date(2026, 11, 28), date(2026, 11, 30)),  # Saturday → Monday
        (date(2026, 8, 28), date(2026, 9, 3)),  # Friday → Thursday after 31/8, 1/9 and 2/9
    ],
)
def test_the_next_working_day_skips_weekends_and_holidays(day, after):
    assert next_working_day(day) == after


def test_adding_working_days_counts_only_working_days():
    assert add_working_days(date(2026, 11, 26), 0) == date(2026, 11, 26)
    assert add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 27)
    assert add_working_days(date(2026, 11, 26), 2) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 26), 5) == date(2026, 12, 3)


def test_a_deadline_of_zero_working_days_is_the_end_of_the_first_counted_day():
    assert appointment(at(2026, 11, 26, 10), 0) == datetime(2026, 11, 26, 17, 0, tzinfo=VN)
    assert appointment(at(2026, 11, 26, 15, 0), 0) == datetime(2026, 11, 27, 17, 0, tzinfo=VN)


def test_a_negative_number_of_working_days_counts_as_zero():
    assert appointment(at(2026, 11, 26, 10), -3) == appointment(at(2026, 11, 26, 10), 0)


def test_the_appointment_is_17_00_vietnam_time():
    a = appointment(datetime(2026, 11, 26, 2, 0, tzinfo=UTC), 1)  # 09:00 in Vietnam, Thursday
    assert a == datetime(2026, 11, 27, 17, 0, tzinfo=VN)
    assert a.tzinfo == VN and (a.hour, a.minute, a.second) == (17, 0, 0)


@pytest.mark.parametrize(
    ("start", "end", "n"),
    [
        (date(2026, 11, 23), date(2026, 11, 23), 0),  # the same day
        (date(2026, 11, 27), date(2026, 11, 23), 0),  # end before start
        (date(2026, 11, 25), date(2026, 11, 26), 1),  # the end day counts, the start day does not
        (date(2026, 11, 23), date(2026, 11, 27), 3),  # 24/11 is off
        (date(2026, 11, 30), date(2026, 12, 4), 4),
        (date(2026, 11, 27), date(2026, 11, 30), 1),  # the weekend between does not count
        (date(2026, 11, 27), date(2026, 11, 29), 0),  # ending on a Sunday
        (date(2026, 8, 28), date(2026, 9, 3), 1),  # 31/8, 1/9, 2/9 off
    ],
)
def test_working_days_between_two_dates(start, end, n):
    assert working_days_between(start, end) == n


def test_a_pause_within_the_same_day_moves_nothing():
    base = appointment(at(2026, 11, 30, 9), 3)  # Thursday 3 December
    moved = shift(base, at(2026, 12, 1, 9), at(2026, 12, 1, 16))
    assert moved == base == datetime(2026, 12, 3, 17, 0, tzinfo=VN)


def test_a_pause_over_a_weekend_moves_the_appointment_by_its_working_days_only():
    base = appointment(at(2026, 11, 30, 9), 3)  # Thursday 3 December
    # Paused Friday 4/12, resumed Monday 7/12: Monday is the one working day lost.
    assert shift(base, at(2026, 12, 4, 9), at(2026, 12, 7, 9)) == datetime(2026, 12, 4, 17, 0, tzinfo=VN)


def test_the_paused_dates_are_read_on_vietnam_time():
    base = appointment(at(2026, 11, 30, 9), 3)  # Thursday 3 December
    # 17:30 UTC on Monday is already Tuesday in Vietnam; 16:00 UTC on Tuesday is 23:00 Tuesday: no day lost.
    paused = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    resumed = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert shift(base, paused, resumed) == base


# Appointment: Thursday 3 December 2026, 17:00.
APPOINTMENT = datetime(2026, 12, 3, 17, 0, tzinfo=VN)


@pytest.mark.parametrize(
    ("now", "state", "left"),
    [
        (at(2026, 11, 27, 9), "on_time", 4),
        (at(2026, 12, 1, 9), "on_time", 2),  # two working days left is not yet "due soon"
        (at(2026, 12, 2, 9), "due_soon", 1),  # the next working day
        (at(2026, 12, 3, 9), "due_soon", 0),  # the day itself
        (at(2026, 12, 3, 17, 0), "due_soon", 0),  # 17:00 exactly is still on time
        (at(2026, 12, 3, 17, 1), "overdue", 0),
        (at(2026, 12, 4, 9), "overdue", -1),
        (at(2026, 12, 7, 9), "overdue", -2),  # the weekend does not count
    ],
)
def test_deadline_state_boundaries(now, state, left):
    assert deadline_state(APPOINTMENT, now) == {"state": state, "working_days_left": left}


def test_a_dossier_without_an_appointment_has_no_deadline_state():
    assert deadline_state(None, at(2026, 12, 1)) == {"state": None, "working_days_left": None}


def test_a_done_dossier_is_done_even_when_its_appointment_has_passed():
    assert deadline_state(APPOINTMENT, at(2026, 12, 9), done=True) == {
        "state": "done",
        "working_days_left": None,
    }
    assert deadline_state(APPOINTMENT, at(2026, 12, 1), done=True)["state"] == "done"


def test_deadline_days_are_counted_on_vietnam_dates():
    # 20:00 UTC on Tuesday 1 December is 03:00 Wednesday in Vietnam: one working day left, not two.
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    assert deadline_state(APPOINTMENT, now) == {"state": "due_soon", "working_days_left": 1}


# -- the government's moves, the administrator's days ---------------------------------------------------
def test_a_make_up_saturday_is_a_working_day():
    # 2025-04-26 was worked in exchange for Friday 2 May, which was off.
    assert is_working_day(date(2025, 4, 26)) and not is_working_day(date(2025, 5, 2))
    assert add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert CAL.due(at(2025, 4, 25, 10), Duration(1)) == datetime(2025, 4, 26, 17, 0, tzinfo=VN)
    assert "2025-04-26" in weekend_workdays_of(2025)


def test_tet_binh_ngo_2026_is_skipped():
    # Tết Bính Ngọ: Monday 16 to Friday 20 February 2026 off (with the weekends around them).
    assert [d for d in (date(2026, 2, 16) + timedelta(i) for i in range(5)) if is_working_day(d)] == []
    assert CAL.due(at(2026, 2, 13, 10), Duration(1)) == datetime(2026, 2, 23, 17, 0, tzinfo=VN)
    names = {h["date"]: h["name"] for h in holidays_of(2026)}
    assert names["2026-02-17"] == "Tết Nguyên Đán"


def test_an_administrators_day_off_moves_a_deadline():
    accepted = at(2026, 11, 26, 10)  # Thursday
    assert CAL.due(accepted, Duration(1)).date() == date(2026, 11, 27)
    off = Calendar(days_off=frozenset({date(2026, 11, 27)}))  # the Prime Minister gives Friday off
    assert off.due(accepted, Duration(1)).date() == date(2026, 11, 30)


def test_an_administrators_working_day_counts_and_wins_over_a_weekend():
    worked = Calendar(working_days=frozenset({date(2026, 11, 28)}))
    assert worked.due(at(2026, 11, 27, 10), Duration(1)).date() == date(2026, 11, 28)


def test_the_cut_off_is_off_unless_configured():
    late = at(2026, 11, 26, 16, 30)  # Thursday after 15:00
    assert CAL.clock_start(late) == date(2026, 11, 26) and C15.clock_start(late) == date(2026, 11, 27)


# -- calendar days and months (Civil Code 2015, arts. 147-148) -------------------------------------------
def test_calendar_days_start_the_day_after_and_a_last_day_off_moves_to_the_next_working_day():
    # Monday 23/11 + 5 days: Saturday 28/11, a day off → Monday 30/11.
    assert CAL.due(at(2026, 11, 23), Duration(5, "day")) == datetime(2026, 11, 30, 17, 0, tzinfo=VN)
    # + 1 day: Tuesday 24/11, Vietnam Cultural Day → Wednesday 25/11.
    assert CAL.due(at(2026, 11, 23), Duration(1, "day")).date() == date(2026, 11, 25)
    # Wednesday 26/8 + 5 days: 31/8, 1/9 and 2/9 off → Thursday 3/9.
    assert CAL.due(at(2026, 8, 26), Duration(5, "day")).date() == date(2026, 9, 3)
    # The cut-off plays no part: the period starts the next day whatever the hour.
    assert C15.due(at(2026, 11, 23, 16), Duration(2, "day")).date() == date(2026, 11, 25)


def test_a_month_ends_on_the_same_numbered_day_or_the_last_day_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert CAL.due(at(2026, 3, 16), Duration(1, "month")).date() == date(2026, 4, 16)  # a Thursday
    # 31/1 + 1 month: Saturday 28/2 → Monday 2/3.
    assert CAL.due(at(2026, 1, 31), Duration(1, "month")) == datetime(2026, 3, 2, 17, 0, tzinfo=VN)


# -- working hours ---------------------------------------------------------------------------------------
def test_working_hours_skip_the_lunch_break():
    assert CAL.due(at(2026, 11, 26, 10), Duration(4, "hour")) == at(2026, 11, 26, 16, 0)


def test_working_hours_carry_over_the_end_of_the_day_and_the_weekend():
    assert CAL.due(at(2026, 11, 26, 15), Duration(4, "hour")) == at(2026, 11, 27, 9, 30)
    assert CAL.due(at(2026, 11, 27, 15), Duration(4, "hour")) == at(2026, 11, 30, 9, 30)
    # Filed in the evening or on Sunday: the count waits for the next opening.
    assert CAL.due(at(2026, 11, 29, 20), Duration(4, "hour")) == at(2026, 11, 30, 11, 30)
    # Ending exactly at a close ends then.
    assert CAL.due(at(2026, 11, 26, 13, 30), Duration(3.5, "hour")) == at(2026, 11, 26, 17, 0)


def test_office_hours_are_a_setting():
    cal = Calendar(office=parse_hours("08:00-12:00, 13:00-17:30"))
    assert cal.due(at(2026, 11, 26, 11), Duration(2, "hour")) == at(2026, 11, 26, 14, 0)
    assert cal.closing == time(17, 30)
    with pytest.raises(ValueError):
        parse_hours("13:00-12:00")
    with pytest.raises(ValueError):
        parse_hours("07:30-11:30,11:00-17:00")


def test_the_reception_due_time_is_eight_working_hours_from_filing():
    # Filed Thursday 16:00: one hour that day, seven on Friday (4 in the morning, 3 after lunch).
    assert CAL.reception(at(2026, 11, 26, 16)) == at(2026, 11, 27, 16, 30)


# -- a procedure without a time ---------------------------------------------------------------------------
def test_a_procedure_without_a_time_gets_the_default_and_is_flagged():
    due = CAL.processing(at(2026, 11, 26, 10), None)
    assert due.defaulted and due.at.date() == CAL.add_working_days(date(2026, 11, 26), CAL.default_days)
    stated = CAL.processing(at(2026, 11, 26, 10), Duration(3))
    assert not stated.defaulted and stated.at.date() == date(2026, 12, 1)
    assert (
        duration_of(None, "day") is None and duration_of(3, "week") is None and duration_of(0, "day") is None
    )
    assert duration_of(2.5, "hour") == Duration(2.5, "hour")


# -- pauses ----------------------------------------------------------------------------------------------
def test_a_supplement_pause_in_working_hours_moves_a_deadline_in_hours_by_office_time_lost():
    due = CAL.due(at(2026, 11, 26, 10), Duration(4, "hour"))  # Thursday 16:00
    # Paused Thursday 11:00 to 14:00: 30 minutes before lunch and 30 after are lost.
    assert CAL.shift(due, at(2026, 11, 26, 11), at(2026, 11, 26, 14), hours=True) == at(2026, 11, 26, 17)
    # Paused Thursday 15:00 to Monday 08:30: 2 hours Thursday, Friday's 7.5, 1 Monday (10.5 in all);
    # from Thursday 16:00 that is 1 hour Thursday, 7.5 Friday and 2 Monday.
    moved = CAL.shift(due, at(2026, 11, 26, 15), at(2026, 11, 30, 8, 30), hours=True)
    assert moved == at(2026, 11, 30, 9, 30)


def test_a_payment_pause_moves_the_appointment():
    from dvckit.contracts import PaymentSucceededV1
    from submission.domain.actions import ActionInput
    from submission.domain.model import Actor, Dossier
    from submission.domain.status import Status
    from submission.domain.transitions import act, action_named, decide
    from submission.service.payments import PAYMENT_SYSTEM

    officer = Actor(id="o", roles=frozenset({"officer", "specialist"}), agencies=frozenset({"A"}))
    d = Dossier.model_validate(
        {
            "_id": "d",
            "owner_id": "c",
            "status": Status.PROCESSING,
            "procedure": {"code": "1.000001", "version": 1, "name": "Thủ tục", "working_days": 3},
            "agency": {"code": "A", "name": "UBND phường"},
            "created_at": at(2026, 11, 23),
            "updated_at": at(2026, 11, 23),
            "appointment_at": datetime(2026, 12, 3, 17, 0, tzinfo=VN),
        }
    )

    def run(d: Dossier, name: str, now: datetime, body: dict | None = None, **kw) -> Dossier:
        action = action_named(name)
        who, roles = (PAYMENT_SYSTEM, ["system"]) if name == "paid" else (officer, ["specialist"])
        fields = ActionInput.of(body or {})
        x = decide(d, action, who, fields, result=None, now=now, cal=CAL, roles=roles, **kw)
        return act(d, x).after

    asked = run(d, "request-payment", at(2026, 11, 30, 9), {"amount": 7000})  # Monday
    assert asked.status == Status.PAYMENT_REQUESTED and asked.paused_at == at(2026, 11, 30, 9)
    confirmed = PaymentSucceededV1(
        order_id="1" * 32,
        dossier_id="d",
        dossier_code="A-1",
        owner_id="c",
        purpose="requested",
        amount=7000,
        provider="vnpay",
        provider_txn="14700001",
        paid_at=at(2026, 12, 2, 11),
        receipt_no="BL-1",
    )
    # Paid online on Wednesday: Tuesday and Wednesday lost.
    paid = run(asked, "paid", at(2026, 12, 2, 11), payment=confirmed)
    assert paid.paused_at is None and paid.appointment_at == datetime(2026, 12, 7, 17, 0, tzinfo=VN)
    # Paid at the counter, the same day: the same, with the receipt on record.
    counter = {"note": "Đã nộp tại quầy", "items": ["BL 0001234"]}
    paid = run(asked, "start", at(2026, 12, 2, 11), counter)
    assert paid.paused_at is None and paid.appointment_at == datetime(2026, 12, 7, 17, 0, tzinfo=VN)
    # Starting straight after acceptance moves nothing.
    assert run(d.model_copy(update={"status": Status.ACCEPTED}), "start", at(2026, 12, 2)).appointment_at == (
        d.appointment_at
    )


# -- the administrator's input ----------------------------------------------------------------------------
def test_overrides_must_be_in_their_year_and_not_both():
    assert check_overrides(2026, [date(2026, 5, 4)], [date(2026, 5, 9)]) == []
    errors = check_overrides(2026, [date(2027, 1, 1), date(2026, 5, 4)], [date(2026, 5, 4)])
    assert [e["field"] for e in errors] == ["days_off.0", "working_days"]
    assert errors[0]["message"].startswith("Ngày 2027-01-01 không thuộc năm 2026")
    assert check_overrides(1999, [], [])[0]["field"] == "year"


def test_a_negative_time_counts_as_none_in_every_unit():
    monday = at(2026, 11, 23)
    assert (
        CAL.due(monday, Duration(-1, "day"))
        == CAL.due(monday, Duration(0, "day"))
        == CAL.close_of(monday.date())
    )
    assert CAL.due(monday, Duration(-2, "month")) == CAL.close_of(monday.date())
    assert CAL.due(monday, Duration(-4, "hour")) == monday
    with pytest.raises(ValueError):
        CAL.due(monday, Duration(1, "week"))
