"""In-memory full-text index of the catalogue (tantivy), rebuilt by each replica from MongoDB.

The catalogue is small (about 6,700 procedures) and read far more than written, so every replica keeps
its own index in memory and answers searches without a database round trip; it rebuilds the index when
the catalogue's revision changes (an administrator's edit). MongoDB stays the source of truth.

Retrieval is tantivy's BM25 over folded words (``domain.text``), each query word matched exactly or
within one typo, all words required (any order); candidates are then re-ranked here by how completely
the words cover the procedure's name, whether they appear as a phrase, and national popularity.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from typing import Any

import tantivy

from ..domain.text import looks_like_code, markers, variant, within_one_edit, words

CANDIDATES = 150  # re-ranked per query; beyond them tantivy's order is kept


@dataclass
class Entry:
    """What the index keeps of a procedure besides tantivy's postings."""

    code: str
    name: str
    name_words: list[str]
    text_words: frozenset[str]
    popularity: int
    field: str
    agencies: list[str]
    levels: list[str]
    online_level: str
    summary: dict[str, Any] = field(default_factory=dict)
    parts: list[Piece] = field(default_factory=list)
    # Derived once, for re-ranking.
    name_set: frozenset[str] = frozenset()
    name_joined: str = ""
    core_len: int = 0
    first_pos: dict[str, int] = field(default_factory=dict)
    log_pop: float = 0.0
    markers: frozenset[str] = frozenset()  # variant markers among the name's first words

    def __post_init__(self) -> None:
        self.name_set = frozenset(self.name_words)
        self.name_joined = f" {' '.join(self.name_words)} "
        # "Thủ tục" opens many names and says nothing.
        core = self.name_words[2:] if self.name_words[:2] == ["thu", "tuc"] else self.name_words
        self.core_len = len(core)
        for i, w in enumerate(core):
            self.first_pos.setdefault(w, i)
        self.log_pop = math.log10(1 + self.popularity)
        self.markers = markers(core[:4])

    def matches(
        self, field: str | None, agency: str | None, level: str | None, online: Sequence[str] | None
    ) -> bool:
        """Whether the procedure passes the filters given (None: no filter)."""
        return (
            (not field or self.field == field)
            and (not agency or agency in self.agencies)
            and (not level or level in self.levels)
            and (not online or self.online_level in online)
        )


@dataclass
class Hit:
    entry: Entry
    score: float
    highlight: str


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("idx", stored=True, fast=True)
    b.add_text_field("name", stored=False, tokenizer_name="default")
    b.add_text_field("text", stored=False, tokenizer_name="default")
    for facet in ("field_k", "agency_k", "level_k", "online_k"):
        b.add_text_field(facet, stored=False, tokenizer_name="raw")
    # log2(2 + weight) multiplies BM25: a gentle popularity prior so popular procedures reach the
    # candidate set; the re-ranking below decides the final order.
    b.add_float_field("weight", stored=False, fast=True)
    return b.build()


class Vocabulary:
    """Every indexed word, with a one-deletion table (SymSpell's idea) to find the words one typo away
    from a query word in time proportional to its length, not to the vocabulary."""

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.deletes: dict[str, set[str]] = {}
        self._near: dict[str, frozenset[str]] = {}

    def add(self, word: str) -> None:
        if word in self.words:
            return
        self.words.add(word)
        for d in _deletions(word):
            self.deletes.setdefault(d, set()).add(word)

    def typo_of(self, word: str) -> frozenset[str]:
        """For a word the catalogue does not have (a typo), the indexed words one edit away; for a
        word it has, nothing: a correctly typed word is not matched to its neighbours (tạm ≠ tại)."""
        return frozenset() if word in self.words else self.near(word)

    def near(self, word: str) -> frozenset[str]:
        """Indexed words within one edit of ``word`` (itself excluded); only for words of 3+ letters."""
        got = self._near.get(word)
        if got is not None:
            return got
        found: set[str] = set()
        if len(word) >= 3:
            candidates = set(self.deletes.get(word, ()))
            for d in _deletions(word):
                candidates |= self.deletes.get(d, set())
                if d in self.words:
                    candidates.add(d)
            found = {c for c in candidates if c != word and len(c) >= 3 and within_one_edit(word, c)}
        got = frozenset(found)
        if len(self._near) < 100_000:
            self._near[word] = got
        return got


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _match(query_word: str, near: frozenset[str], doc_words: frozenset[str] | set[str]) -> float:
    """1 for the same word, 0.7 for a word one typo away, else 0."""
    if query_word in doc_words:
        return 1.0
    return 0.7 if near and not near.isdisjoint(doc_words) else 0.0


Piece = tuple[str, str, frozenset[str]]  # (text, text HTML-escaped, folded words; empty between words)


def pieces(name: str) -> list[Piece]:
    """A name cut into words and what lies between them, each word with its folded forms (done once,
    when the index is built, so highlighting a result costs set lookups only)."""
    out: list[Piece] = []
    for is_word, run in groupby(name, str.isalnum):
        if is_word:
            out.append(_word_piece("".join(run)))
        else:
            out.extend(_gap_piece(ch) for ch in run)
    return out


@lru_cache(maxsize=100_000)
def _word_piece(token: str) -> Piece:
    return (token, html.escape(token), frozenset(words(token)))


@lru_cache(maxsize=1024)
def _gap_piece(ch: str) -> Piece:
    return (ch, html.escape(ch), frozenset())


def highlight(parts: Sequence[Piece], targets: frozenset[str]) -> str:
    """The name with the words in ``targets`` (query words and their typo matches) wrapped in <mark>,
    HTML-escaped, adjacent marks merged."""
    out: list[str] = []
    open_run = False
    pending_gap = ""
    for text, escaped, folded in parts:
        if not folded:  # between words
            if open_run and text.isspace():
                pending_gap += escaped
                continue
            if open_run:
                out.append("</mark>" + pending_gap)
                open_run, pending_gap = False, ""
            out.append(escaped)
            continue
        hit = not folded.isdisjoint(targets)
        if hit and not open_run:
            out.append("<mark>")
            open_run = True
        elif hit:
            out.append(pending_gap)
        elif open_run:
            out.append("</mark>" + pending_gap)
            open_run = False
        pending_gap = ""
        out.append(escaped)
    if open_run:
        out.append("</mark>" + pending_gap)
    return "".join(out)


class SearchIndex:
    def __init__(self) -> None:
        self.schema = _schema()
        self.index = tantivy.Index(self.schema)
        self.entries: list[Entry] = []
        self.by_code: dict[str, int] = {}
        self.vocab = Vocabulary()
        self.max_log_pop = 1.0
        self.single_segment = True

    @classmethod
    def build(cls, docs: Iterable[tuple[Entry, str]]) -> SearchIndex:
        """``docs``: (entry, extra searchable text) pairs for the published procedures."""
        self = cls()
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        for entry, extra in docs:
            i = len(self.entries)
            self.entries.append(entry)
            self.by_code[entry.code] = i
            for w in entry.text_words:
                self.vocab.add(w)
            self.max_log_pop = max(self.max_log_pop, entry.log_pop)
            doc = tantivy.Document()
            doc.add_unsigned("idx", i)
            doc.add_text("name", " ".join(entry.name_words))
            doc.add_text("text", extra)
            doc.add_text("field_k", entry.field)
            for a in entry.agencies:
                doc.add_text("agency_k", a)
            for lv in entry.levels:
                doc.add_text("level_k", lv)
            doc.add_text("online_k", entry.online_level)
            doc.add_float("weight", math.log10(1 + entry.popularity) / 2)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        self.single_segment = self.searcher.num_segments <= 1
        return self

    def _idx(self, addr: tantivy.DocAddress) -> int:
        # Built by one writer in one commit, the index has one segment whose document ids follow the
        # order of insertion; otherwise read the stored position.
        if self.single_segment:
            return int(addr.doc)
        return int(self.searcher.doc(addr)["idx"][0])

    def _filters(
        self, field: str | None, agency: str | None, level: str | None, online: Sequence[str] | None
    ) -> list[tantivy.Query]:
        s = self.schema
        out = []
        if field:
            out.append(tantivy.Query.term_query(s, "field_k", field))
        if agency:
            out.append(tantivy.Query.term_query(s, "agency_k", agency))
        if level:
            out.append(tantivy.Query.term_query(s, "level_k", level))
        if online:
            out.append(
                tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, tantivy.Query.term_query(s, "online_k", o)) for o in online]
                )
            )
        return out

    def _word_query(self, w: str) -> tantivy.Query:
        s = self.schema
        parts = [
            (tantivy.Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(s, "name", w), 3.0)),
            (tantivy.Occur.Should, tantivy.Query.term_query(s, "text", w)),
        ]
        if self.vocab.typo_of(w):
            parts += [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(tantivy.Query.fuzzy_term_query(s, "name", w, distance=1), 1.0),
                ),
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(tantivy.Query.fuzzy_term_query(s, "text", w, distance=1), 0.3),
                ),
            ]
        return tantivy.Query.boolean_query(parts)

    def search(
        self,
        q: str,
        *,
        field: str | None = None,
        agency: str | None = None,
        level: str | None = None,
        online: Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Hit], int]:
        qwords = list(dict.fromkeys(words(q, query=True)))
        if looks_like_code(q):
            i = self.by_code.get(q.strip())
            e = self.entries[i] if i is not None else None
            ok = e is not None and e.matches(field, agency, level, online)
            return ([Hit(e, 1.0, html.escape(e.name))] if e and ok and offset == 0 else []), int(ok)
        if not qwords:
            return [], 0
        filters = [(tantivy.Occur.Must, f) for f in self._filters(field, agency, level, online)]
        hits, total = self._candidates(qwords, filters, max(CANDIDATES, offset + limit))
        if not hits:
            return [], 0
        return self._ranked(qwords, hits, offset, limit), total

    def _candidates(
        self, qwords: list[str], filter_clauses: list[tuple[tantivy.Occur, tantivy.Query]], limit_all: int
    ) -> tuple[list[tuple[float, int]], int]:
        """tantivy's (BM25 score, entry) for the query words, best first, and how many match."""
        word_queries = [self._word_query(w) for w in qwords]
        # Every word, in any order; if that finds too little (an abbreviation the name does not spell
        # out, a word the procedure does not use), any word, ranked below those with every word.
        every = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, wq) for wq in word_queries] + filter_clauses
        )
        result = self.searcher.search(every, limit=limit_all, count=True, weight_by_field="weight")
        total = result.count or 0
        hits = [(score, self._idx(addr)) for score, addr in result.hits]
        if total < 3 and len(qwords) > 1:
            any_word = tantivy.Query.boolean_query([(tantivy.Occur.Should, wq) for wq in word_queries])
            some = tantivy.Query.boolean_query([(tantivy.Occur.Must, any_word), *filter_clauses])
            extra = self.searcher.search(some, limit=limit_all, count=True, weight_by_field="weight")
            seen = {i for _s, i in hits}
            for score, addr in extra.hits:
                i = self._idx(addr)
                if i not in seen:
                    hits.append((score, i))
            total = max(total, extra.count or 0)
        return hits, total

    def _ranked(self, qwords: list[str], hits: list[tuple[float, int]], offset: int, limit: int) -> list[Hit]:
        """The page of ``hits`` re-ranked (the first CANDIDATES of them), names highlighted."""
        top_bm25 = hits[0][0] or 1.0
        qctx = _Query(
            [(w, self.vocab.typo_of(w)) for w in qwords],
            markers(qwords),
            f" {' '.join(qwords)} ",
            len(qwords),
        )
        ranked = []
        for rank, (score, i) in enumerate(hits):
            e = self.entries[i]
            if rank < CANDIDATES:
                ranked.append((self._rerank(e, qctx, score / top_bm25), rank, e))
            else:
                ranked.append((-1.0 - rank, rank, e))
        ranked.sort(key=lambda t: (-t[0], t[1]))
        page = ranked[offset : offset + limit]
        targets = frozenset(qwords).union(*(self.vocab.typo_of(w) for w in qwords))
        return [Hit(e, round(s, 4), highlight(e.parts or pieces(e.name), targets)) for s, _r, e in page]

    def _rerank(self, e: Entry, q: _Query, bm25: float) -> float:
        n = q.n
        name_cov = text_cov = 0.0
        first = e.core_len
        for w, typos in q.words:
            if w in e.name_set:
                name_cov += 1.0
            elif typos and not typos.isdisjoint(e.name_set):
                name_cov += 0.7
            if w in e.text_words:
                text_cov += 1.0
            elif typos and not typos.isdisjoint(e.text_words):
                text_cov += 0.7
            pos = e.first_pos.get(w)
            if pos is not None and pos < first:
                first = pos
        phrase = 1.0 if n > 1 and q.phrase in e.name_joined else 0.0
        # "Cấp lại …", "Xóa đăng ký …" when the query asked for neither: a variant, not the procedure.
        variant = 1.0 if not e.markers.issubset(q.markers) else 0.0
        # A name that is mostly the query ("Đăng ký tạm trú" for "dang ky tam tru") is what was meant...
        tightness = n / max(e.core_len, n)
        # ...and so is one that starts with it, rather than one that mentions it in passing at the end.
        early = 1.0 - first / max(e.core_len, 1)
        return (
            2.0 * name_cov / n
            + 0.5 * text_cov / n
            + 0.4 * phrase
            + 0.3 * tightness
            + 0.4 * early
            + 0.15 * bm25
            + 0.6 * e.log_pop / self.max_log_pop
            - 0.3 * variant
        )


@dataclass
class _Query:
    """What re-ranking needs of a query, computed once per query."""

    words: list[tuple[str, frozenset[str]]]  # each word with the indexed words it may be a typo of
    markers: frozenset[str]  # variant markers the query itself uses
    phrase: str  # " w1 w2 " to find the words side by side in a name
    n: int


__all__ = ["Entry", "Hit", "SearchIndex", "highlight", "pieces", "variant"]
