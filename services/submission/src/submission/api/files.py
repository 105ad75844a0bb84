"""Files sent to a client: a private download of a dossier's file, under its own name and type."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse

from dvckit.httputil import file_response

from ..domain.model import Attachment


def stream(att: Attachment, chunks: AsyncIterator[bytes]) -> StreamingResponse:
    return file_response(chunks, media_type=att.content_type, size=att.size, filename=att.name)
