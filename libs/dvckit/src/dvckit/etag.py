"""ETag / If-None-Match for the reads apps poll (issue 23): a dossier, my dossiers, notifications and
their unread count, a payment order, ``/auth/me``.

The route declares ``cond: Conditional`` and returns ``cond.answer(body)``: the answer carries a weak
ETag over its JSON (``W/"<base64url of sha256>"``), ``Cache-Control: private, no-cache`` (a client
keeps it and asks again every time; no shared cache keeps it) and ``Vary: Authorization,
Accept-Language``. A request whose ``If-None-Match`` names that ETag (or ``*``) gets ``304 Not
Modified`` without a body: an app polling a dossier every few seconds downloads it only when it changed.
The tag is over the answer as the caller would receive it (their language, their view), so it changes
exactly when what they see changes.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from .jsonutil import dumps

ETAG_MARK = "__dvc_etag__"  # read by dvckit.apidoc: a route with this dependency documents 304
CACHE_CONTROL = "private, no-cache"
VARY = "Authorization, Accept-Language"


def weak_etag(body: Any) -> str:
    digest = hashlib.sha256(dumps(body)).digest()[:16]
    return 'W/"' + base64.urlsafe_b64encode(digest).rstrip(b"=").decode() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against each listed tag, or ``*``."""
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


class Conditional:
    """The dependency of a polled read: ``return cond.answer(body)``."""

    def __init__(self, request: Request, response: Response) -> None:
        self.request = request
        self.response = response

    def answer(self, body: Any) -> Any:
        tag = weak_etag(body)
        headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
        if matches(self.request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
        self.response.headers.update(headers)
        return body


setattr(Conditional, ETAG_MARK, True)

Conditioned = Annotated[Conditional, Depends()]
