"""Organisations and their members (mounted under /api/v1/auth/organisations)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal, require
from dvckit.paging import Paged

from ..parts import Parts
from .schemas import (
    MemberIn,
    MemberPatch,
    OrganisationIn,
    OrganisationList,
    OrganisationOut,
    OrganisationPage,
)

router = APIRouter(prefix="/organisations", tags=["organisations"])
Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require("admin"))]
Citizen = Annotated[Principal, Depends(require("citizen"))]
Id = Annotated[str, Path(min_length=1, max_length=64)]
NOT_FOUND = (404, "Không tìm thấy tổ chức (hoặc bạn không thuộc tổ chức này) / no such organisation")
NOT_REP = (403, "Chỉ người đại diện quản lý thành viên / only a representative manages members")


@router.post(
    "",
    status_code=201,
    response_model=OrganisationOut,
    summary="Đăng ký tổ chức, doanh nghiệp (người đại diện theo pháp luật đã xác thực VNeID) / register an "
    "organisation (its legal representative, verified through VNeID)",
    responses=problems(
        (
            403,
            "Chưa xác thực VNeID, hoặc không phải người đại diện theo pháp luật / not verified, or not the "
            "legal representative",
        ),
        (409, "Mã số doanh nghiệp đã được đăng ký / the tax code is registered"),
    ),
)
async def create(body: OrganisationIn, who: Citizen, parts: Parts) -> dict[str, Any]:
    return await parts.organisations.create(who, body.model_dump())


@router.get(
    "",
    response_model=OrganisationList,
    summary="Các tổ chức của tôi và vai trò của tôi / my organisations and my role in each",
)
async def mine(who: Caller, parts: Parts, paging: Paged) -> dict[str, Any]:
    return paging.whole(await parts.organisations.mine(who))


@router.get(
    "/all",
    response_model=OrganisationPage,
    summary="Danh sách tổ chức (quản trị) / every organisation (administrators)",
)
async def list_all(
    who: Admin,
    parts: Parts,
    paging: Paged,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    w = paging.window(page=page, size=size, max_size=100)
    return paging.finish(w, await parts.organisations.list(q, window=w, who=who))


@router.get(
    "/{org_id}",
    response_model=OrganisationOut,
    summary="Một tổ chức (thành viên, quản trị) / one organisation (its members, administrators)",
    responses=problems(NOT_FOUND),
)
async def get(org_id: Id, who: Caller, parts: Parts) -> dict[str, Any]:
    return await parts.organisations.get(who, org_id)


@router.post(
    "/{org_id}/members",
    status_code=201,
    response_model=OrganisationOut,
    summary="Thêm thành viên (người đại diện) / add a member (the representative)",
    responses=problems(
        NOT_REP,
        (404, "Không có tổ chức, hoặc tài khoản công dân này / no such organisation or citizen account"),
        (409, "Đã là thành viên / already a member"),
    ),
)
async def add_member(org_id: Id, body: MemberIn, who: Caller, parts: Parts) -> dict[str, Any]:
    return await parts.organisations.add_member(who, org_id, body.login, body.role)


@router.patch(
    "/{org_id}/members/{user_id}",
    response_model=OrganisationOut,
    summary="Đổi vai trò thành viên (người đại diện) / change a member's role (the representative)",
    responses=problems(NOT_REP, NOT_FOUND, (409, "Phải còn một người đại diện / one representative stays")),
)
async def set_role(org_id: Id, user_id: Id, body: MemberPatch, who: Caller, parts: Parts) -> dict[str, Any]:
    return await parts.organisations.set_role(who, org_id, user_id, body.role)


@router.delete(
    "/{org_id}/members/{user_id}",
    response_model=OrganisationOut,
    summary="Bỏ thành viên (người đại diện) / remove a member (the representative)",
    responses=problems(NOT_REP, NOT_FOUND, (409, "Phải còn một người đại diện / one representative stays")),
)
async def remove(org_id: Id, user_id: Id, who: Caller, parts: Parts) -> dict[str, Any]:
    return await parts.organisations.remove(who, org_id, user_id)
