"""The search's filters as a MongoDB query (service/trail.py): days in Vietnam time, "to" a whole day,
moments as given, anything else a 422 naming the parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from audit.service.trail import Filters, query
from dvckit.errors import Problem

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_days_moments_and_fields():
    q = query(Filters(start="2026-11-21", end="2026-11-22", subject="u1", kind="read", actor=""), VN)
    assert q["subject"] == "u1" and q["kind"] == "read" and "actor" not in q
    assert q["at"]["$gte"] == datetime(2026, 11, 20, 17, tzinfo=UTC)
    assert q["at"]["$lt"] == datetime(2026, 11, 22, 17, tzinfo=UTC)
    q = query(Filters(start="2026-11-21T03:00:00Z"), VN)
    assert q["at"] == {"$gte": datetime(2026, 11, 21, 3, tzinfo=UTC)}
    assert query(Filters(), VN) == {}


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "0001-01-01", "9999-12-31", "2026-11-21T25:00"])
def test_a_bad_moment_is_a_422_naming_its_parameter(bad):
    with pytest.raises(Problem) as e:
        query(Filters(end=bad), VN)
    assert e.value.status == 422 and e.value.code == "bad-moment"
    assert e.value.extra["errors"][0]["field"] == "query.to"


def test_the_filters_described_as_the_search_entry_names_them():
    assert Filters().described() == "*"
    assert Filters(start="2026-11-21", subject="u 1").described() == "from=2026-11-21&subject=u+1"
