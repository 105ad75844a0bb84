"""In-memory full-text index of the catalogue (tantivy), rebuilt by each replica from MongoDB.

The catalogue is small (about 6,700 procedures) and read far more than written, so every replica keeps
its own index in memory and answers searches without a database round trip; it rebuilds the index when
the catalogue's revision changes (an administrator's edit). MongoDB stays the source of truth.

Retrieval is tantivy's BM25 over folded words (``domain.text``), each query word matched exactly or
within one typo, all words required (any order); candidates are then re-ranked here by how completely
the words cover the procedure's name, whether they appear as a phrase, and national popularity.
"""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import groupby
from typing import Any

import tantivy

from dvckit.jsonutil import dumps

from ..domain.text import (
    looks_like_code,
    marked_words,
    markers,
    plain_words,
    strip_marks,
    variant,
    within_one_edit,
    words,
)
from ..domain.vocabulary import Alt, Slot
from ..domain.vocabulary import Vocabulary as Glossary
from ..domain.vocabulary import default as default_vocabulary

CANDIDATES = 30  # re-ranked per query (recall@3 on the evaluation set is the same from 20 to 150)
# Small words of a sentence ("với", "cho", "chưa", "bị", "của"): they steer, never required. Folded
# forms that are also content words are left out (đăng/đang, đỏ/do, sổ/số, thẻ/the, đền/đến, tư/từ, lá/là).
FUNCTION_WORDS = frozenset(
    "voi cho cua o tai va co khi da duoc bi can gi nhung cac trong tren theo ve chua roi nay thi ma nen"
    " phai se hay hoac".split()
)
GENERIC_IDF = 1.2  # below: a word in more than 30 % of procedures ("cấp", "giấy", "tại")


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
    # Derived once, for re-ranking.
    name_set: frozenset[str] = frozenset()
    name_joined: str = ""
    core_len: int = 0
    first_pos: dict[str, int] = field(default_factory=dict)
    log_pop: float = 0.0
    markers: frozenset[str] = frozenset()  # variant markers among the name's first words
    marked: frozenset[str] = frozenset()  # the name's words with their diacritics (sổ is not số)
    here: float = 1.0  # 0 for a procedure only central bodies handle (filed elsewhere than Hải Phòng)

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
        self.marked = marked_words(self.name)
        self.here = 0.0 if self.levels and all(lv == "central" for lv in self.levels) else 1.0

    @cached_property
    def marks(self) -> Marks:
        return Marks.of(self.name)

    @cached_property
    def summary_json(self) -> bytes:
        """``summary`` serialised once: a page of results joins these instead of encoding 20 dicts."""
        return dumps(self.summary)

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
    b.add_unsigned_field("idx", stored=True, indexed=True, fast=True)  # indexed: a change deletes by it
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
        self._shared = False  # the sets of ``deletes`` are another vocabulary's too: replace, never add to

    def copy(self) -> Vocabulary:
        """A vocabulary to change while this one is still read (copied tables, shared sets)."""
        new = Vocabulary()
        new.words, new.deletes, new._shared = set(self.words), dict(self.deletes), True
        return new

    def add(self, word: str) -> None:
        if word in self.words:
            return
        self.words.add(word)
        self._near.clear()
        for d in _deletions(word):
            got = self.deletes.get(d)
            if got is None:
                self.deletes[d] = {word}
            elif self._shared:
                self.deletes[d] = got | {word}
            else:
                got.add(word)

    def remove(self, word: str) -> None:
        """No procedure has ``word`` any more (the deletion table keeps it: ``near`` checks ``words``)."""
        self.words.discard(word)
        self._near.clear()

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
            found = {
                c
                for c in candidates
                if c != word and len(c) >= 3 and c in self.words and within_one_edit(word, c)
            }
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


@dataclass(frozen=True)
class Marks:
    """A name ready to highlight, prepared once per procedure: the name HTML-escaped, where each of its
    words lies in that text, the words under each folded form, and whether only spaces follow a word
    (then it and the next one share a mark). Highlighting a result then costs a lookup per query word."""

    escaped: str
    spans: list[tuple[int, int]]
    where: dict[str, list[int]]
    spaced: list[bool]

    @classmethod
    def of(cls, name: str) -> Marks:
        escaped_parts: list[str] = []
        spans: list[tuple[int, int]] = []
        where: dict[str, list[int]] = {}
        spaced: list[bool] = []
        at = 0
        for is_word, run in groupby(name, str.isalnum):
            text = html.escape("".join(run))
            if is_word:
                for w in _folds(text):
                    where.setdefault(w, []).append(len(spans))
                spans.append((at, at + len(text)))
                spaced.append(False)
            elif spans:
                spaced[-1] = text.isspace()
            escaped_parts.append(text)
            at += len(text)
        if spans:
            spaced[-1] = False  # nothing follows the last word
        return cls("".join(escaped_parts), spans, where, spaced)

    def highlight(self, targets: frozenset[str]) -> str:
        """The name with its words in ``targets`` (query words and their typo matches) wrapped in <mark>;
        words separated by spaces only share one mark."""
        hit = sorted({i for w in targets for i in self.where.get(w, ())})
        if not hit:
            return self.escaped
        out: list[str] = []
        done = 0
        first = hit[0]
        for k, i in enumerate(hit):
            if k + 1 < len(hit) and hit[k + 1] == i + 1 and self.spaced[i]:
                continue  # the run goes on
            start, end = self.spans[first][0], self.spans[i][1]
            out += (self.escaped[done:start], "<mark>", self.escaped[start:end], "</mark>")
            done = end
            if k + 1 < len(hit):
                first = hit[k + 1]
        out.append(self.escaped[done:])
        return "".join(out)


@lru_cache(maxsize=100_000)
def _folds(token: str) -> frozenset[str]:
    return frozenset(words(token))


class SearchIndex:
    """The published procedures in tantivy, with what re-ranking and suggestions need beside it.

    Built whole from a catalogue (``build``) or from the previous index and the procedures an
    administrator changed (``updated``), which shares tantivy's index and adds a segment: a document's
    number is its position in ``at``, where a changed procedure's old entry stays behind (its document
    deleted) and ``by_code`` points at the new one."""

    def __init__(self) -> None:
        self.schema = _schema()
        self.index = tantivy.Index(self.schema)
        self.at: list[Entry] = []  # by document number ("idx")
        self.entries: list[Entry] = []  # the published ones
        self.by_code: dict[str, int] = {}
        self.vocab = Vocabulary()
        self.max_log_pop = 1.0
        self.single_segment = True
        self.df: dict[str, int] = {}  # in how many procedures each word appears
        self.idf: dict[str, float] = {}
        self.max_idf = 1.0
        self.popular: list[Entry] = []

    @classmethod
    def build(cls, docs: Iterable[tuple[Entry, str]]) -> SearchIndex:
        """``docs``: (entry, extra searchable text) pairs for the published procedures."""
        self = cls()
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        for entry, extra in docs:
            writer.add_document(self._add(entry, extra))
        writer.commit()
        writer.wait_merging_threads()
        return self._ready()

    def updated(self, removed: Iterable[str], added: Iterable[tuple[Entry, str]]) -> SearchIndex:
        """A new index without the procedures ``removed`` (codes) and with ``added``; a changed procedure
        is in both. This one is left as it was (its searcher is a snapshot) and answers until the new one
        replaces it; the tables they do not share are copied (milliseconds, not a rebuild)."""
        new = copy.copy(self)
        new.at, new.by_code, new.df = list(self.at), dict(self.by_code), dict(self.df)
        new.vocab = self.vocab.copy()
        writer = self.index.writer(heap_size=15_000_000, num_threads=1)
        for code in removed:
            i = new.by_code.pop(code, None)
            if i is None:
                continue
            # (by query: tantivy-py's delete_documents_by_term does not match an unsigned field's term)
            writer.delete_documents_by_query(tantivy.Query.term_query(self.schema, "idx", i))
            for w in new.at[i].text_words:
                left = new.df.pop(w) - 1
                if left:
                    new.df[w] = left
                else:
                    new.vocab.remove(w)
        for entry, extra in added:
            writer.add_document(new._add(entry, extra))
        writer.commit()
        writer.wait_merging_threads()
        return new._ready()

    @property
    def retired(self) -> int:
        """Entries left behind by changes (their documents deleted)."""
        return len(self.at) - len(self.by_code)

    def _add(self, entry: Entry, extra: str) -> tantivy.Document:
        i = len(self.at)
        self.at.append(entry)
        self.by_code[entry.code] = i
        for w in entry.text_words:
            self.vocab.add(w)
            self.df[w] = self.df.get(w, 0) + 1
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
        return doc

    def _ready(self) -> SearchIndex:
        """What is derived from the entries, and a searcher of the index as committed."""
        self.entries = [self.at[i] for i in sorted(self.by_code.values())]
        self.max_log_pop = max([1.0, *(e.log_pop for e in self.entries)])
        n = len(self.entries) + 1
        # Rare words over generic ones: "karaoke" says more than "giấy phép" (IDF, floored).
        self.idf = {w: max(0.3, math.log(n / (1 + d))) for w, d in self.df.items()}
        self.max_idf = math.log(n)
        self.popular = sorted(self.entries, key=lambda e: (-e.popularity, e.code))[:20]
        self.index.reload()
        self.searcher = self.index.searcher()
        self.single_segment = self.searcher.num_segments <= 1 and not self.retired
        return self

    def _positions(self, hits: list[tuple[float, tantivy.DocAddress]]) -> list[tuple[float, int]]:
        """(score, document number) of tantivy's hits. Built by one writer in one commit, the index has
        one segment whose document ids follow the order of insertion; after a change, each segment
        numbers its own, and the number is read from the fast field."""
        if self.single_segment:
            return [(score, addr.doc) for score, addr in hits]
        idx = self.searcher.fast_field_values("idx", [addr for _s, addr in hits])
        return [(score, int(i)) for (score, _a), i in zip(hits, idx, strict=True)]

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
        vocabulary: Glossary | None = None,
    ) -> tuple[list[Hit], int]:
        return self.answer(
            q,
            field=field,
            agency=agency,
            level=level,
            online=online,
            offset=offset,
            limit=limit,
            vocabulary=vocabulary,
        ).page()

    def answer(
        self,
        q: str,
        *,
        field: str | None = None,
        agency: str | None = None,
        level: str | None = None,
        online: Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 20,
        vocabulary: Glossary | None = None,
    ) -> Answer:
        """The page of results for ``q``, how many match, whether every word matched (``all``), only
        some (``partial``) or none (``none``), and, with few results, suggestions."""
        vocab = vocabulary or default_vocabulary()
        if looks_like_code(q):
            i = self.by_code.get(q.strip())
            e = self.at[i] if i is not None else None
            ok = e is not None and e.matches(field, agency, level, online)
            hits = [Hit(e, 1.0, html.escape(e.name))] if e and ok and offset == 0 else []
            return Answer(hits, int(ok), "all" if ok else "none")
        slots = self._generic_optional(vocab.read(q, self.vocab.words))
        if not slots:
            return Answer([], 0, "none")
        filters = [(tantivy.Occur.Must, f) for f in self._filters(field, agency, level, online)]
        hits, total, matched = self._candidates(slots, filters, max(CANDIDATES, offset + limit))
        if not hits:
            return Answer([], 0, "none", self.suggest(q, slots, vocab, filters))
        return Answer(self._ranked(q, slots, hits, offset, limit), total, matched)

    def _generic_optional(self, slots: list[Slot]) -> list[Slot]:
        """Words a fifth of the catalogue uses ("với", "cấp", "giấy") steer rather than exclude, as long
        as a rarer word is required."""
        generic = [
            not s.optional
            and not s.term
            and len(s.alts) == 1
            and len(s.alts[0].words) == 1
            and (
                s.alts[0].words[0] in FUNCTION_WORDS
                or self.idf.get(s.alts[0].words[0], self.max_idf) < GENERIC_IDF
            )
            for s in slots
        ]
        if not any(generic) or all(g or s.optional for g, s in zip(generic, slots, strict=True)):
            return slots
        return [Slot(s.alts, True, s.term) if g else s for g, s in zip(generic, slots, strict=True)]

    def _alt_query(self, alt: Alt) -> tantivy.Query:
        if len(alt.words) == 1:
            wq = self._word_query(alt.words[0])
        else:
            wq = tantivy.Query.boolean_query([(tantivy.Occur.Must, self._word_query(w)) for w in alt.words])
        return wq if alt.weight == 1.0 else tantivy.Query.boost_query(wq, alt.weight)

    def _slot_query(self, slot: Slot) -> tantivy.Query:
        if len(slot.alts) == 1:
            return self._alt_query(slot.alts[0])
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, self._alt_query(a)) for a in slot.alts])

    def _candidates(
        self, slots: list[Slot], filter_clauses: list[tuple[tantivy.Occur, tantivy.Query]], limit_all: int
    ) -> tuple[list[tuple[float, int]], int, str]:
        """tantivy's (BM25 score, entry) for the query, best first, how many match and how."""
        slot_queries = [(s, self._slot_query(s)) for s in slots]
        required = [q for s, q in slot_queries if not s.optional]
        optional = [q for s, q in slot_queries if s.optional]
        # Every word (or one of its readings), in any order; situation words only steer.
        if required:
            clauses = [(tantivy.Occur.Must, q) for q in required]
            clauses += [(tantivy.Occur.Should, q) for q in optional]
        else:
            clauses = [
                (
                    tantivy.Occur.Must,
                    tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in optional]),
                )
            ]
        every = tantivy.Query.boolean_query(clauses + filter_clauses)
        result = self.searcher.search(every, limit=limit_all, count=True, weight_by_field="weight")
        total = result.count or 0
        hits = self._positions(result.hits)
        matched = "all" if total else "none"
        # If that finds too little (a word the procedure does not use, one unknown word), any word,
        # ranked below those with every word.
        if total < 3 and len(slot_queries) > 1:
            any_word = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for _s, q in slot_queries])
            some = tantivy.Query.boolean_query([(tantivy.Occur.Must, any_word), *filter_clauses])
            extra = self.searcher.search(some, limit=limit_all, count=True, weight_by_field="weight")
            seen = {i for _s, i in hits}
            for score, i in self._positions(extra.hits):
                if i not in seen:
                    hits.append((score, i))
            if (extra.count or 0) > total:
                matched = "partial" if total == 0 else "all"
            total = max(total, extra.count or 0)
        return hits, total, matched

    def _ranked(
        self, q: str, slots: list[Slot], hits: list[tuple[float, int]], offset: int, limit: int
    ) -> list[Hit]:
        """The page of ``hits`` re-ranked (the first CANDIDATES of them), names highlighted."""
        top_bm25 = hits[0][0] or 1.0
        qctx = self._query(q, slots)
        ranked = []
        for rank, (score, i) in enumerate(hits):
            e = self.at[i]
            if rank < CANDIDATES:
                ranked.append((self._rerank(e, qctx, score / top_bm25), rank, e))
            else:
                ranked.append((-1.0 - rank, rank, e))
        ranked.sort(key=lambda t: (-t[0], t[1]))
        page = ranked[offset : offset + limit]
        return [Hit(e, round(s, 4), e.marks.highlight(qctx.targets)) for s, _r, e in page]

    def _idf(self, w: str) -> float:
        return self.idf.get(w, self.max_idf)

    def _query(self, q: str, slots: list[Slot]) -> _Query:
        uniq: dict[str, int] = {}  # every word of every reading, once: matched once per procedure
        rslots = []
        all_words: list[str] = []
        for s in slots:
            alts = []
            for a in s.alts:
                ws = tuple((uniq.setdefault(w, len(uniq)), self._idf(w)) for w in a.words)
                phrase = f" {' '.join(a.words)} " if len(a.words) > 1 else ""
                alts.append((ws, sum(x[1] for x in ws) or 1.0, a.weight, phrase, len(ws)))
                all_words.extend(a.words)
            # A slot's importance: how rare what was typed is (generic words weigh less; a term of
            # several words says as much as they do together).
            importance = sum(x[1] for x in alts[0][0]) if alts[0][0] else 1.0
            rslots.append((alts, importance, s.optional))
        words_typos = [(w, self.vocab.typo_of(w)) for w in uniq]
        targets = set(uniq).union(*(t for _w, t in words_typos))
        flat = [w for s in slots if not s.optional for w in s.alts[0].words]
        accented = frozenset(w for w in marked_words(q) if strip_marks(w) != w)
        return _Query(
            words=words_typos,
            zeros=[0.0] * len(words_typos),
            slots=rslots,
            markers=markers(all_words),
            phrase=f" {' '.join(flat)} ",
            n=max(1, len(flat)),
            total_importance=sum(imp for _a, imp, opt in rslots if not opt) or 1.0,
            targets=frozenset(targets),
            accented=accented,
        )

    def _rerank(self, e: Entry, q: _Query, bm25: float) -> float:
        name_set, text_words, first_pos, joined = e.name_set, e.text_words, e.first_pos, e.name_joined
        first = e.core_len
        # Each word's match in the name and in the text: 1 the same word, 0.7 one typo away, else 0.
        in_name = q.zeros.copy()
        in_text = q.zeros.copy()
        i = 0
        for w, typos in q.words:
            if w in text_words:
                in_text[i] = 1.0
                if w in name_set:
                    in_name[i] = 1.0
                    pos = first_pos.get(w)
                    if pos is not None and pos < first:
                        first = pos
                elif typos and not typos.isdisjoint(name_set):
                    in_name[i] = 0.7
            elif typos and not typos.isdisjoint(text_words):
                in_text[i] = 0.7
                if not typos.isdisjoint(name_set):
                    in_name[i] = 0.7
            i += 1
        name_cov = text_cov = steer = phrase = 0.0
        n_best = 0
        for alts, importance, optional in q.slots:
            best_name = best_text = steer_here = 0.0
            best_n = 0
            for ws, idf_sum, weight, alt_phrase, n_words in alts:
                got_name = got_text = 0.0
                for i, idf in ws:
                    got_name += in_name[i] * idf
                    got_text += in_text[i] * idf
                if not got_text:
                    continue
                raw = got_name / idf_sum
                if alt_phrase and raw:
                    # Words of a term ("sổ đỏ", "giấy chứng nhận quyền sử dụng đất") count together:
                    # scattered over a name they are other words ("số ... do").
                    if alt_phrase in joined:
                        if 0.8 * weight > phrase:
                            phrase = 0.8 * weight
                    else:
                        raw *= 0.5
                if raw > steer_here:
                    steer_here = raw
                cov = weight * raw
                if cov > best_name:
                    best_name, best_n = cov, n_words
                cov = weight * got_text / idf_sum
                if cov > best_text:
                    best_text = cov
            if optional:
                steer += steer_here
            else:
                name_cov += importance * best_name
                text_cov += importance * best_text
                n_best += best_n
        total = q.total_importance
        if q.n > 1 and q.phrase in e.name_joined:
            phrase = 1.0
        # "Cấp lại …", "Xóa đăng ký …" when the query asked for neither: a variant, not the procedure.
        variant = 1.0 if not e.markers.issubset(q.markers) else 0.0
        # A name that is mostly the query ("Đăng ký tạm trú" for "dang ky tam tru") is what was meant...
        n = max(n_best, 1)
        tightness = n / max(e.core_len, n)
        # ...and so is one that starts with it, rather than one that mentions it in passing at the end.
        early = 1.0 - first / max(e.core_len, 1)
        # Typed with diacritics: "sổ" is not "số".
        exact = len(q.accented & e.marked) / len(q.accented) if q.accented else 0.0
        return (
            2.0 * name_cov / total
            + 0.5 * text_cov / total
            + 0.4 * phrase
            + 0.3 * tightness
            + 0.4 * early
            + 0.15 * bm25
            + 0.6 * e.log_pop / self.max_log_pop
            + 0.4 * min(steer, 1.0)
            + 0.25 * exact
            + 0.1 * e.here
            - 0.3 * variant
        )

    # -- no dead ends ------------------------------------------------------------------------------
    def suggest(
        self,
        q: str,
        slots: list[Slot],
        vocab: Glossary,
        filter_clauses: list[tuple[tantivy.Occur, tantivy.Query]],
    ) -> dict[str, Any]:
        """For a query that found nothing: the query spelt with the catalogue's own words (each unknown
        word replaced by the closest indexed word, two edits at most, the most used first), and the
        popular procedures it (or, failing that, any of its words) finds."""
        fixed: list[str] = []
        changed = False
        for w in plain_words(q):
            if w in self.vocab.words or w in vocab.english or (w,) in vocab.phrases:
                fixed.append(w)
                continue
            best = self._closest(w)
            if best and best != w:
                fixed.append(best)
                changed = True
            else:
                fixed.append(w)
        queries = [" ".join(fixed)] if changed else []
        procedures: list[Entry] = []
        if queries:
            alt_slots = vocab.read(queries[0], self.vocab.words)
            if alt_slots:
                hits, _t, _m = self._candidates(alt_slots, filter_clauses, 20)
                procedures = (
                    [h.entry for h in self._ranked(queries[0], alt_slots, hits, 0, 5)] if hits else []
                )
        if not procedures:
            procedures = self.popular[:5]
        return {
            "queries": queries,
            "procedures": [{"code": e.code, "name": e.name} for e in procedures],
        }

    def _closest(self, w: str) -> str | None:
        if len(w) < 3:
            return None
        near: set[str] = set(self.vocab.near(w))
        if not near:  # two edits: neighbours of the neighbours of its deletions
            for d in _deletions(w):
                near |= self.vocab.deletes.get(d, set())
                for dd in _deletions(d):
                    near |= self.vocab.deletes.get(dd, set())
                    if dd in self.vocab.words:
                        near.add(dd)
            near = {c for c in near if abs(len(c) - len(w)) <= 2 and len(c) >= 2}
        if not near:
            return None

        def prefix(c: str) -> int:  # people get a word's beginning right more often than its end
            n = 0
            while n < min(len(c), len(w)) and c[n] == w[n]:
                n += 1
            return n

        return max(near, key=lambda c: (prefix(c), self.df.get(c, 0), c))


@dataclass
class Answer:
    hits: list[Hit]
    total: int
    matched: str  # "all": every word matched; "partial": some; "none"
    suggestions: dict[str, Any] | None = None

    def page(self) -> tuple[list[Hit], int]:
        return self.hits, self.total


@dataclass
class _Query:
    """What re-ranking needs of a query, computed once per query."""

    words: list[tuple[str, frozenset[str]]]  # every word of every reading, with its typo neighbours
    zeros: list[float]  # one 0 a word, copied per procedure
    # Each slot: its readings (each word's place in ``words`` and IDF, the IDF sum, weight, the reading
    # as a phrase, its length), its importance (IDF of its rarest typed word), whether it only steers.
    slots: list[tuple[list[tuple[tuple[tuple[int, float], ...], float, float, str, int]], float, bool]]
    markers: frozenset[str]  # variant markers the query itself uses (or its readings: lost → cấp lại)
    phrase: str  # " w1 w2 " to find the typed words side by side in a name
    n: int
    total_importance: float
    targets: frozenset[str]  # words to highlight
    accented: frozenset[str]  # words typed with diacritics


__all__ = ["Entry", "Hit", "Marks", "SearchIndex", "variant"]
