"""multipart/form-data read as a stream (python-multipart's push parser), so an upload of any size
passes through in small chunks: the caller handles each file chunk (and may stop early, at a limit)
before the next one is read from the network.

Events, in request order: ``Field(name, value)``, ``FileStart(name, filename, content_type)``,
``FileData(bytes)``, ``FileEnd()``.

Every form is bounded before it can cost much: the body's size (refused from its Content-Length before
a byte is read, or as soon as a chunked body grows past it), the number of parts, of text fields and of
files, and each text field's size. A body of 450,000 tiny fields is refused at the first field over
the limit, not parsed to its end: parsing each part costs Python work on the event loop, so an
unbounded count lets one client slow every other request of the replica. The parser itself bounds each
part's headers (python-multipart: 8 headers of at most 4 KB).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from .errors import Problem, Text


@dataclass
class Field:
    name: str
    value: str


@dataclass
class FileStart:
    name: str
    filename: str | None
    content_type: str | None


@dataclass
class FileData:
    data: bytes


@dataclass
class FileEnd:
    pass


Event = Field | FileStart | FileData | FileEnd

NOT_MULTIPART = Problem(
    415, "multipart-required", Text("Cần gửi dữ liệu dạng multipart/form-data", "Send multipart/form-data")
)
BAD_FORM = Problem(
    400, "bad-multipart", Text("Dữ liệu gửi lên không đúng định dạng", "Malformed multipart body")
)
FIELD_TOO_LARGE = Problem(413, "field-too-large", Text("Trường dữ liệu quá dài", "A form field is too long"))


def _too_many(what_vi: str, what_en: str, limit: int) -> Problem:
    return Problem(
        413,
        "too-many-parts",
        Text(f"Biểu mẫu có quá nhiều {what_vi}", f"The form has too many {what_en}"),
        extra={"limit": limit},
    )


def body_too_large(limit: int) -> Problem:
    return Problem(
        413,
        "payload-too-large",
        Text("Dữ liệu gửi lên quá lớn", "The request body is too large"),
        extra={"limit_bytes": limit},
    )


def declared_length(request: Request) -> int | None:
    """The body's Content-Length, or None when it is not given (chunked) or not a number."""
    raw = request.headers.get("content-length", "")
    return int(raw) if raw.isdigit() else None


def _filename(params: dict[bytes, bytes]) -> str | None:
    star = params.get(b"filename*")
    if star:  # RFC 5987: UTF-8''percent-encoded
        charset, _, rest = star.decode("latin-1").partition("''")
        return unquote(rest, encoding=charset or "utf-8", errors="strict")
    raw = params.get(b"filename")
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")  # browsers send the name as UTF-8 bytes
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Parts:
    """The multipart parser's callbacks: each part's headers say what it is (counted against the limits
    before any of its data is read), then its data becomes events in ``out``."""

    def __init__(self, max_fields: int, max_files: int, max_field_bytes: int) -> None:
        self.max_fields, self.max_files, self.max_field_bytes = max_fields, max_files, max_field_bytes
        self.out: deque[Event] = deque()
        self.counts = {"fields": 0, "files": 0}
        self.ended = False
        self.on_part_begin()

    def callbacks(self) -> dict[str, Any]:
        names = ("part_begin", "header_field", "header_value", "header_end", "headers_finished")
        return {f"on_{n}": getattr(self, f"on_{n}") for n in (*names, "part_data", "part_end", "end")}

    def on_part_begin(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.field = self.value = b""
        self.name = ""
        self.file = False
        self.buf = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[bytes(self.field).lower()] = bytes(self.value)
        self.field = self.value = b""

    def on_headers_finished(self) -> None:
        disposition = self.headers.get(b"content-disposition", b"")
        _disp, p = parse_options_header(disposition)
        if b"\\" in disposition and b"filename" in p:
            # The parser quietly keeps only the last part of a Windows path; callers must see the path.
            raw = re.search(rb'filename="((?:[^"\\]|\\.)*)"', disposition)
            if raw:
                p[b"filename"] = raw.group(1)
        self.name = p.get(b"name", b"").decode("utf-8", "replace")
        kind = "files" if b"filename" in p or b"filename*" in p else "fields"
        self.counts[kind] += 1
        if kind == "files" and self.counts["files"] > self.max_files:
            raise _too_many("tệp", "files", self.max_files)
        if kind == "fields" and self.counts["fields"] > self.max_fields:
            raise _too_many("trường dữ liệu", "fields", self.max_fields)
        if kind == "files":
            self.file = True
            ctype = self.headers.get(b"content-type")
            self.out.append(FileStart(self.name, _filename(p), ctype.decode("latin-1") if ctype else None))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file:
            self.out.append(FileData(bytes(data[start:end])))
            return
        self.buf += data[start:end]
        if len(self.buf) > self.max_field_bytes:
            raise FIELD_TOO_LARGE

    def on_part_end(self) -> None:
        if self.file:
            self.out.append(FileEnd())
        else:
            self.out.append(Field(self.name, self.buf.decode("utf-8", "replace")))

    def on_end(self) -> None:
        self.ended = True


async def events(
    request: Request,
    *,
    max_body: int | None = None,
    max_fields: int = 8,
    max_files: int = 1,
    max_field_bytes: int = 4096,
) -> AsyncIterator[Event]:
    """The form's events. ``max_body`` bounds the whole body (None: the caller bounds the file data
    it consumes); ``max_fields`` the text fields, ``max_files`` the file parts, ``max_field_bytes``
    each text field. Over a limit: 413 problem+json, and nothing more is read."""
    mime, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise NOT_MULTIPART
    declared = declared_length(request)
    if max_body is not None and declared is not None and declared > max_body:
        raise body_too_large(max_body)
    parts = _Parts(max_fields, max_files, max_field_bytes)
    parser = MultipartParser(boundary, parts.callbacks())
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if max_body is not None and seen > max_body:
                raise body_too_large(max_body)
            parser.write(chunk)
            while parts.out:
                yield parts.out.popleft()
            if parts.ended:
                break  # the closing boundary: whatever follows is an epilogue nobody reads
        parser.finalize()
    except MultipartParseError:
        raise BAD_FORM from None
    while parts.out:
        yield parts.out.popleft()
