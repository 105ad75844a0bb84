"""multipart/form-data read as a stream (python-multipart's push parser), so an upload of any size
passes through in small chunks: the caller handles each file chunk (and may stop early, at a limit)
before the next one is read from the network.

Events, in request order: ``Field(name, value)``, ``FileStart(name, filename, content_type)``,
``FileData(bytes)``, ``FileEnd()``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
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


async def events(request: Request, *, max_field_bytes: int = 4096) -> AsyncIterator[Event]:
    mime, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise NOT_MULTIPART
    out: deque[Event] = deque()
    state: dict[str, object] = {}

    def on_part_begin() -> None:
        state.clear()
        state["headers"] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] = state.get("field", b"") + data[start:end]  # type: ignore[operator]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] = state.get("value", b"") + data[start:end]  # type: ignore[operator]

    def on_header_end() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        headers[bytes(state.pop("field", b"")).lower()] = bytes(state.pop("value", b""))  # type: ignore[arg-type]

    def on_headers_finished() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        disposition = headers.get(b"content-disposition", b"")
        _disp, p = parse_options_header(disposition)
        if b"\\" in disposition and b"filename" in p:
            # The parser quietly keeps only the last part of a Windows path; callers must see the path.
            raw = re.search(rb'filename="((?:[^"\\]|\\.)*)"', disposition)
            if raw:
                p[b"filename"] = raw.group(1)
        name = p.get(b"name", b"").decode("utf-8", "replace")
        state["name"] = name
        if b"filename" in p or b"filename*" in p:
            state["file"] = True
            ctype = headers.get(b"content-type")
            out.append(FileStart(name, _filename(p), ctype.decode("latin-1") if ctype else None))
        else:
            state["buf"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.get("file"):
            out.append(FileData(bytes(data[start:end])))
            return
        buf = state["buf"]
        assert isinstance(buf, bytearray)
        buf += data[start:end]
        if len(buf) > max_field_bytes:
            raise Problem(413, "field-too-large", Text("Trường dữ liệu quá dài", "A form field is too long"))

    def on_part_end() -> None:
        if state.get("file"):
            out.append(FileEnd())
        else:
            buf = state.get("buf", bytearray())
            assert isinstance(buf, bytearray)
            out.append(Field(str(state["name"]), buf.decode("utf-8", "replace")))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            while out:
                yield out.popleft()
        parser.finalize()
    except MultipartParseError:
        raise BAD_FORM from None
    while out:
        yield out.popleft()
