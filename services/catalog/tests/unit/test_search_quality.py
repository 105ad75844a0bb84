"""Search quality on the committed seed: recall@3 over the public evaluation set (no server needed:
the same in-memory index every catalog replica builds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.adapters.search_index import SearchIndex
from catalog.config import DEFAULT_SEED
from catalog.service.view import build_view, item_of, read_seed

EVAL = Path(__file__).resolve().parents[1] / "search_eval.json"
TARGET = 0.95


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return build_view(map(item_of, read_seed(DEFAULT_SEED)), revision=1, seed="").index


def test_the_evaluation_set_is_big_enough():
    cases = json.loads(EVAL.read_text())["cases"]
    assert len(cases) >= 40
    assert len({c["q"] for c in cases}) == len(cases)


def test_recall_at_3(index):
    cases = json.loads(EVAL.read_text())["cases"]
    found = expected = 0
    misses = []
    for case in cases:
        top = [h.entry.code for h in index.search(case["q"], limit=3)[0]]
        for code in case["expect"]:
            expected += 1
            if code in top:
                found += 1
            else:
                misses.append(f"{case['q']!r}: {code} not in {top}")
    recall = found / expected
    print(f"recall@3 = {recall:.3f} ({found}/{expected})")
    assert recall >= TARGET, "\n".join(misses)


def test_every_expected_code_exists_in_the_seed(index):
    for case in json.loads(EVAL.read_text())["cases"]:
        for code in case["expect"]:
            assert code in index.by_code, code
