"""The streamed multipart reader refuses a form over its limits at the first part past them and reads
nothing more: a body of hundreds of thousands of tiny fields must cost a few fields' work, not a parse
of the whole body (security review, issue 12)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from dvckit import formstream
from dvckit.errors import Problem

BOUNDARY = "dvcformstreamtest"
CHUNK = 64 * 1024  # what a server hands the app at a time


def field(name: str, value: bytes) -> bytes:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"


def file(name: str, filename: str, data: bytes) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
    return head.encode() + b"Content-Type: application/pdf\r\n\r\n" + data + b"\r\n"


END = f"--{BOUNDARY}--\r\n".encode()


class Body:
    """An ASGI request whose body arrives in chunks; counts what the app read of it."""

    def __init__(self, body: bytes, *, length: bool = True) -> None:
        self.chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)] or [b""]
        self.read = 0
        headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
        if length:
            headers.append((b"content-length", str(len(body)).encode()))
        self.request = Request({"type": "http", "method": "POST", "headers": headers}, self.receive)

    async def receive(self) -> dict[str, Any]:
        chunk = self.chunks[self.read]
        self.read += 1
        return {"type": "http.request", "body": chunk, "more_body": self.read < len(self.chunks)}


async def drain(body: Body, **limits: Any) -> list[formstream.Event]:
    return [e async for e in formstream.events(body.request, **limits)]


async def test_a_form_within_its_limits_reads_through():
    body = Body(field("note", b"xin chao") + file("file", "kq.pdf", b"%PDF-1.4 abc") + END)
    got = await drain(body, max_fields=1, max_files=1, max_body=1000)
    assert [type(e).__name__ for e in got] == ["Field", "FileStart", "FileData", "FileEnd"]
    assert got[0] == formstream.Field("note", "xin chao")


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "chunked"])
async def test_hundreds_of_thousands_of_fields_are_refused_at_the_first_one_too_many(length):
    many = b"".join(field(f"f{i}", b"x") for i in range(100_000)) + END  # about 8 MB
    body = Body(many, length=length)
    with pytest.raises(Problem) as e:
        await drain(body, max_fields=8)
    assert e.value.status == 413 and e.value.code == "too-many-parts" and e.value.extra["limit"] == 8
    assert body.read == 1  # the first chunk held the ninth field: nothing more was read
    assert len(body.chunks) > 100


async def test_more_files_than_allowed_are_refused():
    body = Body(file("file", "a.pdf", b"%PDF-1") + file("file", "b.pdf", b"%PDF-2") + END)
    with pytest.raises(Problem) as e:
        await drain(body, max_files=1)
    assert e.value.status == 413 and e.value.code == "too-many-parts"


async def test_a_long_field_is_refused():
    body = Body(field("note", b"x" * 5000) + END)
    with pytest.raises(Problem) as e:
        await drain(body, max_field_bytes=4096)
    assert e.value.status == 413 and e.value.code == "field-too-large"


async def test_a_body_over_max_body_is_refused_before_it_is_read():
    big = field("note", b"x") + file("file", "a.pdf", b"%PDF" + b"x" * (1 << 20)) + END
    declared = Body(big)
    with pytest.raises(Problem) as e:
        await drain(declared, max_body=100_000)
    assert e.value.status == 413 and e.value.extra["limit_bytes"] == 100_000
    assert declared.read == 0  # Content-Length said enough
    chunked = Body(big, length=False)
    with pytest.raises(Problem) as e:
        await drain(chunked, max_body=100_000)
    assert e.value.status == 413
    assert chunked.read <= 100_000 // CHUNK + 1  # stopped as soon as it passed the limit


async def test_nothing_after_the_closing_boundary_is_read():
    epilogue = b"\r\n" + b"y" * (4 * CHUNK)
    body = Body(field("note", b"ok") + END + epilogue, length=False)
    got = await drain(body)
    assert got == [formstream.Field("note", "ok")]
    assert body.read == 1 and len(body.chunks) == 5
