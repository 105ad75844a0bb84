"""``GET /suggest?q=``: procedure names as the search box is typed in (``domain/suggest.py``).

Public and cacheable like the other catalogue reads (ETag of the catalogue's revision and the query,
``Cache-Control: public``). Fewer than 2 letters or digits is not an error, only too little to go on: the
answer is an empty list (a search box asks at every key, and the first key should not log a 422). Each
name comes with ``name_en``, the English name the search gives too (``Catalog.english_name``), or null."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from dvckit.jsonutil import dumps

from ..domain.suggest import LIMIT, MAX_LIMIT
from ..parts import Parts
from .routes import NOT_MODIFIED, PUBLIC_CACHE

router = APIRouter()


class SuggestionOut(BaseModel):
    code: str = Field(description="Mã thủ tục / procedure code")
    name: str = Field(description="Tên thủ tục / the procedure's name (Vietnamese)")
    name_en: str | None = Field(
        None,
        description="The name in English: curated for the most-used procedures, else a gloss built from the "
        "search glossary when it can build one (the Vietnamese name is authoritative)",
    )


class SuggestionList(BaseModel):
    """The names suggested as one types: the first ``limit`` of a ranking, not a list to page through."""

    items: list[SuggestionOut]


@router.get(
    "/suggest",
    responses=NOT_MODIFIED,
    response_model=SuggestionList,
    tags=["catalogue"],
    summary="Gợi ý tên thủ tục khi gõ / procedure names suggested as you type",
    description=(
        "Tên thủ tục có một từ bắt đầu bằng từ cuối đang gõ và chứa nguyên các từ trước, có dấu hoặc "
        "không dấu; xếp theo mức độ phổ biến và vị trí khớp; sau đó, với từ viết tắt, từ mượn, cách gọi "
        "thông thường hay tiếng Anh (GPLX, passport, bằng lái), các tên gọi theo cách của danh mục. Dưới "
        "2 chữ hoặc số: danh sách rỗng. / "
        "Names with a word starting with the last word typed and holding the earlier words whole, with "
        "or without diacritics; ranked by popularity and how early they match; then, for a term people "
        "type (GPLX, passport, bằng lái, driving licence), the names that say it in the catalogue's "
        "words. Fewer than 2 letters or digits: an empty list."
    ),
)
async def suggest(
    request: Request,
    parts: Parts,
    q: Annotated[str, Query(max_length=100, description="Phần đã gõ / what has been typed")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = LIMIT,
) -> Response:
    c = parts.catalog
    view, glossary = c.view, c.terms.current
    key = hashlib.sha1(f"{limit}:{q}".encode(), usedforsecurity=False).hexdigest()[:16]
    etag = f'W/"sg-{view.revision}.{c.terms.revision}-{key}"'  # the catalogue's and the glossary's
    headers = {"ETag": etag, "Cache-Control": PUBLIC_CACHE, "Vary": "Accept-Language"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    found = view.suggest.suggest(q, limit)
    if len(found) < limit:  # "gplx", "passport", "bằng lái": the names say it in other words
        seen = {s.code for s in found}
        for text in glossary.expansions(q):
            more = [s for s in view.suggest.suggest(text, limit) if s.code not in seen]
            seen.update(s.code for s in more)
            found += more
        found = found[:limit]
    items = []
    for s in found:
        entry = view.entries.get(s.code)
        gloss = c.english_name(entry, glossary) if entry is not None else None
        items.append({"code": s.code, "name": s.name, "name_en": gloss})
    return Response(dumps({"items": items}), media_type="application/json", headers=headers)
