"""As-you-type suggestions: the procedure names that start a word with what is being typed. Pure, in memory.

``dang ky tam t`` suggests "Đăng ký tạm trú": every word but the last must be a whole word of the name
(any order), the last one the start of a word; diacritics are optional both ways (``đăng k``, ``dang k``)
and ``ký``/``kí`` are one (``domain.text.variant``). Suggestions are ranked by national popularity, less
how far into the name (after an opening "Thủ tục") the typed words are found, plus a bonus when they
come in the name's own order, side by side.

Built with each catalogue view (``service/view.py``) from the published procedures' names: one folded
string a name (``" dang ky tam tru "``, and the same with ``ky``/``ki`` unified), in order of popularity.
A query is a substring test on those strings in that order (C speed) that stops as soon as no later,
less popular name could outrank the ones found: a prefix such as ``th`` that most names share stops
after a few dozen names, one that matches nothing reads 6,600 strings (about half a millisecond).
"""

from __future__ import annotations

import copy
import heapq
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

from .text import strip_marks, variant

MIN_CHARS = 2  # letters or digits before anything is suggested
LIMIT = 8  # suggestions given by default
MAX_LIMIT = 20
POSITION_WEIGHT = 0.6  # score lost per word the match starts after the name's first (popularity: log10)
MAX_POSITION = 6  # ...counted up to this many words
PHRASE_BONUS = 1.0  # the typed words side by side in the name, in the same order
_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def _fold_token(token: str) -> tuple[str, ...]:
    return tuple(w for w in _NON_WORD.split(strip_marks(token)) if w)


def folded_words(text: str) -> list[str]:
    """Lower case, no diacritics, đ → d, split on anything not a letter or digit: ``Đăng ký (tạm trú)``
    → ``["dang", "ky", "tam", "tru"]``. Abbreviations are not expanded: a suggestion shows the name."""
    out: list[str] = []
    for token in text.split():
        out.extend(_fold_token(token))
    return out


def _finder(text: str, alternatives: tuple[str, ...]) -> Callable[[int], int]:
    """``find(at)``: where the next of ``alternatives`` starts in ``text`` from ``at`` (-1: none)."""
    if len(alternatives) == 1:
        needle = alternatives[0]
        return lambda at: text.find(needle, at)
    a, b = alternatives
    next_a = next_b = -2  # where each was last found (-2: not looked yet)

    def find(at: int) -> int:
        nonlocal next_a, next_b
        if next_a != -1 and next_a < at:
            next_a = text.find(a, at)
        if next_b != -1 and next_b < at:
            next_b = text.find(b, at)
        found = [x for x in (next_a, next_b) if x >= 0]
        return min(found) if found else -1

    return find


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class _Name:
    code: str
    name: str
    raw: str  # " dang ky tam tru "
    unified: str  # " dang ki tam tru ": each word through variant()
    words: tuple[str, ...]  # the raw words
    unified_words: tuple[str, ...]
    skip: int  # leading words that say nothing ("thu tuc")
    log_pop: float


@dataclass(frozen=True, slots=True)
class Query:
    """What was typed, folded: the whole words, and the last word (a prefix unless ``complete``)."""

    whole: tuple[str, ...]  # unified (variant) forms
    last: str  # as typed, folded
    last_unified: str
    complete: bool  # the text ends with a space: the last word is whole too

    @classmethod
    def parse(cls, text: str) -> Query | None:
        """None when there is too little to suggest from (fewer than MIN_CHARS letters or digits)."""
        ws = folded_words(text)
        if sum(len(w) for w in ws) < MIN_CHARS:
            return None
        complete = text[-1:].isspace() or not text[-1:].isalnum()
        *whole, last = ws
        return cls(tuple(dict.fromkeys(variant(w) for w in whole)), last, variant(last), complete)

    def needles(self) -> list[tuple[str, ...]]:
        """What a matching name's line must hold, each a choice of strings: every whole word, and the
        last word's start (as typed or unified) or the whole last word."""
        out = [(f" {w} ",) for w in self.whole]
        if self.complete:
            out.append((f" {self.last_unified} ",))
        else:
            out.append(tuple(dict.fromkeys((f" {self.last}", f" {self.last_unified}"))))
        return out

    def matches(self, n: _Name) -> bool:
        for w in self.whole:
            if f" {w} " not in n.unified:
                return False
        if self.complete:
            return f" {self.last_unified} " in n.unified
        return f" {self.last}" in n.raw or f" {self.last_unified}" in n.unified

    def _is(self, i: int, n: _Name) -> bool:
        """Whether the name's i-th word is one of the typed words."""
        return n.unified_words[i] in self.whole or self._last_is(i, n)

    def position(self, n: _Name) -> int:
        """How many words into the name (after its opening "Thủ tục") the first typed word is found
        (MAX_POSITION at most). The whole words are found by ``tuple.index``; only the words before the
        first of them are looked at one by one, for the last word."""
        uw, start = n.unified_words, n.skip
        end = min(len(uw), start + MAX_POSITION)
        for w in self.whole:
            try:
                end = uw.index(w, start, end)
            except ValueError:
                continue
        for i in range(start, end):
            if self._last_is(i, n):
                return i - start
        return end - start if end < len(uw) and end - start < MAX_POSITION else MAX_POSITION

    def in_order(self, n: _Name) -> bool:
        """The typed words side by side in the name, in the order typed."""
        k = len(self.whole)
        if k == 0:
            return True
        uw, first = n.unified_words, self.whole[0]
        i = -1
        while True:
            try:
                i = uw.index(first, i + 1, len(uw) - k)
            except ValueError:
                return False
            if uw[i : i + k] == self.whole and self._last_is(i + k, n):
                return True

    def _last_is(self, i: int, n: _Name) -> bool:
        if self.complete:
            return n.unified_words[i] == self.last_unified
        return n.words[i].startswith(self.last) or n.unified_words[i].startswith(self.last_unified)


def _name(code: str, name: str, log_pop: float) -> _Name:
    ws = tuple(folded_words(name))
    unified = tuple(variant(w) for w in ws)
    skip = 2 if ws[:2] == ("thu", "tuc") and len(ws) > 2 else 0
    return _Name(code, name, f" {' '.join(ws)} ", f" {' '.join(unified)} ", ws, unified, skip, log_pop)


class SuggestIndex:
    """The published procedures' names, most popular first, for :meth:`suggest`; after an
    administrator's change (``updated``), the names it hid and the few it added beside them."""

    def __init__(self, names: list[_Name]) -> None:
        self._names = names
        self._hidden: frozenset[str] = frozenset()  # codes of ``names`` changed or withdrawn since
        self._extra: tuple[_Name, ...] = ()  # names added since, each checked on every suggestion
        # Which names (by rank: most popular first) hold each word, as written (raw) and unified.
        raw: dict[str, list[int]] = {}
        uni: dict[str, list[int]] = {}
        for rank, n in enumerate(names):
            for w in set(n.words):
                raw.setdefault(w, []).append(rank)
            for w in set(n.unified_words):
                uni.setdefault(w, []).append(rank)
        self._raw = {w: frozenset(r) for w, r in raw.items()}
        self._uni = {w: frozenset(r) for w, r in uni.items()}
        self._raw_vocab = sorted(self._raw)
        self._uni_vocab = sorted(self._uni)
        # Every name's two folded forms on a line of its own, most popular first: for a lone short prefix
        # (``th``), str.find (C speed) walks the names in order and stops early.
        lines = [n.raw + n.unified for n in names]
        self._starts: list[int] = []
        at = 0
        for line in lines:
            self._starts.append(at)
            at += len(line) + 1
        self._text = "\n".join(lines)

    @classmethod
    def build(
        cls, procedures: Iterable[tuple[str, str, int]], previous: SuggestIndex | None = None
    ) -> SuggestIndex:
        """``procedures``: (code, name, popularity) of each published procedure; the folded names of
        ``previous`` are reused where name and popularity are the same."""
        known = (
            {(n.code, n.name, n.log_pop): n for n in (*previous._names, *previous._extra)} if previous else {}
        )
        names = []
        for code, name, popularity in procedures:
            log_pop = math.log10(1 + max(popularity, 0))
            names.append(known.get((code, name, log_pop)) or _name(code, name, log_pop))
        names.sort(key=lambda n: (-n.log_pop, n.code))
        return cls(names)

    def updated(self, removed: Iterable[str], added: Iterable[tuple[str, str, int]]) -> SuggestIndex:
        """This index without the procedures ``removed`` (codes) and with ``added`` (a changed one is in
        both), sharing the tables: milliseconds, where ``build`` takes a tenth of a second."""
        new = copy.copy(self)
        gone = frozenset(removed)
        new._hidden = self._hidden | gone
        fresh = [_name(code, name, math.log10(1 + max(popularity, 0))) for code, name, popularity in added]
        new._extra = (*(n for n in self._extra if n.code not in gone), *fresh)
        return new

    def __len__(self) -> int:
        return sum(1 for n in self._names if n.code not in self._hidden) + len(self._extra)

    def _starting(self, prefix: str, vocab: list[str], postings: dict[str, frozenset[int]]) -> set[int]:
        """The names with a word starting with ``prefix``."""
        lo = bisect_left(vocab, prefix)
        hi = bisect_left(vocab, prefix + "\x7f", lo)
        return set().union(*(postings[w] for w in vocab[lo:hi]))

    def _candidates(self, q: Query) -> Iterator[int]:
        """Ranks of the names that may match, most popular first (each still checked)."""
        sets: list[AbstractSet[int]] = [self._uni.get(w, frozenset()) for w in q.whole]
        if q.complete:
            sets.append(self._uni.get(q.last_unified, frozenset()))
        elif len(q.last) >= 3 or sets:
            # Short prefixes match many words: beside whole words, the names those hold are checked.
            if len(q.last) >= 3:
                sets.append(
                    self._starting(q.last, self._raw_vocab, self._raw)
                    | self._starting(q.last_unified, self._uni_vocab, self._uni)
                )
        if sets:
            sets.sort(key=len)
            found = set(sets[0]).intersection(*sets[1:])
            yield from sorted(found)
            return
        # A lone prefix of two letters: the names in order, found by str.find.
        text, starts = self._text, self._starts
        find = _finder(text, q.needles()[-1])
        at = 0
        while (pos := find(at)) >= 0:
            rank = bisect_right(starts, pos) - 1
            yield rank
            at = starts[rank + 1] if rank + 1 < len(starts) else len(text)

    def suggest(self, text: str, limit: int = LIMIT) -> list[Suggestion]:
        """The best ``limit`` names for what was typed (nothing for fewer than MIN_CHARS letters)."""
        q = Query.parse(text)
        if q is None or limit <= 0:
            return []
        best: list[tuple[float, int, _Name]] = []  # a min-heap of the best so far: (score, -rank, name)

        def consider(n: _Name, rank: int) -> None:
            if not q.matches(n):
                return
            score = n.log_pop - POSITION_WEIGHT * min(q.position(n), MAX_POSITION)
            if q.in_order(n):
                score += PHRASE_BONUS
            item = (score, -rank, n)
            if len(best) < limit:
                heapq.heappush(best, item)
            elif (score, -rank) > best[0][:2]:
                heapq.heapreplace(best, item)

        names, hidden = self._names, self._hidden
        for i, n in enumerate(self._extra):  # ranked after the names of the same score
            consider(n, len(names) + i)
        for rank in self._candidates(q):
            n = names[rank]
            # No name from here on scores more than its popularity plus the bonus.
            if len(best) == limit and n.log_pop + PHRASE_BONUS <= best[0][0]:
                break
            if n.code not in hidden:
                consider(n, rank)
        best.sort(key=lambda t: (-t[0], -t[1]))
        return [Suggestion(n.code, n.name, round(s, 3)) for s, _r, n in best]


__all__ = ["LIMIT", "MAX_LIMIT", "MIN_CHARS", "Query", "SuggestIndex", "Suggestion", "folded_words"]
