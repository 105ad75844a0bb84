"""Cursor pagination, written once for every list of every service (issue 23, "the contract for apps").

A list answers ``items`` and ``next_cursor`` (``null`` on the last page) and, when there is a next page,
an RFC 8288 ``Link: <…?cursor=…>; rel="next"`` header. A client walks a list by sending ``?cursor=`` back
(with ``limit=`` for the page size) until ``next_cursor`` is null; it sees every item once.
``page``/``size``/``total`` keep working beside it (the portal numbers its pages): the cursor is additive.

The cursor is opaque base64url. Inside: where the next page starts, either

- a **keyset** (the sort values of the last item given, its ``_id`` last) where the list is a MongoDB
  query in a total order (``dvckit.mongo.window_find``): items added or removed meanwhile move no item
  to another page; or
- an **offset** where the list is ranked in memory (catalogue search) or its order has keys that may be
  missing (a keyset cannot resume after a null): the next page starts after that many items.

The cursor also carries a check tag over its content and over the list it was made for (the path and
its filters, the query parameters other than ``cursor``/``limit``/``page``/``size``): a cursor that is not
one of ours, was altered, or is sent to another list or with other filters is a 400 problem
``bad-cursor`` that changes nothing. The tag is a checksum, not a secret: a cursor only says where to
resume, the list's own filter (the caller's dossiers, notifications…) still decides what is seen, so a
forged cursor shows nothing more than the list shows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field

from .errors import Problem, Text

PAGING_MARK = "__dvc_paging__"  # read by dvckit.apidoc: a route with this dependency documents 400
MAX_CURSOR = 2048
_TAG = b"dvc-cursor-v1"
_SKIP = frozenset({"cursor", "limit", "page", "size"})

BAD_CURSOR = Problem(
    400,
    "bad-cursor",
    Text("Con trỏ phân trang không hợp lệ", "Invalid pagination cursor"),
    Text(
        "Con trỏ không hợp lệ hoặc không dành cho danh sách và bộ lọc này; hãy tải lại từ trang đầu",
        "The cursor is invalid or was made for another list or other filters; start again from the first "
        "page",
    ),
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(scope: str, payload: bytes) -> bytes:
    return hmac.new(_TAG, scope.encode() + b"\0" + payload, hashlib.sha256).digest()[:12]


def encode(scope: str, offset: int, key: list[Any] | None = None) -> str:
    """A cursor for the list ``scope``: ``offset`` items came before the next page; ``key`` (keyset
    lists) the sort values of the last of them, JSON-safe (``dvckit.mongo`` tags dates and ids)."""
    body: dict[str, Any] = {"o": offset}
    if key is not None:
        body["k"] = key
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_tag(scope, payload))}"


def decode(scope: str, cursor: str) -> tuple[int, list[Any] | None]:
    """(offset, key) of a cursor made for ``scope``; anything else raises BAD_CURSOR."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        head, _, tag = cursor.partition(".")
        payload = _unb64(head)
        if not hmac.compare_digest(_unb64(tag), _tag(scope, payload)):
            raise ValueError("tag")
        body = json.loads(payload)
        offset, key = body["o"], body.get("k")
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= 10**9:
            raise ValueError("offset")
        if key is not None and (not isinstance(key, list) or not key):
            raise ValueError("key")
        return offset, key
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BAD_CURSOR from exc


@dataclass
class Window:
    """Which page to answer: ``size`` items after ``skip`` of them, or (keyset) after ``after``. The
    adapter that reads the page records what it found (``more``, and ``last`` for a keyset)."""

    size: int
    skip: int = 0
    after: list[Any] | None = None
    by_cursor: bool = False
    scope: str = ""
    more: bool | None = None  # set by the reader: another page follows
    last: list[Any] | None = field(default=None)  # set by a keyset reader: the last item's sort values

    @property
    def page(self) -> int:
        return self.skip // self.size + 1

    def slice(self, items: list[Any]) -> list[Any]:
        """This window of a list ranked in memory (offset cursors)."""
        self.more = len(items) > self.skip + self.size
        return items[self.skip : self.skip + self.size]

    def found(self, count: int, total: int | None = None) -> None:
        """An offset reader's record: ``count`` items given, of ``total`` in all (when known)."""
        if self.more is None and total is not None:
            self.more = self.skip + count < total

    def next_cursor(self, count: int) -> str | None:
        if not self.more or count == 0:
            return None
        return encode(self.scope, self.skip + count, self.last)


class Cursored(BaseModel):
    """The base of a list's answer model: ``next_cursor`` beside its ``items``."""

    next_cursor: str | None = Field(
        default=None,
        description="Con trỏ trang sau, null ở trang cuối / the next page's cursor, null on the last page",
    )


CursorParam = Annotated[
    str | None,
    Query(
        description="Con trỏ trang sau (`next_cursor` của trang trước) / the next page's cursor, as the "
        "previous page's `next_cursor` gave it",
    ),
]
LimitParam = Annotated[
    int | None,
    Query(ge=1, le=200, description="Số mục một trang (thay cho `size`) / items a page (instead of `size`)"),
]


def list_scope(request: Request) -> str:
    """The list a cursor belongs to: the path and its filters (every query parameter but the paging)."""
    pairs = sorted((k, v) for k, v in request.query_params.multi_items() if k not in _SKIP)
    return f"{request.url.path}?{urlencode(pairs)}"


class Paging:
    """The dependency a list route declares (``paging: Paging = Depends()`` or ``Paged``): reads
    ``cursor`` and ``limit``, gives a ``Window``, and at the end writes ``next_cursor`` and ``Link``."""

    def __init__(
        self, request: Request, response: Response, cursor: CursorParam = None, limit: LimitParam = None
    ) -> None:
        self.request = request
        self.response = response
        self.cursor = cursor
        self.limit = limit

    def window(self, *, page: int = 1, size: int, max_size: int | None = None) -> Window:
        """The page asked: by cursor (and ``limit``) when there is one, else by ``page`` and ``size``."""
        size = self.limit or size
        if max_size is not None:
            size = min(size, max_size)
        scope = list_scope(self.request)
        if self.cursor is not None:
            skip, after = decode(scope, self.cursor)
            return Window(size=size, skip=skip, after=after, by_cursor=True, scope=scope)
        return Window(size=size, skip=(page - 1) * size, scope=scope)

    def whole(self, items: list[Any], *, size: int = 100, **extra: Any) -> dict[str, Any]:
        """A list built whole in memory (an offset cursor over it): without ``limit`` a page holds every
        item (as the list did before cursors), with ``limit`` that many."""
        w = self.window(size=size if self.limit else max(len(items), 1))
        return self.finish(w, {"items": w.slice(items), **extra})

    def array(self, items: list[Any]) -> tuple[list[Any], str | None]:
        """A list answered as a bare JSON array (reference data that keeps that shape): every item
        without ``cursor``/``limit``; with them, a page, and the next one named only by the ``Link``
        header (returned, for the route to set: such routes answer a ``Response`` of their own)."""
        w = self.window(size=self.limit or max(len(items), 1))
        page = w.slice(items)
        nxt = w.next_cursor(len(page))
        return page, (self.link(w, nxt) if nxt is not None else None)

    def finish(self, window: Window, body: dict[str, Any]) -> dict[str, Any]:
        """Add ``next_cursor`` to the answer and ``Link: rel="next"`` when there is a next page; for a
        page asked by cursor, ``page`` is where it falls."""
        nxt = window.next_cursor(len(body.get("items") or ()))
        body["next_cursor"] = nxt
        if window.by_cursor and "page" in body:
            body["page"] = window.page
        if "size" in body:
            body["size"] = window.size
        if nxt is not None:
            self.response.headers["Link"] = self.link(window, nxt)
        return body

    def link(self, window: Window, nxt: str) -> str:
        """The RFC 8288 ``Link`` header value to the next page: this list, its filters, the cursor."""
        keep = [(k, v) for k, v in self.request.query_params.multi_items() if k not in _SKIP]
        keep += [("cursor", nxt), ("limit", str(window.size))]
        return f'<{self.request.url.path}?{urlencode(keep)}>; rel="next"'


setattr(Paging, PAGING_MARK, True)

Paged = Annotated[Paging, Depends()]
