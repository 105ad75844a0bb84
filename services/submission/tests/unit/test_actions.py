"""ActionInput: the limits at their exact boundaries, the problems' words, and the schema it publishes."""

from __future__ import annotations

import json

import pytest

from dvckit.errors import Problem
from submission.domain.actions import ITEM_LIMIT, MAX_ITEMS, NOTE_LIMIT, ActionInput


def refused(body: dict | bytes) -> Problem:
    with pytest.raises(Problem) as e:
        ActionInput.of(body if isinstance(body, bytes) else json.dumps(body).encode())
    return e.value


@pytest.mark.parametrize(("field", "limit"), [("note", NOTE_LIMIT), ("reason", NOTE_LIMIT)])
def test_a_note_may_be_exactly_its_limit_and_not_one_more(field, limit):
    assert getattr(ActionInput.of({field: "a" * limit}), field) == "a" * limit
    p = refused({field: "a" * (limit + 1)})
    assert (p.status, p.code) == (422, "too-long")
    assert (p.title.vi, p.title.en) == ("Nội dung quá dài", "Text too long")


def test_an_item_may_be_exactly_its_limit_and_not_one_more():
    assert ActionInput.of({"items": ["b" * ITEM_LIMIT]}).items == ["b" * ITEM_LIMIT]
    assert refused({"items": ["b" * (ITEM_LIMIT + 1)]}).code == "too-long"


def test_at_most_max_items_items():
    assert len(ActionInput.of({"items": [f"giấy {i}" for i in range(MAX_ITEMS)]}).items) == MAX_ITEMS
    assert refused({"items": [f"giấy {i}" for i in range(MAX_ITEMS + 1)]}).code == "validation-error"


@pytest.mark.parametrize("empty", [None, "", [], "\n \n"])
def test_no_items_is_an_empty_list(empty):
    assert ActionInput.of({"items": empty}).items == []


def test_broken_json_says_so_in_both_languages():
    p = refused(b"{not json")
    assert (p.status, p.code) == (422, "validation-error")
    assert (p.title.vi, p.title.en) == ("Nội dung JSON không hợp lệ", "Invalid JSON")


def test_unexpected_fields_are_named_sorted_in_both_languages():
    p = refused({"zeta": 1, "alpha": 2, "note": "ok"})
    assert p.title.vi == "Trường không được phép: alpha, zeta"
    assert p.title.en == "Unexpected fields: alpha, zeta"


def test_a_wrong_type_names_its_field_path():
    p = refused({"components": ["ok", 7]})
    assert p.title.en == "Invalid input"
    assert p.extra["errors"] == [{"field": "components.1", "message": "Dữ liệu không hợp lệ"}]


def test_the_published_schema_states_the_limits():
    schema = ActionInput.model_json_schema()["properties"]
    assert schema["items"]["maxItems"] == MAX_ITEMS
    assert f"At most {NOTE_LIMIT} characters" in json.dumps(schema["note"])
    assert f"each at most {ITEM_LIMIT}" in schema["items"]["description"]


# -- the procedure a dossier keeps ----------------------------------------------------------------------------


def test_a_dossier_keeps_exactly_the_frozen_part_of_its_procedure():
    from submission.domain.procedure import FROZEN, Procedure, components_of, fees_of, freeze

    published = {
        "code": "1.004194",
        "version": 3,
        "name": "Đăng ký tạm trú",
        "status": "published",
        "fileable": True,
        "field": "Đăng ký, quản lý cư trú",
        "agencies": ["Công an cấp xã"],
        "levels": ["commune"],
        "online_level": "full",
        "processing_time": {"value": 3, "unit": "working_day", "text": "3 Ngày làm việc"},
        "working_days": 3,
        "components": [{"id": "aaaaaaaaaaaa", "name": "Tờ khai CT01", "originals": 1}],
        "fees": [{"name": "Lệ phí", "amount": 7000, "when": "on_submit", "channel": "online"}],
        "results": [{"name": "Xác nhận đăng ký tạm trú"}],
        "audience": "Công dân Việt Nam, Người nước ngoài",
        "audiences": ["citizen"],
        "popularity": 15_539_622,  # the catalogue's, not the dossier's
        "legal_basis": ["Luật Cư trú 2020"],
    }
    kept = freeze(Procedure.model_validate(published)).as_json()
    assert {k: kept[k] for k in FROZEN} == {k: published[k] for k in FROZEN}
    assert "popularity" not in kept and "legal_basis" not in kept
    # The lists read the same from the typed record and from it as JSON.
    frozen = freeze(Procedure.model_validate(published))
    assert components_of(frozen) == components_of(kept)
    assert fees_of(frozen) == fees_of(kept)
    assert components_of(frozen)[0].id == "aaaaaaaaaaaa" and fees_of(frozen)[0].amount == 7000
    assert components_of({"components": None}) == [] and fees_of({}) == []
