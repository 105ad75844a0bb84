"""The search vocabulary: how people name what the catalogue calls otherwise. Pure functions and data.

Kept as data (``data/vocabulary.json``, then the ``vocabulary`` collection an administrator edits): each
entry (a ``Term``) has the words people type (``terms``: "sổ hồng", "GPKD", "passport", "driving
licence") and what the catalogue says for them (``means``: any of them), a ``weight`` and a note of its
source. Kinds:

- ``everyday``, ``abbreviation``, ``borrowed``, ``english``: the typed words may also be read as the
  catalogue's words; a procedure named with the typed words themselves still ranks first (an
  expansion counts ``weight`` times a word typed);
- ``situation`` ("bị mất", "cho con", "người nước ngoài", "hết hạn"): never required, they steer among
  the variants of a procedure (lost → "cấp lại").

``Vocabulary.read`` cuts a query into slots (a vocabulary term, or one word) with their alternatives;
``Vocabulary.gloss`` builds an English name from the English glossary, read the other way round.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from .text import QUERY_FILLER, QUERY_STOPWORDS, folded, plain_words, strip_marks

SEED = Path(__file__).resolve().parent.parent / "data" / "vocabulary.json"
Kind = Literal["everyday", "abbreviation", "borrowed", "situation", "english"]
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
MAX_TERM_WORDS = 8


class Term(BaseModel):
    """One entry of the search vocabulary."""

    id: str = Field(pattern=ID_PATTERN, description="e.g. eve-so-hong")
    kind: Kind
    terms: list[str] = Field(min_length=1, max_length=30, description="what people type")
    means: list[str] = Field(min_length=1, max_length=10, description="the catalogue's words for it")
    weight: float = Field(
        default=0.85, ge=0.05, le=1.0, description="an expansion's worth beside a typed word"
    )
    note: str = Field(default="", max_length=500, description="source or reason")
    version: int = 1

    @field_validator("terms", "means")
    @classmethod
    def _words(cls, v: list[str]) -> list[str]:
        out = []
        for t in v:
            t = " ".join(t.split())
            n = len(plain_words(t))
            if not t or len(t) > 120 or n == 0 or n > 12:
                raise ValueError("each term needs 1 to 12 words (120 characters at most)")
            out.append(t)
        return out


@dataclass(frozen=True)
class Alt:
    """One way to read a slot: its folded words (all required) and what a match is worth."""

    words: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Slot:
    """A piece of the query: a word, or a vocabulary term with the catalogue's words for it."""

    alts: tuple[Alt, ...]  # the first is what was typed
    optional: bool  # a situation word: steers, never required
    term: str = ""  # the vocabulary entry that matched, if any


# Vietnamese words between nouns, for the English gloss.
_LINKS = {
    "cho": "for",
    "doi voi": "for",
    "cua": "of",
    "va": "and",
    "hoac": "or",
    "tai": "at",
    "tren": "on",
    "trong": "in",
    "theo": "under",
    "co": "with",
    "tu": "from",
    "den": "to",
    "ve": "on",
    "thuc hien": "",
    "truong hop": "case",
}


_SMALL = "for|of|and|or|at|on|in|under|with|from|to|case"
_DANGLING = re.compile(rf"^(?:(?:{_SMALL}) )+|(?: (?:{_SMALL}))+$")


class Vocabulary:
    """The terms compiled for reading queries and glossing names. Immutable once built."""

    def __init__(
        self, terms: Iterable[Term], english_stopwords: Iterable[str] = (), version: str = ""
    ) -> None:
        self.terms = {t.id: t for t in terms}
        self.version = version
        self.phrases: dict[tuple[str, ...], tuple[Term, tuple[Alt, ...]] | None] = {}
        self.english: set[str] = set()  # folded words of English terms
        self.gloss_map: dict[tuple[str, ...], str] = {}
        self.stop_en = frozenset(english_stopwords)
        for t in sorted(self.terms.values(), key=lambda t: t.id):
            alts = tuple(dict.fromkeys(Alt(tuple(folded(m)), t.weight) for m in t.means if folded(m)).keys())
            for typed in t.terms:
                key = plain_words(typed)
                if key and len(key) <= MAX_TERM_WORDS and key not in self.phrases:
                    self.phrases[key] = (t, alts)
                if t.kind == "english":
                    self.english.update(key)

        # The gloss: each English entry's first meaning, then its others, glossed by its first term.
        english = [t for t in sorted(self.terms.values(), key=lambda t: t.id) if t.kind == "english"]
        for first in (True, False):
            for t in english:
                for m in t.means[:1] if first else t.means[1:]:
                    k = tuple(folded(m))
                    if k and k not in self.gloss_map:
                        self.gloss_map[k] = t.terms[0]
        self._glossed: dict[tuple[str, ...], str | None] = {}
        for f in QUERY_FILLER:  # "thủ tục", "như thế nào": nothing to search for
            self.phrases.setdefault(tuple(f.split()), None)
        self.max_len = max((len(k) for k in self.phrases), default=1)
        self.gloss_len = max((len(k) for k in self.gloss_map), default=1)

    def __len__(self) -> int:
        return len(self.terms)

    def read(self, query: str, known: set[str] | frozenset[str]) -> list[Slot]:
        """The query's slots. ``known``: the catalogue's words (an English query drops its small words
        only when the catalogue does not use them)."""
        raw = list(plain_words(query))
        english = self._is_english(query, raw, known)
        slots: list[Slot] = []
        i = 0
        while i < len(raw):
            for n in range(min(self.max_len, len(raw) - i), 0, -1):
                key = tuple(raw[i : i + n])
                if key not in self.phrases:
                    continue
                got = self.phrases[key]
                if got is None:
                    i += n
                    break
                term, alts = got
                typed = tuple(folded(" ".join(key)))
                # "làm sổ đỏ": the words typed, without the search box's small words ("làm", "xin")
                typed = tuple(w for w in typed if w not in QUERY_STOPWORDS) or typed
                own = () if term.kind == "english" else (Alt(typed, 1.0),)
                slots.append(
                    Slot(
                        tuple(dict.fromkeys(own + alts)),
                        optional=term.kind == "situation",
                        term=term.id,
                    )
                )
                i += n
                break
            else:
                w = raw[i]
                i += 1
                if (english and (w in self.stop_en or w not in known)) or w in QUERY_STOPWORDS:
                    continue
                slots.append(Slot((Alt(tuple(folded(w)), 1.0),), optional=False))
        slots = [s for s in slots if s.alts and s.alts[0].words]
        if not slots and raw:  # filler words only: searched as they are
            slots = [Slot((Alt(tuple(folded(w)), 1.0),), optional=False) for w in raw]
        return slots

    def expansions(self, text: str, most: int = 3) -> list[str]:
        """``text`` in the catalogue's words, for suggestions as it is typed (which match the words of
        names only): its first whole term people type (an abbreviation, a borrowed, everyday or English
        word: "gplx", "bằng lái", "passport", "driving licence") replaced by each of the term's meanings,
        up to ``most``; nothing when it has none. A term must be typed whole: the last word counts only
        once it has all its letters (a prefix of it is still being typed)."""
        raw = list(plain_words(text))
        for i in range(len(raw)):
            for n in range(min(self.max_len, len(raw) - i), 0, -1):
                got = self.phrases.get(tuple(raw[i : i + n]))
                if got is None or got[0].kind == "situation":
                    continue
                before, after = raw[:i], raw[i + n :]
                tail = " " if text[-1:].isspace() and after else ""
                return [" ".join([*before, *alt.words, *after]) + tail for alt in got[1][:most]]
        return []

    def _is_english(self, query: str, raw: list[str], known: set[str] | frozenset[str]) -> bool:
        if not raw or strip_marks(query) != query.lower():  # diacritics: Vietnamese
            return False
        en = sum(1 for w in raw if w in self.english or w in self.stop_en)
        return en * 2 > len(raw)

    def gloss(self, name_words: list[str]) -> str | None:
        """An English name built from the glossary, when it covers most of the name; else None.
        Remembered (a few thousand names at most)."""
        key = tuple(name_words)
        if key in self._glossed:
            return self._glossed[key]
        got = self._gloss(name_words)
        if len(self._glossed) < 20_000:
            self._glossed[key] = got
        return got

    def _gloss(self, name_words: list[str]) -> str | None:
        ws = name_words[2:] if name_words[:2] == ["thu", "tuc"] else name_words
        out: list[str] = []
        covered = total = 0
        i = 0
        while i < len(ws):
            for n in range(min(self.gloss_len, len(ws) - i), 0, -1):
                key = tuple(ws[i : i + n])
                en = self.gloss_map.get(key)
                if en is not None:
                    out.append(en)
                    covered += n
                    total += n
                    i += n
                    break
                link = _LINKS.get(" ".join(key)) if n <= 2 else None
                if link is not None:
                    if link:
                        out.append(link)
                    i += n
                    break
            else:
                total += 1
                i += 1
        if not out or covered < 0.6 * max(total, 1):
            return None
        text = re.sub(r"\b(\w+)( \1\b)+", r"\1", " ".join(out))
        text = _DANGLING.sub("", text)
        return text[:1].upper() + text[1:] if text else None


def parse(data: dict) -> tuple[list[Term], list[str]]:  # type: ignore[type-arg]
    return [Term.model_validate(e) for e in data["entries"]], list(data.get("english_stopwords", ()))


@cache
def seed_file() -> tuple[tuple[Term, ...], tuple[str, ...]]:
    terms, stop = parse(json.loads(SEED.read_text(encoding="utf-8")))
    return tuple(terms), tuple(stop)


@cache
def default() -> Vocabulary:
    """The seed's vocabulary (tests, benchmarks, a replica before it read the collection)."""
    terms, stop = seed_file()
    return Vocabulary(terms, stop, version="seed")


__all__ = ["QUERY_STOPWORDS", "Alt", "Slot", "Term", "Vocabulary", "default", "seed_file"]
