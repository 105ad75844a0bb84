"""HTTP routes of the auth service (mounted under /api/v1/auth)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from ..domain.identity import check_citizen_id, clean_name, normalize_phone
from ..service.accounts import Accounts

router = APIRouter(tags=["accounts"])


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: Annotated[str, Field(min_length=2, max_length=100), AfterValidator(clean_name)]
    citizen_id: Annotated[str, AfterValidator(check_citizen_id)]
    phone: Annotated[str, Field(max_length=20), AfterValidator(normalize_phone)]
    email: EmailStr | None = None
    password: Annotated[str, Field(min_length=8, max_length=128)]


class UserOut(BaseModel):
    id: str
    full_name: str
    citizen_id: str | None
    phone: str | None
    email: str | None
    roles: list[str]


def accounts(request: Request) -> Accounts:
    return request.app.state.accounts


@router.post("/register", status_code=201, response_model=UserOut, summary="Đăng ký tài khoản công dân")
async def register(body: RegisterIn, request: Request) -> dict:
    return await accounts(request).register(
        full_name=body.full_name,
        citizen_id=body.citizen_id,
        phone=body.phone,
        email=body.email.lower() if body.email else None,
        password=body.password,
    )
