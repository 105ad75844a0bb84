"""The in-memory catalogue and its snapshot bytes (service/view.py), without a database."""

from __future__ import annotations

import pytest

from catalog.domain.model import Procedure
from catalog.service.view import (
    MAGIC,
    CorruptSnapshot,
    build_view,
    changed,
    decode,
    encode,
    item_of,
    updated_view,
)
from devstack import samples

PROCS = [
    Procedure.model_validate(samples.procedure(code="1.004194", name="Đăng ký tạm trú")),
    Procedure.model_validate(samples.procedure(code="1.004222", name="Đăng ký thường trú")),
    Procedure.model_validate(
        samples.procedure(code="1.010028", name="Xóa đăng ký tạm trú", status="withdrawn")
    ),
]


def test_a_snapshot_gives_back_the_same_catalogue():
    view = build_view(map(item_of, PROCS), revision=3, seed="s")
    revision, seed, items = decode(encode(view))
    again = build_view(items, revision=revision, seed=seed)
    assert (revision, seed) == (3, "s")
    assert again.items == view.items and again.facets == view.facets
    assert again.index.search("tam tru")[0][0].entry.code == "1.004194"
    assert set(again.entries) == {"1.004194", "1.004222"}  # the withdrawn one: a detail, not searched


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-10],  # truncated
        lambda b: b + b"x",  # trailing bytes
        lambda b: b"DVCCAT\x09" + b[len(MAGIC) :],  # another format
        lambda b: MAGIC + b"\x00\x00\x00\x05abcde",  # not zlib
        lambda b: b"",
    ],
)
def test_decoding_refuses_what_is_not_a_whole_snapshot(damage):
    blob = encode(build_view(map(item_of, PROCS), revision=1, seed=""))
    with pytest.raises(CorruptSnapshot):
        decode(damage(blob))


def test_only_changed_versions_are_read_again():
    base = {i.code: i for i in map(item_of, PROCS)}
    assert changed(base, [("1.004194", 1), ("1.004222", 2), ("2.000001", 1)]) == ["1.004222", "2.000001"]


def test_a_rebuild_reuses_the_entries_of_unchanged_procedures():
    items = [item_of(p) for p in PROCS]
    before = build_view(items, revision=1, seed="")
    renamed = item_of(PROCS[1].model_copy(update={"name": "Đăng ký thường trú mới", "version": 2}))
    after = build_view([items[0], renamed, items[2]], revision=2, seed="", previous=before)
    assert after.entries["1.004194"] is before.entries["1.004194"]
    assert after.entries["1.004222"].name == "Đăng ký thường trú mới"
    assert after.index.search("thuong tru moi")[0][0].entry.code == "1.004222"


def _codes(view, q: str) -> list[str]:
    return [h.entry.code for h in view.index.search(q, limit=10)[0]]


def test_a_few_changes_go_into_the_index_in_place_and_search_as_a_fresh_build_would():
    items = [item_of(p) for p in PROCS]
    before = build_view(items, revision=1, seed="s")
    renamed = item_of(PROCS[1].model_copy(update={"name": "Đăng ký thường trú kê khai", "version": 2}))
    withdrawn = item_of(PROCS[0].model_copy(update={"status": "withdrawn", "version": 2}))
    new = item_of(Procedure.model_validate(samples.procedure(code="2.000001", name="Cấp thẻ tạm trú")))
    after = updated_view(before, [renamed, withdrawn, new], revision=2)
    fresh = build_view([withdrawn, renamed, items[2], new], revision=2, seed="s")

    assert after.index.retired == 2 and after.revision == 2 and after.seed == "s"
    assert after.items == fresh.items and after.facets == fresh.facets
    assert set(after.entries) == set(fresh.entries) == {"1.004222", "2.000001"}
    for q in ("tam tru", "ke khai", "thường trú", "dang ky", "the tam tru", "thuong tru"):
        assert _codes(after, q) == _codes(fresh, q), q
    assert _codes(after, "ke khai") == ["1.004222"] and "1.004194" not in _codes(after, "tam tru")
    assert [s.code for s in after.suggest.suggest("dang ky")] == ["1.004222"]
    assert [s.code for s in after.suggest.suggest("cap the")] == ["2.000001"]
    assert len(after.suggest) == 2
    # The view it came from answers as it did (it is still serving while the new one is made).
    assert _codes(before, "tam tru")[0] == "1.004194" and not _codes(before, "ke khai")
    assert {s.code for s in before.suggest.suggest("dang ky")} == {"1.004194", "1.004222"}
    # Changed again: the entry it replaced in place is replaced in turn.
    again = item_of(PROCS[1].model_copy(update={"name": "Đăng ký thường trú lần đầu", "version": 3}))
    third = updated_view(after, [again], revision=3)
    assert not _codes(third, "ke khai") and _codes(third, "lan dau") == ["1.004222"]
    assert third.index.retired == 3 and [s.code for s in third.suggest.suggest("dang ky thuong")] == [
        "1.004222"
    ]
    # A word no procedure has any more is not a typo's correction.
    assert "khai" not in third.index.vocab.words and third.index.vocab.near("khao") == frozenset()
