from __future__ import annotations

import pytest

from auth.domain import organisations as rules
from dvckit.errors import Invalid

REP = {"user_id": "r", "role": "representative"}
STAFF = {"user_id": "s", "role": "staff"}


@pytest.mark.parametrize("code", ["0201234567", "0201234567-001"])
def test_tax_codes(code):
    assert rules.check_tax_code(f" {code} ") == code


@pytest.mark.parametrize("code", ["020123456", "02012345678", "0201234567-01", "0201234567_001", "abc"])
def test_bad_tax_codes(code):
    with pytest.raises(Invalid):
        rules.check_tax_code(code)


def test_the_last_representative_stays():
    with pytest.raises(rules.Refused, match="last-representative"):
        rules.without([REP, STAFF], "r")
    with pytest.raises(rules.Refused, match="last-representative"):
        rules.with_role([REP, STAFF], "r", "staff")
    two = rules.with_role([REP, STAFF], "s", "representative")
    assert rules.without(two, "r") == [{"user_id": "s", "role": "representative"}]
    with pytest.raises(rules.Refused, match="already-member"):
        rules.with_member([REP], {"user_id": "r", "role": "viewer"})
    with pytest.raises(rules.Refused, match="not-member"):
        rules.without([REP], "x")
