"""A citizen's own data (docs/auth.md, "Your data"): the pages of their data export, and whether a
dossier of theirs is still in hand (asked by auth before the account is closed). Mounted under
/api/v1/submissions; auth calls both with the citizen's own token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from dvckit.paging import Cursored, Paged

from . import views
from .deps import Citizen, Svc
from .schemas import DossierOut

router = APIRouter()


class ExportPage(Cursored):
    items: list[DossierOut]
    total: int
    page: int
    size: int


class InHandOut(BaseModel):
    in_hand: int
    drafts: int


@router.get(
    "/me/export",
    response_model=ExportPage,
    tags=["your data"],
    summary="Dữ liệu của tôi: hồ sơ của tôi, đầy đủ / my data: my own dossiers in full",
    description="The caller's own dossiers (drafts too; an organisation's belong to it), newest first, as "
    "`GET /dossiers/{id}` shows each: the files are downloaded from `…/attachments/{id}` and "
    "`…/results/{id}`. Auth's `GET /api/v1/auth/me/export` reads every page into the archive.",
)
async def export(
    who: Citizen,
    s: Svc,
    paging: Paged,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, object]:
    w = paging.window(page=page, size=size, max_size=100)
    found, total = await s.rights.own(who, window=w)
    return paging.finish(w, views.page([views.view(d) for d in found], total, w.page, w.size))


@router.get(
    "/me/in-hand",
    response_model=InHandOut,
    tags=["your data"],
    summary="Hồ sơ của tôi đang giải quyết / how many of my dossiers are still in hand",
    description="`in_hand`: filed and not finished for the citizen (statuses 1, 2, 4, 5, 6 and 9); "
    "`drafts`: not filed. Auth asks it before closing an account.",
)
async def in_hand(who: Citizen, s: Svc) -> dict[str, int]:
    return await s.rights.in_hand(who)
