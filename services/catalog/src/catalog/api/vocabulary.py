"""The search vocabulary's routes (under /api/v1/catalog): everyone may read it (it is what search
understands), administrators change it like the agency directory: If-Match with the ETag read, a new
version each change, the replaced one kept, ``vocabulary.changed.v1`` published."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from dvckit.apidoc import problems
from dvckit.errors import Problem, Text
from dvckit.httputil import if_match_version
from dvckit.jsonutil import dumps

from ..domain.vocabulary import ID_PATTERN, Kind, Term
from ..parts import Parts
from ..service.vocabulary import public
from .routes import NOT_MODIFIED, Admin, cached

router = APIRouter()
TermId = Annotated[str, Path(pattern=ID_PATTERN, max_length=80, description="e.g. eve-so-hong")]
IfMatch = Annotated[
    str | None, Header(description='ETag of the version being changed, e.g. "eve-so-hong-v2"')
]
NO_TERM = problems((404, "Không có mục từ này / no such vocabulary entry"))
TERM_CHANGE = problems(
    (400, "If-Match không hợp lệ / malformed If-Match"),
    (404, "Không có mục từ này / no such vocabulary entry"),
    (412, "Mục từ đã được người khác sửa / changed since it was read"),
    (422, "Mục từ không hợp lệ / invalid entry"),
)
CACHE = "public, max-age=60"


class TermOut(Term):
    """An entry of the search vocabulary."""


class TermIn(BaseModel):
    """An entry as an administrator writes it (its id is the path's; the version is the server's)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, description="If given, must equal the path's id")
    kind: Kind
    terms: list[str] = Field(min_length=1, max_length=30, description="what people type")
    means: list[str] = Field(min_length=1, max_length=10, description="the catalogue's words for it")
    weight: float = Field(0.85, ge=0.05, le=1.0, description="an expansion's worth beside a typed word")
    note: str = Field("", max_length=500, description="its source or reason")


class VocabularyPage(BaseModel):
    revision: int
    entries: list[TermOut]


def _term(t: Term, status: int = 200) -> Response:
    return Response(
        dumps(public(t)),
        status_code=status,
        media_type="application/json",
        headers={"ETag": f'"{t.id}-v{t.version}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/vocabulary",
    responses=NOT_MODIFIED,
    response_model=VocabularyPage,
    tags=["vocabulary"],
    summary="Từ điển tìm kiếm (tên thường gọi, viết tắt, tiếng Anh) / the search vocabulary",
)
async def vocabulary(
    request: Request,
    parts: Parts,
    kind: Kind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Từ cần tìm, có dấu hoặc không dấu")] = None,
) -> Response:
    terms = parts.catalog.terms
    body = dumps({"revision": terms.revision, "entries": terms.list(kind=kind, q=q)})
    etag = f'W/"voc-{hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20]}"'
    return cached(request, body, etag, CACHE, vary=None)


@router.get(
    "/vocabulary/{term_id}",
    responses=NO_TERM,
    response_model=TermOut,
    tags=["vocabulary"],
    summary="Một mục từ / one vocabulary entry",
)
async def term(term_id: TermId, parts: Parts) -> Response:
    return _term(await parts.catalog.terms.get(term_id))


@router.put(
    "/vocabulary/{term_id}",
    status_code=200,
    responses={**TERM_CHANGE, 201: {"model": TermOut, "description": "Đã tạo / created"}},
    response_model=TermOut,
    tags=["administration"],
    summary="Thêm hoặc sửa mục từ tìm kiếm / create or change a vocabulary entry",
)
async def put_term(
    term_id: TermId, body: TermIn, who: Admin, parts: Parts, if_match: IfMatch = None
) -> Response:
    if body.id is not None and body.id != term_id:
        raise Problem(422, "id-mismatch", Text("Mã mục từ không khớp", "The id in the body differs"))
    fields = body.model_dump(exclude={"id"})
    t, created = await parts.catalog.terms.put(term_id, fields, if_match_version(if_match), who)
    return _term(t, 201 if created else 200)


@router.delete(
    "/vocabulary/{term_id}",
    responses=TERM_CHANGE,
    response_model=TermOut,
    tags=["administration"],
    summary="Xóa mục từ tìm kiếm / delete a vocabulary entry",
)
async def delete_term(term_id: TermId, who: Admin, parts: Parts, if_match: IfMatch = None) -> Response:
    return _term(await parts.catalog.terms.delete(term_id, if_match_version(if_match), who))
