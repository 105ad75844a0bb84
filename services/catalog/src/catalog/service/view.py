"""What a replica serves from memory: every current procedure (its detail, compressed) and the search
index of the published ones, at one catalogue revision; and the snapshot other replicas start from.

A :class:`View` is built from the seed file (first start), from a snapshot (one read: what a fresh
replica does), or from the database (one bulk read; an earlier view's items are reused where the
procedure's version did not change, so after an administrator's edit only the edited procedures are
read again). Building is CPU work: callers run it in a thread.

The snapshot is bytes (:func:`encode` / :func:`decode`); :data:`CODE_VERSION` names the code that
shaped them (text folding, summaries, the index's entries), so a replica of other code ignores them.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import importlib
import importlib.metadata
import json
import struct
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from dvckit.jsonutil import dumps

from ..adapters import data_files
from ..adapters.search_index import Entry, SearchIndex
from ..domain.model import Procedure
from ..domain.routing import Routing
from ..domain.suggest import SuggestIndex
from ..domain.summary import list_item
from ..domain.text import words

# The revision of a catalogue that is exactly the seed: the seed load sets the revision to it (from 0),
# and no administrator's change is taken before the seed is written, so every replica can serve the seed
# from its own file or a snapshot while the writes go on.
SEED_REVISION = 1
SNAPSHOT_FORMAT = 1  # the layout of encode(); CODE_VERSION covers what is inside
MAGIC = b"DVCCAT" + bytes([SNAPSHOT_FORMAT])
DETAIL_LEVEL = 6  # zlib level of each procedure's detail, kept compressed in memory (26 MB → 7 MB)
# Modules whose code decides what a snapshot holds: a change to any of them makes older snapshots stale.
_SHAPERS = (
    "catalog.domain.model",
    "catalog.domain.routing",
    "catalog.domain.agencies",
    "catalog.domain.summary",
    "catalog.domain.text",
    "catalog.adapters.search_index",
    "catalog.service.view",
    "dvckit.vn",
    "dvckit.jsonutil",
)


def _code_version() -> str:
    h = hashlib.sha256(f"format {SNAPSHOT_FORMAT}".encode())
    for name in _SHAPERS:
        module = importlib.import_module(name)
        try:
            h.update(Path(str(module.__file__)).read_bytes())
        except (OSError, TypeError):  # no source shipped: the package's version stands in for it
            h.update(importlib.metadata.version("dvc-catalog").encode())
    h.update(data_files.ROUTING.read_bytes())  # the rules shape every procedure's routing and fileable
    return h.hexdigest()[:16]


# The province's level-1 code (setting ``province_code``): the routing's agency codes end with it.
_province = "H26"


def configure(province_code: str) -> None:
    """Set once by ``create_app``, before any view is built."""
    global _province
    _province = province_code


def province() -> str:
    return _province


def snapshot_key() -> str:
    """Snapshots are of this code and (their routing's agency codes) this province; Hải Phòng's keep the
    plain key."""
    return f"index-{CODE_VERSION}" + ("" if _province == "H26" else f"-{_province}")


def routing_of(p: Procedure) -> Routing:
    return data_files.rules(_province).route(p)


@dataclass(frozen=True, slots=True)
class Item:
    """One current procedure as a replica keeps it. ``(code, version)`` names its content: every change
    makes a new version, and procedures are never deleted."""

    code: str
    version: int
    status: str
    detail: bytes  # GET /procedures/{code}'s body, zlib-compressed
    summary: dict[str, Any] | None = None  # what lists show; the rest is for published ones only
    name_words: list[str] | None = None
    extra_words: list[str] | None = None

    @property
    def published(self) -> bool:
        return self.status == "published"


def public_detail(p: Procedure) -> dict[str, Any]:
    """``GET /procedures/{code}``: the whole procedure plus what lists show and where it is filed."""
    routing = routing_of(p)
    return {**list_item(p, routing), **p.model_dump(mode="json"), "routing": routing.model_dump(mode="json")}


def item_of(p: Procedure) -> Item:
    detail = zlib.compress(dumps(public_detail(p)), DETAIL_LEVEL)
    if p.status != "published":
        return Item(p.code, p.version, p.status, detail)
    extra = " ".join([p.field, *p.agencies, *(r.name for r in p.results)])
    summary = list_item(p, routing_of(p))
    return Item(p.code, p.version, p.status, detail, summary, words(p.name), words(extra))


def _entry(item: Item) -> tuple[Entry, str]:
    s, name_words, extra = item.summary or {}, item.name_words or [], item.extra_words or []
    entry = Entry(
        code=item.code,
        name=s["name"],
        name_words=name_words,
        text_words=frozenset(name_words) | frozenset(extra),
        popularity=s["popularity"],
        field=s["field"],
        agencies=s["agencies"],
        levels=s["levels"],
        online_level=s["online_level"],
        summary=s,
    )
    return entry, " ".join(extra)


@dataclass
class View:
    revision: int
    seed: str  # the seed the catalogue started from (its sha256, as the seed marker says)
    items: dict[str, Item]
    index: SearchIndex
    facets: dict[str, list[dict[str, Any]]]
    entries: dict[str, Entry]
    suggest: SuggestIndex  # as-you-type suggestions from the published names (domain/suggest.py)

    @classmethod
    def empty(cls) -> View:
        return cls(-1, "", {}, SearchIndex.build([]), {}, {}, SuggestIndex.build([]))

    @property
    def published(self) -> int:
        return len(self.entries)


@contextmanager
def no_gc() -> Iterator[None]:
    """Hundreds of thousands of new, long-lived objects: no collection passes while they are made (the
    collector would walk them all several times over; without it the seed is read in half the time).
    Process-wide, for the second or two it lasts."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def build_view(items: Iterable[Item], *, revision: int, seed: str, previous: View | None = None) -> View:
    """The view of ``items``: the index of the published ones (in code order, so every replica ranks
    ties alike) and the facets. Entries of ``previous`` are reused for the very same items."""
    with no_gc():
        by_code = {i.code: i for i in sorted(items, key=lambda i: i.code)}
        old = previous.items if previous else {}
        entries: dict[str, Entry] = {}
        texts: list[tuple[Entry, str]] = []
        for code, item in by_code.items():
            if not item.published:
                continue
            reused = previous.entries.get(code) if previous and old.get(code) is item else None
            entry, extra = (reused, " ".join(item.extra_words or [])) if reused else _entry(item)
            entries[code] = entry
            texts.append((entry, extra))
        return View(
            revision=revision,
            seed=seed,
            items=by_code,
            index=SearchIndex.build(texts),
            facets=_facets(entries.values()),
            entries=entries,
            suggest=_suggest(entries, previous),
        )


def updated_view(previous: View, changed: Iterable[Item], *, revision: int) -> View:
    """``previous`` with the procedures ``changed`` (new versions, or new procedures): their documents
    go into a new segment of the same search index (``SearchIndex.updated``) instead of a new index, so
    an administrator's edit is searched within milliseconds. ``previous`` is left as it was."""
    with no_gc():
        items, entries = dict(previous.items), dict(previous.entries)
        codes, added = [], []
        for item in changed:
            items[item.code] = item
            codes.append(item.code)
            entries.pop(item.code, None)
            if item.published:
                entry, extra = _entry(item)
                entries[item.code] = entry
                added.append((entry, extra))
        entries = dict(sorted(entries.items()))
        return View(
            revision=revision,
            seed=previous.seed,
            items=dict(sorted(items.items())),
            index=previous.index.updated(codes, added),
            facets=_facets(entries.values()),
            entries=entries,
            suggest=previous.suggest.updated(codes, ((e.code, e.name, e.popularity) for e, _x in added)),
        )


def _facets(entries: Iterable[Entry]) -> dict[str, list[dict[str, Any]]]:
    counts: dict[str, Counter[str]] = {"field": Counter(), "agency": Counter()}
    for e in entries:
        counts["field"][e.field] += 1
        for a in e.agencies:
            counts["agency"][a] += 1
    return {
        k: [{"name": n, "count": c} for n, c in sorted(v.items(), key=lambda t: (-t[1], t[0]))]
        for k, v in counts.items()
    }


def _suggest(entries: Mapping[str, Entry], previous: View | None) -> SuggestIndex:
    names = ((e.code, e.name, e.popularity) for e in entries.values())
    return SuggestIndex.build(names, previous.suggest if previous else None)


def view_from_seed(path: Path, seed: str) -> tuple[View, list[Procedure]]:
    """The catalogue that is exactly the seed file (and its procedures, to be written)."""
    with no_gc():
        procs = read_seed(path)
        return build_view(map(item_of, procs), revision=SEED_REVISION, seed=seed), procs


def view_from_snapshot(blob: bytes, previous: View | None = None) -> View:
    """The catalogue a snapshot holds (``CorruptSnapshot`` when it is not a whole one)."""
    with no_gc():
        revision, seed, items = decode(blob)
        return build_view(items, revision=revision, seed=seed, previous=previous)


def read_seed(path: Path) -> list[Procedure]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [Procedure.model_validate(json.loads(line)) for line in f if line.strip()]


def seed_id(path: Path) -> str:
    """The seed file's sha256: the seed marker records which seed a load writes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the snapshot ------------------------------------------------------------------------------------
# MAGIC, then the length of the header and the header (zlib-compressed JSON: revision, seed, and one
# row a procedure: code, version, status, length of its detail, summary, name words, other words), then
# the details one after the other (each already compressed, as the replica keeps it).


class CorruptSnapshot(ValueError):
    pass


def encode(view: View) -> bytes:
    rows = [
        [i.code, i.version, i.status, len(i.detail), i.summary, i.name_words, i.extra_words]
        for i in view.items.values()
    ]
    head = zlib.compress(orjson.dumps({"revision": view.revision, "seed": view.seed, "rows": rows}), 6)
    return b"".join([MAGIC, struct.pack(">I", len(head)), head, *(i.detail for i in view.items.values())])


def decode(blob: bytes) -> tuple[int, str, list[Item]]:
    """(revision, seed, items) of a snapshot; ``CorruptSnapshot`` when the bytes are not one."""
    try:
        if not blob.startswith(MAGIC):
            raise CorruptSnapshot("not a catalogue snapshot")
        at = len(MAGIC)
        (n,) = struct.unpack_from(">I", blob, at)
        at += 4
        head = orjson.loads(zlib.decompress(blob[at : at + n]))
        at += n
        items = []
        for code, version, status, size, summary, name_words, extra_words in head["rows"]:
            detail = blob[at : at + size]
            if len(detail) != size:
                raise CorruptSnapshot("truncated")
            at += size
            items.append(Item(code, version, status, detail, summary, name_words, extra_words))
        if at != len(blob):
            raise CorruptSnapshot("trailing bytes")
        return int(head["revision"]), str(head["seed"]), items
    except CorruptSnapshot:
        raise
    except (ValueError, KeyError, TypeError, struct.error, zlib.error) as e:
        raise CorruptSnapshot(repr(e)[:200]) from e


def changed(base: Mapping[str, Item], current: Iterable[tuple[str, int]]) -> list[str]:
    """The codes of ``current`` (code, version) that ``base`` does not hold at that version."""
    return [code for code, version in current if (b := base.get(code)) is None or b.version != version]


CODE_VERSION = _code_version()
