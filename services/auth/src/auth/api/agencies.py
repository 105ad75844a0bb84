"""An agency's staff and its default specialist (mounted under /api/v1/auth/agencies)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal, require
from dvckit.paging import Paged

from ..parts import Parts
from .schemas import DefaultSpecialistIn, DefaultSpecialistOut, StaffList

router = APIRouter(prefix="/agencies", tags=["agencies"])
Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require("admin"))]
Code = Annotated[
    str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$", description="The agency's code")
]


@router.get(
    "/{code}/staff",
    response_model=StaffList,
    summary="Cán bộ của cơ quan và vai trò / an agency's staff and their roles",
    description="The unlocked accounts holding an agency role (reception, specialist, leader) in the "
    "agency, by name, and which is its default specialist. For the agency's own staff (the token's "
    "`officer` and the code among its `agencies`) and administrators; the submission service asks it "
    "with the caller's own token.",
    responses=problems((403, "Không phải cán bộ của cơ quan này / not this agency's staff")),
)
async def staff(code: Code, who: Caller, parts: Parts, paging: Paged) -> dict[str, Any]:
    listed = await parts.agencies.staff(who, code)
    return paging.whole(listed.pop("items"), **listed)


@router.put(
    "/{code}/default-specialist",
    response_model=DefaultSpecialistOut,
    summary="Đặt chuyên viên mặc định của cơ quan / set the agency's default specialist",
    description="The specialist a dossier goes to when reception names nobody. Must be an unlocked "
    "specialist of the agency (422 `not-a-specialist`).",
)
async def set_default_specialist(
    code: Code, body: DefaultSpecialistIn, who: Admin, parts: Parts
) -> dict[str, Any]:
    return await parts.agencies.set_default_specialist(who, code, body.user_id)


@router.delete(
    "/{code}/default-specialist",
    status_code=204,
    summary="Bỏ chuyên viên mặc định của cơ quan / clear the agency's default specialist",
)
async def clear_default_specialist(code: Code, who: Admin, parts: Parts) -> Response:
    await parts.agencies.clear_default_specialist(who, code)
    return Response(status_code=204)
