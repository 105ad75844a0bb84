"""The catalogue's model: what a procedure, its deadline, fees and dossier components may hold, and the
working days a published deadline amounts to."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from catalog.domain.model import ChannelInfo, Component, Duration, Fee, LegalDoc, Procedure, ResultDoc

INT64 = 9_223_372_036_854_775_807  # the largest integer the database stores


def procedure(**fields) -> Procedure:
    return Procedure.model_validate(
        {
            "code": "1.004194",
            "name": "Đăng ký tạm trú",
            "field": "Cư trú",
            "agencies": ["Công an cấp xã"],
            **fields,
        }
    )


def refused(model, **fields) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(fields)
    return [e["type"] for e in caught.value.errors()]


# -- working days ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "days"),
    [
        (3, "working_day", 3),
        (2.4, "working_day", 2),
        (0.4, "working_day", 1),  # never less than one
        (7, "day", 5),  # a week is five working days
        (10, "day", 7),  # 10 × 5/7 = 7.1
        (14, "day", 10),
        (1, "day", 1),
        (0.5, "day", 1),  # 0.36 rounds to 0: still one
        (1, "month", 22),
        (0.5, "month", 11),
        (3, "month", 66),
        (0.05, "month", 1),  # 1.1 rounds to 1
        (0.01, "month", 1),  # 0.22 rounds to 0: still one
        (1, "hour", 1),  # hours are rounded up to whole working days of 8 hours
        (0.5, "hour", 1),
        (8, "hour", 1),
        (9, "hour", 2),
        (16, "hour", 2),
        (17, "hour", 3),
        (24, "hour", 3),
    ],
)
def test_a_deadline_in_working_days(value, unit, days):
    assert Duration(value=value, unit=unit, text="").working_days == days


@pytest.mark.parametrize("value", [1e-6, 10_000])
def test_a_duration_is_more_than_0_and_at_most_10000(value):
    assert Duration(value=value, unit="day", text="").value == value


@pytest.mark.parametrize("value", [0, -1, 10_000.5])
def test_a_duration_of_0_or_above_10000_is_refused(value):
    assert len(refused(Duration, value=value, unit="day", text="")) == 1


@pytest.mark.parametrize("unit", ["working_day", "day", "hour", "month"])
def test_the_duration_units(unit):
    assert Duration(value=1, unit=unit, text="1").unit == unit


@pytest.mark.parametrize("unit", ["week", "year", "Ngày"])
def test_other_duration_units_are_refused(unit):
    assert refused(Duration, value=1, unit=unit, text="1") == ["literal_error"]


# -- fees --------------------------------------------------------------------------------------------------


def test_a_fee_is_in_dong_payable_at_an_unspecified_time_on_every_channel_unless_it_says():
    f = Fee(name="Lệ phí", amount=0)
    assert (f.currency, f.when, f.channel, f.note) == ("VND", "unspecified", None, None)


@pytest.mark.parametrize("amount", [0, 10**15])
def test_a_fee_amount_is_0_to_a_million_billion(amount):
    assert Fee(name="Lệ phí", amount=amount).amount == amount


@pytest.mark.parametrize("amount", [-1, 10**15 + 1, 10**22])
def test_a_negative_or_larger_fee_is_refused(amount):
    assert len(refused(Fee, name="Lệ phí", amount=amount)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "VND"),
        ("currency", "USD"),
        ("when", "on_submit"),
        ("when", "on_result"),
        ("when", "unspecified"),
        ("channel", "online"),
        ("channel", "in_person"),
        ("channel", "postal"),
    ],
)
def test_the_fee_currencies_times_and_channels(field, value):
    assert getattr(Fee.model_validate({"name": "Phí", "amount": 1, field: value}), field) == value


@pytest.mark.parametrize(("field", "value"), [("currency", "EUR"), ("when", "later"), ("channel", "phone")])
def test_other_fee_currencies_times_and_channels_are_refused(field, value):
    assert refused(Fee, name="Phí", amount=1, **{field: value}) == ["literal_error"]


# -- components ------------------------------------------------------------------------------------------


def test_a_component_is_required_once_nothing_else_is_said():
    c = Component(id="a1b2c3d4", name="Tờ khai")
    assert (c.originals, c.copies, c.required, c.forms, c.group) == (0, 0, True, [], None)
    assert c.file_types == ["pdf", "jpg", "png", "docx", "xlsx"]
    assert c.max_bytes == 10 * 1024 * 1024


def test_each_component_gets_its_own_list_of_file_types():
    a, b = Component(id="a1b2c3d4", name="A"), Component(id="e5f6a7b8", name="B")
    a.file_types.append("doc")
    assert b.file_types == ["pdf", "jpg", "png", "docx", "xlsx"]


@pytest.mark.parametrize("cid", ["a1b2c3d4", "0123456789abcdef"])  # 8 and 16 characters
def test_a_component_id_is_8_to_16_lower_case_letters_or_digits(cid):
    assert Component(id=cid, name="Tờ khai").id == cid


@pytest.mark.parametrize("cid", ["a1b2c3d", "0123456789abcdef0", "A1B2C3D4", "a1b2-c3d4"])
def test_other_component_ids_are_refused(cid):
    assert refused(Component, id=cid, name="Tờ khai") == ["string_pattern_mismatch"]


@pytest.mark.parametrize("field", ["originals", "copies"])
def test_a_component_asks_for_0_to_1000_originals_or_copies(field):
    assert getattr(Component.model_validate({"id": "a1b2c3d4", "name": "A", field: 0}), field) == 0
    assert getattr(Component.model_validate({"id": "a1b2c3d4", "name": "A", field: 1000}), field) == 1000
    assert len(refused(Component, id="a1b2c3d4", name="A", **{field: -1})) == 1
    assert len(refused(Component, id="a1b2c3d4", name="A", **{field: 1001})) == 1


def test_a_component_file_limit_is_1_byte_to_the_largest_stored_integer():
    assert Component(id="a1b2c3d4", name="A", max_bytes=1).max_bytes == 1
    assert Component(id="a1b2c3d4", name="A", max_bytes=INT64).max_bytes == INT64
    assert len(refused(Component, id="a1b2c3d4", name="A", max_bytes=0)) == 1
    assert len(refused(Component, id="a1b2c3d4", name="A", max_bytes=INT64 + 1)) == 1


# -- procedures ------------------------------------------------------------------------------------------


def test_a_procedure_is_published_offline_at_version_1_until_said_otherwise():
    p = procedure()
    assert (p.status, p.online_level, p.version, p.popularity, p.detailed) == (
        "published",
        "none",
        1,
        0,
        False,
    )
    assert (p.levels, p.audiences, p.source, p.channels, p.fees, p.components) == ([], [], [], [], [], [])
    assert (p.ministry, p.processing_time, p.conditions, p.audience, p.decision, p.updated_at) == (None,) * 6


@pytest.mark.parametrize("code", ["1.004194", "2.000000", "9.999999"])
def test_a_national_code_is_a_digit_a_dot_and_six_digits(code):
    assert procedure(code=code).code == code


@pytest.mark.parametrize("code", ["1.00419", "1.0041945", "11.004194", "1,004194", "a.004194", ""])
def test_other_codes_are_refused(code):
    assert refused(Procedure, code=code, name="A", field="B", agencies=[]) == ["string_pattern_mismatch"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("levels", ["central", "city", "commune"]),
        ("online_level", "full"),
        ("online_level", "partial"),
        ("online_level", "none"),
        ("audiences", ["citizen", "business"]),
        ("status", "published"),
        ("status", "withdrawn"),
    ],
)
def test_the_levels_online_levels_audiences_and_statuses(field, value):
    assert getattr(procedure(**{field: value}), field) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("levels", ["province"]),  # two-level local government since 2025-07-01: no province, no district
        ("levels", ["district"]),
        ("online_level", "some"),
        ("audiences", ["officer"]),
        ("status", "draft"),
    ],
)
def test_other_levels_online_levels_audiences_and_statuses_are_refused(field, value):
    assert "literal_error" in refused(
        Procedure, code="1.004194", name="A", field="B", agencies=[], **{field: value}
    )


@pytest.mark.parametrize(("field", "low", "high"), [("popularity", 0, INT64), ("version", 1, INT64)])
def test_popularity_and_version_are_bounded_by_what_the_database_stores(field, low, high):
    assert getattr(procedure(**{field: low}), field) == low
    assert getattr(procedure(**{field: high}), field) == high
    base = {"code": "1.004194", "name": "A", "field": "B", "agencies": []}
    assert len(refused(Procedure, **base, **{field: low - 1})) == 1
    assert len(refused(Procedure, **base, **{field: high + 1})) == 1


@pytest.mark.parametrize(
    "model",
    [
        lambda: Procedure.model_validate(
            {"code": "1.004194", "name": "A", "field": "B", "agencies": [], "nickname": "x"}
        ),
        lambda: Fee.model_validate({"name": "A", "amount": 1, "vat": 10}),
        lambda: Duration.model_validate({"value": 1, "unit": "day", "text": "", "approx": True}),
        lambda: Component.model_validate({"id": "a1b2c3d4", "name": "A", "size": 1}),
        lambda: ChannelInfo.model_validate({"kind": "online", "url": "x"}),
        lambda: LegalDoc.model_validate({"title": "Luật Cư trú", "year": 2020}),
        lambda: ResultDoc.model_validate({"name": "Giấy xác nhận", "pages": 1}),
    ],
)
def test_unknown_fields_are_refused_everywhere(model):
    with pytest.raises(ValidationError, match="extra"):
        model()


def test_the_optional_parts_of_legal_documents_results_and_channels():
    assert LegalDoc(title="Luật Cư trú").number is None
    assert ResultDoc(name="Xác nhận").code is None
    c = ChannelInfo(kind="online")
    assert (c.time, c.fees, c.description) == (None, [], None)


@pytest.mark.parametrize(
    ("status", "online_level", "fileable"),
    [
        ("published", "full", True),
        ("published", "partial", True),
        ("published", "none", False),
        ("withdrawn", "full", False),
        ("withdrawn", "partial", False),
    ],
)
def test_only_a_published_procedure_online_fully_or_partly_can_be_filed_online(
    status, online_level, fileable
):
    assert procedure(status=status, online_level=online_level).online_filing is fileable
