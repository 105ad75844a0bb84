"""Small HTTP pieces the services' APIs share: files streamed to a client, and If-Match versions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from .errors import Problem, Text

# An entity tag, quoted or (as some clients send it) bare, ending in the version's digits.
_VERSION = re.compile(r'^(?:W/)?(?:"[^"]*?(\d+)"|[^"\s]*?(\d+))$')


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the Vietnamese name (RFC 6266 / 5987)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(
    chunks: AsyncIterator[bytes], *, media_type: str, size: int, filename: str
) -> StreamingResponse:
    """A private download: never cached, its type as given (not sniffed), saved under ``filename``."""
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": content_disposition(filename),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def if_match_version(value: str | None) -> int | None:
    """The version an ``If-Match`` names, the number its entity tag ends with (``"7"``, ``W/"7"``,
    ``"1.004194-v3"`` → 3); None when there is none. Anything else is a 400."""
    if not value or not value.strip():
        return None
    m = _VERSION.match(value.strip())
    if not m:
        raise Problem(400, "bad-if-match", Text("If-Match không hợp lệ", "Malformed If-Match"))
    return int(m.group(1) or m.group(2))
