"""HTTP routes of the catalog service (mounted under /api/v1/catalog). Public reads need no login and
are cacheable: every answer carries an ETag (from the catalogue's revision or the procedure's version)
and Cache-Control; a matching If-None-Match gets 304."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dvckit.apidoc import problems
from dvckit.auth import Principal, require
from dvckit.errors import Problem, Text
from dvckit.httputil import if_match_version
from dvckit.jsonutil import dumps
from dvckit.paging import Cursored, Paged

from ..domain.agencies import CODE_PATTERN as AGENCY_CODE
from ..domain.agencies import Agency, AgencyLevel
from ..domain.agencies import Kind as AgencyKind
from ..domain.model import Code, OnlineLevel, Procedure
from ..domain.routing import Routing
from ..parts import Parts
from ..service.agencies import public as public_agency
from ..service.catalog import public_detail

router = APIRouter()
T = TypeVar("T")
Admin = Annotated[Principal, Depends(require("admin"))]
PUBLIC_CACHE = "public, max-age=60, stale-while-revalidate=300"
NOT_MODIFIED = {304: {"description": "Không đổi (If-None-Match) / not modified"}}
NO_PROCEDURE = problems((404, "Không có thủ tục này / no such procedure"))
# An administrator's change: If-Match (the ETag read) guards against overwriting someone else's.
LOADING = (503, "Danh mục đang được nạp lần đầu / the catalogue's first load is still being written")
CHANGE = problems(
    (400, "If-Match không hợp lệ / malformed If-Match"),
    (404, "Không có thủ tục này / no such procedure"),
    (412, "Thủ tục đã được người khác sửa / changed since it was read"),
    LOADING,
)


def cached(
    request: Request, body: Any, etag: str, max_age: str = PUBLIC_CACHE, vary: str | None = "Accept-Language"
) -> Response:
    """``body`` (JSON, or bytes already JSON) with its ETag; 304 when the client has it. ``vary``: None
    for an answer that is the same in every language."""
    headers = {"ETag": etag, "Cache-Control": max_age}
    if vary:
        headers["Vary"] = vary
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    content = body if isinstance(body, bytes) else dumps(body)
    return Response(content, media_type="application/json", headers=headers)


class ProcedureItem(BaseModel):
    code: str
    name: str
    field: str
    agency: str | None
    agencies: list[str]
    level: str | None
    levels: list[str]
    online_level: OnlineLevel
    fileable: bool
    processing_time: str | None
    working_days: int | None
    fee_summary: str | None
    popularity: int
    version: int
    highlight: dict[str, str] | None = None
    score: float | None = None
    name_en: str | None = Field(
        None,
        description="The name in English: curated for the most-used procedures, else a gloss built from the "
        "search glossary when it can build one (the Vietnamese name is authoritative)",
    )


class SuggestedProcedure(BaseModel):
    code: str
    name: str


class SearchSuggestions(BaseModel):
    """For a search that found nothing: the query spelt with the catalogue's own words, and the popular
    procedures it (or, failing that, the catalogue) offers."""

    queries: list[str]
    procedures: list[SuggestedProcedure]


class ProcedurePage(Cursored):
    items: list[ProcedureItem]
    total: int
    page: int
    size: int
    matched: Literal["all", "partial", "none"] | None = Field(
        None,
        description="With q: every word matched (all), only some because every word found too little "
        "(partial), or nothing (none)",
    )
    suggestions: SearchSuggestions | None = Field(
        None, description="With q and no result: what to try instead"
    )


class Facet(BaseModel):
    name: str
    count: int


class ProcedureDetail(Procedure):
    agency: str | None
    level: str | None
    fileable: bool
    working_days: int | None
    fee_summary: str | None
    routing: Routing


OnlineFilter = Literal["true", "false", "full", "partial", "none"]


def _online(value: OnlineFilter | None) -> list[str] | None:
    return {
        None: None,
        "true": ["full", "partial"],
        "false": ["none"],
        "full": ["full"],
        "partial": ["partial"],
        "none": ["none"],
    }[value]


@router.get(
    "/procedures",
    responses=NOT_MODIFIED,
    response_model=ProcedurePage,
    tags=["catalogue"],
    summary="Tìm thủ tục hành chính / search procedures",
)
async def search(
    request: Request,
    parts: Parts,
    paging: Paged,
    q: Annotated[str | None, Query(max_length=200, description="Từ khóa, có dấu hoặc không dấu")] = None,
    field: Annotated[str | None, Query(max_length=200)] = None,
    agency: Annotated[str | None, Query(max_length=300)] = None,
    level: Literal["central", "city", "commune"] | None = None,
    online: OnlineFilter | None = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    c = parts.catalog
    w = paging.window(page=page, size=size, max_size=100)  # ranked in memory: an offset cursor
    params = (q.strip() if q else None, field, agency, level, online, w.skip, w.size)
    digest = hashlib.sha1(repr(params).encode(), usedforsecurity=False).hexdigest()[:16]
    etag = f'W/"{c.revision}.{c.terms.revision}-{digest}"'  # the catalogue's and the vocabulary's
    headers = {"ETag": etag, "Cache-Control": PUBLIC_CACHE, "Vary": "Accept-Language"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body, total = c.search_json(
        params,
        q=q,
        field=field,
        agency=agency,
        level=level,
        online=_online(online),
        page=w.page,
        size=w.size,
        offset=w.skip,
    )
    count = min(w.size, max(0, total - w.skip))
    w.found(count, total)
    nxt = w.next_cursor(count)
    if nxt is not None:
        headers["Link"] = paging.link(w, nxt)
    body = body[:-1] + b',"next_cursor":' + dumps(nxt) + b"}"
    return Response(body, media_type="application/json", headers=headers)


class SummaryRouting(BaseModel):
    level: str
    receivers: list[str]
    commune_body: str | None


class SummaryItem(BaseModel):
    code: str
    version: int
    status: Literal["published"]
    field: str
    detailed: bool = Field(description="Components, time, fees and legal basis from a detail record")
    online_level: OnlineLevel
    routing: SummaryRouting


class Summary(BaseModel):
    """Every published procedure, compactly: what ``procedure.published.v1`` says of each that a
    consumer counting the catalogue needs (reporting's Decision 766 indexes)."""

    revision: int = Field(description="The catalogue's revision (moves with every administrator's change)")
    items: list[SummaryItem]


@router.get(
    "/procedures/summary",
    responses=NOT_MODIFIED,
    response_model=Summary,
    tags=["catalogue"],
    summary="Tóm tắt mọi thủ tục đang cung cấp / every published procedure, compactly",
)
async def procedures_summary(request: Request, parts: Parts) -> Response:
    etag, body = await parts.catalog.summary()
    return cached(request, body, etag, vary=None)


def detail_route(path: str, summary: str) -> Callable[[T], T]:
    """A procedure's detail, cacheable (ETag of its version)."""
    return router.get(
        path,
        responses=NOT_MODIFIED | NO_PROCEDURE,
        response_model=ProcedureDetail,
        tags=["catalogue"],
        summary=summary,
    )


@detail_route("/procedures/{code}", "Chi tiết thủ tục / procedure detail")
async def detail(code: Code, request: Request, parts: Parts) -> Response:
    etag, body = parts.catalog.detail(code)
    return cached(request, body, etag)


@detail_route("/procedures/{code}/versions/{version}", "Một phiên bản trước / a past version")
async def detail_version(
    code: Code, version: Annotated[int, Path(ge=1, le=100_000)], request: Request, parts: Parts
) -> Response:
    etag, body = await parts.catalog.detail_version(code, version)
    return cached(request, body, etag, "public, max-age=86400, immutable")


@router.get(
    "/fields",
    response_model=list[Facet],
    tags=["catalogue"],
    summary="Lĩnh vực / fields, with counts",
    responses=NOT_MODIFIED,
)
async def fields(request: Request, parts: Parts) -> Response:
    c = parts.catalog
    return cached(request, c.facets("field"), f'W/"fields-{c.revision}"')


@router.get(
    "/implementing-agencies",
    responses=NOT_MODIFIED,
    response_model=list[Facet],
    tags=["catalogue"],
    summary="Cơ quan thực hiện theo danh mục / implementing agencies named by the catalogue, with counts",
)
async def implementing_agencies(request: Request, parts: Parts) -> Response:
    c = parts.catalog
    return cached(request, c.facets("agency"), f'W/"agencies-{c.revision}"')


# -- the agency directory ----------------------------------------------------------------------------
AgencyCode = Annotated[
    str, Path(pattern=AGENCY_CODE, description="Mã định danh (QĐ 20/2020/QĐ-TTg), e.g. 000.00.13.H26")
]
NO_AGENCY = problems((404, "Không có cơ quan này / no such agency"))
AGENCY_CHANGE = problems(
    (400, "If-Match không hợp lệ / malformed If-Match"),
    (404, "Không có cơ quan này / no such agency"),
    (422, "Cơ quan không hợp lệ (mã, cấp trên, vòng lặp) / invalid agency (code, parent, cycle)"),
    (409, "Cơ quan đang được dùng hoặc còn đơn vị trực thuộc / in use by routing or has active children"),
    (412, "Cơ quan đã được người khác sửa / changed since it was read"),
)
DIRECTORY_CACHE = "public, max-age=60"


class AgencyOut(Agency):
    """An agency of the directory."""


class AgencyIn(BaseModel):
    """An agency as an administrator writes it (its code is the path's; version and active are the
    server's)."""

    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(None, description="If given, must equal the path's code")
    name: str = Field(min_length=3, max_length=300)
    short_name: str | None = Field(None, max_length=200)
    kind: AgencyKind
    level: AgencyLevel
    parent_code: str | None = Field(None, pattern=AGENCY_CODE)
    parent_name: str | None = Field(None, max_length=300)
    ward_code: str | None = Field(None, pattern=r"^\d{5}$")
    commune: str | None = Field(None, max_length=200)
    illustrative: bool = False
    note: str | None = Field(None, max_length=1000)


def _agency(a: Agency, status: int = 200) -> Response:
    return Response(
        dumps(public_agency(a)),
        status_code=status,
        media_type="application/json",
        headers={"ETag": f'"{a.code}-v{a.version}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/agencies",
    responses=NOT_MODIFIED,
    response_model=list[AgencyOut],
    tags=["agencies"],
    summary="Danh bạ cơ quan tiếp nhận, xử lý hồ sơ / the agency directory",
)
async def agencies(
    request: Request,
    parts: Parts,
    paging: Paged,
    level: AgencyLevel | None = None,
    kind: AgencyKind | None = None,
    parent: Annotated[str | None, Query(pattern=AGENCY_CODE, description="Mã cơ quan cấp trên")] = None,
    ward: Annotated[str | None, Query(pattern=r"^\d{5}$", description="Mã đơn vị hành chính cấp xã")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Tên hoặc mã, có dấu hoặc không dấu")] = None,
) -> Response:
    found = await parts.directory.list(level=level, kind=kind, parent=parent, q=q, ward=ward)
    # The whole directory as an array, as ever; with `limit`/`cursor` a page, the next in `Link`.
    found, link = paging.array(found)
    body = dumps(found)
    etag = f'W/"dir-{hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20]}"'
    answer = cached(request, body, etag, DIRECTORY_CACHE)
    if link is not None:
        answer.headers["Link"] = link
    return answer


@router.get(
    "/agencies/{code}",
    responses=NOT_MODIFIED | NO_AGENCY,
    response_model=AgencyOut,
    tags=["agencies"],
    summary="Một cơ quan / one agency",
)
async def agency(code: AgencyCode, request: Request, parts: Parts) -> Response:
    a = await parts.directory.get(code)
    return cached(request, public_agency(a), f'"{a.code}-v{a.version}"', DIRECTORY_CACHE)


# -- administration ----------------------------------------------------------------------------------
IfMatch = Annotated[str | None, Header(description='ETag of the version being changed, e.g. "1.004194-v3"')]


def _with_etag(p: Procedure, status: int = 200) -> Response:
    return Response(
        dumps(public_detail(p)),
        status_code=status,
        media_type="application/json",
        headers={"ETag": f'"{p.code}-v{p.version}"'},
    )


class OnlineLevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    online_level: OnlineLevel


# What an administrator writes as a procedure's name, field or agency: something to read (a blank one was
# listed by the search filters as " (3)", found when the fuzzer's procedures met the portal's tests).
Written = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ProcedureIn(Procedure):
    """A whole procedure as an administrator writes it (version, status and dates are the server's)."""

    name: Written
    field: Written = Field(description="Lĩnh vực")
    agencies: list[Written] = Field(
        min_length=1, max_length=50, description="Implementing agencies, de-duplicated, primary first"
    )


def change(method: Literal["put", "post"], path: str, summary: str) -> Callable[[T], T]:
    """An administrator's change of one procedure (a new version), guarded by If-Match."""
    route = router.put if method == "put" else router.post
    return route(
        path,
        responses=CHANGE,
        response_model=ProcedureDetail,
        tags=["administration"],
        summary=summary,
    )


@router.put(
    "/agencies/{code}",
    status_code=200,
    responses={**AGENCY_CHANGE, 201: {"model": AgencyOut, "description": "Đã tạo / created"}},
    response_model=AgencyOut,
    tags=["administration"],
    summary="Thêm hoặc sửa cơ quan / create or change an agency",
)
async def put_agency(
    code: AgencyCode, body: AgencyIn, who: Admin, parts: Parts, if_match: IfMatch = None
) -> Response:
    if body.code is not None and body.code != code:
        raise Problem(422, "code-mismatch", Text("Mã cơ quan không khớp", "The code in the body differs"))
    fields = body.model_dump(exclude={"code"})
    a, created = await parts.directory.put(code, fields, if_match_version(if_match), who)
    return _agency(a, 201 if created else 200)


@router.delete(
    "/agencies/{code}",
    responses=AGENCY_CHANGE,
    response_model=AgencyOut,
    tags=["administration"],
    summary="Ngừng hoạt động cơ quan / deactivate an agency",
)
async def delete_agency(code: AgencyCode, who: Admin, parts: Parts, if_match: IfMatch = None) -> Response:
    return _agency(await parts.directory.deactivate(code, if_match_version(if_match), who))


@router.post(
    "/procedures",
    status_code=201,
    responses=problems((409, "Mã thủ tục đã tồn tại / the code exists"), LOADING),
    response_model=ProcedureDetail,
    tags=["administration"],
    summary="Thêm thủ tục / add a procedure",
)
async def create(body: ProcedureIn, who: Admin, parts: Parts) -> Response:
    p = await parts.catalog.create(Procedure.model_validate(body.model_dump()), who)
    return _with_etag(p, 201)


@change("put", "/procedures/{code}", "Sửa thủ tục (phiên bản mới) / change a procedure (new version)")
async def replace(
    code: Code, body: ProcedureIn, who: Admin, parts: Parts, if_match: IfMatch = None
) -> Response:
    if body.code != code:
        raise Problem(422, "code-mismatch", Text("Mã thủ tục không khớp", "The code in the body differs"))
    changes = body.model_dump(exclude={"version", "status", "updated_at", "code"})
    return _with_etag(await parts.catalog.change(code, if_match_version(if_match), who=who, **changes))


@change("put", "/procedures/{code}/online-level", "Đặt mức độ trực tuyến / set the online level")
async def online_level(
    code: Code, body: OnlineLevelIn, who: Admin, parts: Parts, if_match: IfMatch = None
) -> Response:
    level = body.online_level
    return _with_etag(await parts.catalog.set_online_level(code, level, if_match_version(if_match), who))


@change("post", "/procedures/{code}/withdraw", "Ngừng cung cấp thủ tục / withdraw")
async def withdraw(code: Code, who: Admin, parts: Parts, if_match: IfMatch = None) -> Response:
    return _with_etag(await parts.catalog.withdraw(code, if_match_version(if_match), who))


@change("post", "/procedures/{code}/publish", "Cung cấp lại thủ tục / publish again")
async def publish(code: Code, who: Admin, parts: Parts, if_match: IfMatch = None) -> Response:
    return _with_etag(await parts.catalog.publish(code, if_match_version(if_match), who))
