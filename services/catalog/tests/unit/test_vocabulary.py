"""The search vocabulary (domain/vocabulary.py, data/vocabulary.json) and how the index reads a query
through it: readings weighted below what was typed, situation words that steer, English, no dead ends."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from catalog.adapters.search_index import SearchIndex
from catalog.config import DEFAULT_SEED
from catalog.domain.vocabulary import SEED, Term, Vocabulary, default
from catalog.service.view import build_view, item_of, read_seed


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return build_view(map(item_of, read_seed(DEFAULT_SEED)), revision=1, seed="").index


def top(index: SearchIndex, q: str, n: int = 3) -> list[str]:
    return [h.entry.code for h in index.search(q, limit=n)[0]]


def test_the_data_file_has_400_reviewable_entries_of_every_kind():
    data = json.loads(SEED.read_text(encoding="utf-8"))
    entries = [Term.model_validate(e) for e in data["entries"]]
    assert len(entries) >= 400
    assert len({e.id for e in entries}) == len(entries)
    kinds = Counter(e.kind for e in entries)
    assert set(kinds) == {"everyday", "abbreviation", "borrowed", "situation", "english"}
    assert kinds["english"] >= 150 and kinds["abbreviation"] >= 50
    assert all(e.note for e in entries)


def test_a_query_is_cut_into_terms_longest_first():
    slots = default().read("làm sổ đỏ cho con", set())
    assert [s.term for s in slots] == ["eve-lam-so-do", "sit-cho-con"]
    assert slots[0].alts[0].words == ("so", "do") and slots[0].alts[0].weight == 1.0  # "làm" dropped
    assert slots[1].optional and not slots[0].optional


def test_english_drops_small_words_and_has_no_typed_reading():
    slots = default().read("renewal of the driving licence", {"the"})
    assert [s.term for s in slots] == ["eng-renewal", "eng-driving-licence"]
    assert all(a.weight < 1.0 for s in slots for a in s.alts)


def test_an_english_gloss_when_the_glossary_covers_the_name():
    v = default()
    assert v.gloss("cap lai giay phep lai xe".split()) == "Reissue driving licence"
    assert (
        v.gloss("dang ki ket hon co yeu to nuoc ngoai".split()) is None
        or "marriage" in v.gloss("dang ki ket hon co yeu to nuoc ngoai".split()).lower()
    )
    assert v.gloss("thu tuc xyz abc def".split()) is None


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("passport", "1.001456"),
        ("giấy phép karaoke", None),
        ("bằng lái bị mất", "3.000348"),
        ("cty TNHH 2 TV", "2.001199"),
        ("driving licence", None),
    ],
)
def test_everyday_borrowed_and_english_words_find_something(index, q, code):
    got = top(index, q, 5)
    assert got, q
    if code:
        assert code in got[:3], (q, got)


def test_situation_words_steer_and_never_exclude(index):
    # "bị mất" prefers the re-issue, yet a query of situation words alone still finds something
    assert top(index, "mất hộ chiếu", 3)
    assert top(index, "người nước ngoài", 3)


def test_diacritics_typed_are_a_tie_break(index):
    e = next(e for e in index.entries if "sổ" in e.name.lower())
    assert "sổ" in e.marked and "so" not in e.marked


def test_no_dead_end(index):
    answer = index.answer("tammm truuu")
    assert answer.hits == [] and answer.matched == "none"
    assert answer.suggestions["queries"] == ["tam tru"]
    assert answer.suggestions["procedures"]
    nothing = index.answer("qqqzzx")
    assert nothing.suggestions["queries"] == [] and len(nothing.suggestions["procedures"]) == 5
    partial = index.answer("đăng ký tạm trú qqqzzx")
    assert partial.matched == "partial" and partial.hits


def test_an_administrators_entry_applies_at_once(index):
    v = Vocabulary(
        [*default().terms.values(), Term(id="eve-x", kind="everyday", terms=["zuzu"], means=["tạm trú"])]
    )
    assert index.search("zuzu", vocabulary=v)[0]
    assert not index.search("zuzu")[0]
