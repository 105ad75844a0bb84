"""Step 1: the submitter (người nộp) and, where different, the dossier owner (chủ hồ sơ). Pure rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from dvckit.errors import Invalid

PHONE = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")


def _citizen_id(v: str) -> str:
    v = v.strip()
    if not re.fullmatch(r"\d{12}", v):
        raise Invalid("Số định danh cá nhân phải gồm 12 chữ số", "A citizen ID has 12 digits")
    return v


def _phone(v: str) -> str:
    m = PHONE.match(re.sub(r"[\s.\-()]", "", v))
    if not m:
        raise Invalid("Số điện thoại di động không hợp lệ", "Invalid Vietnamese mobile number")
    return "0" + m.group(1)


def _name(v: str) -> str:
    v = " ".join(unicodedata.normalize("NFC", v).split())
    if not any(ch.isalpha() for ch in v):
        raise Invalid("Họ và tên không hợp lệ", "Invalid full name")
    return v


def _text(v: str) -> str:
    return " ".join(unicodedata.normalize("NFC", v).split())


def _born(v: date) -> date:
    if v >= date.today():
        raise Invalid("Ngày sinh phải ở trong quá khứ", "The date of birth must be in the past")
    if v.year < 1900:
        raise Invalid("Ngày sinh không hợp lệ", "Implausible date of birth")
    return v


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: Annotated[str, Field(min_length=2, max_length=100), AfterValidator(_name)]
    citizen_id: Annotated[str, Field(max_length=20), AfterValidator(_citizen_id)]
    date_of_birth: Annotated[date, AfterValidator(_born)]
    phone: Annotated[str, Field(max_length=20), AfterValidator(_phone)]
    email: Annotated[EmailStr | None, Field(max_length=254)] = None
    address: Annotated[str, Field(min_length=5, max_length=300), AfterValidator(_text)]


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submitter: Person
    owner: Person | None = Field(None, description="Chủ hồ sơ, when not the submitter")


class Prefill(BaseModel):
    """What the account already says (full name, phone, email, citizen ID), offered as step 1's start."""

    full_name: str | None = None
    citizen_id: str | None = None
    phone: str | None = None
    email: str | None = None
