"""Step 1: the submitter (người nộp) and, where different, the dossier owner (chủ hồ sơ). Pure rules.

Who may be either: a Vietnamese individual (personal ID number), a foreigner (passport number and
nationality), and, as the owner only, a business or another organisation (its enterprise or tax code and
its legal representative): an organisation files through a person. Which kinds a procedure admits comes
from its "đối tượng thực hiện" (:func:`kinds_for`). Someone filing for another person, or for an
organisation they do not represent at law, attaches an authorisation (:data:`AUTHORIZATION`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    EmailStr,
    Field,
    Tag,
    model_validator,
)

from dvckit.errors import Invalid

PHONE = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")
# A foreigner's number may be foreign: E.164, a plus and 8 to 15 digits.
INTL_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")
LANDLINE = re.compile(r"^02\d{9}$")  # 0 + area code 2xx + 8 digits (the 2017 numbering plan)
Kind = Literal["individual", "foreigner", "business", "organization"]
KINDS: tuple[Kind, ...] = ("individual", "foreigner", "business", "organization")


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


def _any_phone(v: str) -> str:
    """A Vietnamese mobile or landline number (an office's), or any number in international form (a
    foreigner's own)."""
    bare = re.sub(r"[\s.\-()]", "", v)
    if PHONE.match(bare):
        return _phone(bare)
    if not (INTL_PHONE.match(bare) or LANDLINE.match(bare)):
        raise Invalid(
            "Số điện thoại không hợp lệ (số Việt Nam, hoặc số quốc tế dạng +mã nước)",
            "Invalid phone number (a Vietnamese number, or an international one as +country code)",
        )
    return bare


def _passport(v: str) -> str:
    v = re.sub(r"\s", "", v).upper()
    if not re.fullmatch(r"[A-Z0-9]{6,12}", v):
        raise Invalid(
            "Số hộ chiếu gồm 6 đến 12 chữ cái hoặc chữ số", "A passport number has 6 to 12 letters or digits"
        )
    return v


def _nationality(v: str) -> str:
    v = v.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", v) or pycountry.countries.get(alpha_2=v) is None:
        raise Invalid(
            "Quốc tịch: mã nước 2 chữ cái (ISO 3166-1), ví dụ KR, JP, US",
            "Nationality: a two-letter ISO 3166-1 code",
        )
    if v == "VN":
        raise Invalid(
            "Công dân Việt Nam khai số định danh cá nhân, không khai là người nước ngoài",
            "A Vietnamese citizen files with a personal ID number, not as a foreigner",
        )
    return v


def _tax_code(v: str) -> str:
    """Enterprise code = tax code (Law on Enterprises 2020, art. 29): 10 digits, a branch's 10-3."""
    v = re.sub(r"\s", "", v)
    if not re.fullmatch(r"\d{10}(?:-\d{3})?", v):
        raise Invalid(
            "Mã số doanh nghiệp / mã số thuế gồm 10 chữ số"
            " (đơn vị phụ thuộc: 10 chữ số, gạch ngang, 3 chữ số)",
            "An enterprise or tax code has 10 digits (a dependent unit: 10 digits, a dash, 3 digits)",
        )
    return v


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


# The fields every party shares, written once.
FullName = Annotated[str, Field(min_length=2, max_length=100), AfterValidator(_name)]
Born = Annotated[date, AfterValidator(_born)]
Email = Annotated[EmailStr | None, Field(max_length=254)]
Address = Annotated[str, Field(min_length=5, max_length=300), AfterValidator(_text)]


class Person(BaseModel):
    """A Vietnamese individual (cá nhân), known by the personal ID number."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["individual"] = "individual"
    full_name: FullName
    citizen_id: Annotated[str, Field(max_length=20), AfterValidator(_citizen_id)]
    date_of_birth: Born
    phone: Annotated[str, Field(max_length=20), AfterValidator(_phone)]
    email: Email = None
    address: Address

    @property
    def id_number(self) -> str:
        return self.citizen_id


class Foreigner(BaseModel):
    """A foreign national (người nước ngoài), known by passport number and nationality."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["foreigner"]
    full_name: FullName
    passport_no: Annotated[str, Field(max_length=20), AfterValidator(_passport)]
    nationality: Annotated[str, Field(max_length=2), AfterValidator(_nationality)]
    date_of_birth: Born
    phone: Annotated[str, Field(max_length=20), AfterValidator(_any_phone)]
    email: Email = None
    address: Address

    @property
    def id_number(self) -> str:
        return self.passport_no


class Representative(BaseModel):
    """An organisation's legal representative (người đại diện theo pháp luật): a personal ID number, or a
    passport number for a foreigner."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: FullName
    position: Annotated[str, Field(min_length=2, max_length=100), AfterValidator(_text)]
    citizen_id: Annotated[
        str | None, Field(max_length=20), AfterValidator(lambda v: v and _citizen_id(v))
    ] = None
    passport_no: Annotated[str | None, Field(max_length=20), AfterValidator(lambda v: v and _passport(v))] = (
        None
    )

    @model_validator(mode="after")
    def _one_id(self) -> Representative:
        if bool(self.citizen_id) == bool(self.passport_no):
            raise Invalid(
                "Người đại diện: khai số định danh cá nhân hoặc số hộ chiếu (một trong hai)",
                "The representative: a personal ID number or a passport number (one of the two)",
            )
        return self


class Organization(BaseModel):
    """A business (doanh nghiệp, hợp tác xã) or another organisation (tổ chức): the dossier's owner."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["business", "organization"]
    name: Annotated[str, Field(min_length=2, max_length=200), AfterValidator(_text)]
    tax_code: Annotated[str, Field(max_length=20), AfterValidator(_tax_code)]
    representative: Representative
    phone: Annotated[str, Field(max_length=20), AfterValidator(_any_phone)]
    email: Email = None
    address: Address

    @property
    def full_name(self) -> str:  # the name a receipt or a queue shows
        return self.name

    @property
    def id_number(self) -> str:
        return self.tax_code


def _kind(v: Any) -> str:
    """A stored or sent party without ``kind`` is an individual (every party before kinds existed)."""
    k = v.get("kind") if isinstance(v, dict) else getattr(v, "kind", None)
    return k if k in KINDS else ("individual" if k is None else "unknown")


Filer = Annotated[
    Annotated[Person, Tag("individual")] | Annotated[Foreigner, Tag("foreigner")],
    Discriminator(
        _kind, custom_error_type="kind", custom_error_message="Người nộp: cá nhân hoặc người nước ngoài"
    ),
]
Party = Annotated[
    Annotated[Person, Tag("individual")]
    | Annotated[Foreigner, Tag("foreigner")]
    | Annotated[Organization, Tag("business")]
    | Annotated[Organization, Tag("organization")],
    Discriminator(_kind, custom_error_type="kind", custom_error_message="Loại chủ hồ sơ không hợp lệ"),
]


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submitter: Filer = Field(description="Người nộp: the person who files (an individual or a foreigner)")
    owner: Party | None = Field(
        None, description="Chủ hồ sơ, when not the submitter: a person, a business or an organisation"
    )

    @property
    def party(self) -> Person | Foreigner | Organization:
        """Whom the dossier is for: the owner, or the submitter filing for themself."""
        return self.owner or self.submitter

    @property
    def on_behalf(self) -> bool:
        """Filed for someone else: another person, or an organisation the submitter is not the legal
        representative of (checked by ID or passport number)."""
        owner = self.owner
        if owner is None:
            return False
        me = self.submitter.id_number
        if isinstance(owner, Organization):
            rep = owner.representative
            return me not in (rep.citizen_id, rep.passport_no)
        return owner.id_number != me


# The document someone filing on another's behalf attaches (Civil Code 2015, arts. 138–141: a
# representative by authorisation), a component the dossier gains in step 1.
AUTHORIZATION = {
    "id": "authorization",
    "name": "Văn bản ủy quyền (giấy ủy quyền) cho người nộp hồ sơ",
    "required": True,
    "originals": 1,
    "file_types": ["pdf", "jpg", "jpeg", "png"],
}

# The catalogue's "đối tượng thực hiện" categories, as published, and the kinds of owner each admits.
_AUDIENCE: tuple[tuple[str, tuple[Kind, ...]], ...] = (
    ("người nước ngoài", ("foreigner",)),
    ("tổ chức nước ngoài", ("organization",)),
    ("doanh nghiệp", ("business",)),
    ("hợp tác xã", ("business",)),
    ("tổ chức", ("organization",)),
    ("công dân", ("individual",)),
    ("cá nhân", ("individual",)),
    ("người việt nam định cư ở nước ngoài", ("individual", "foreigner")),
    ("cán bộ, công chức, viên chức", ("individual",)),
)


def kinds_for(audience: str | None, audiences: Sequence[str] = ()) -> list[Kind]:
    """Who may own a dossier of a procedure: from its "đối tượng thực hiện" text (comma-separated
    categories; a business or organisation category admits that kind), else the catalogue's coarse
    audiences (citizen, business), else anyone."""
    found: set[Kind] = set()
    text = unicodedata.normalize("NFC", audience or "").lower()
    for part in re.split(r",\s*(?![^()]*\))", text):
        part = part.strip()
        for phrase, kinds in _AUDIENCE:
            if part.startswith(phrase):
                found.update(kinds)
                break
    if not found:
        for a in audiences:
            found.update(
                {"citizen": ("individual", "foreigner"), "business": ("business", "organization")}.get(a, ())
            )
    return [k for k in KINDS if k in found] or list(KINDS)


class Prefill(BaseModel):
    """What the account already says (full name, phone, email, citizen ID; date of birth and address once
    VNeID vouched for them), offered as step 1's start."""

    full_name: str | None = None
    citizen_id: str | None = None
    phone: str | None = None
    email: str | None = None
    # What VNeID vouched for, when the account was verified through it.
    date_of_birth: str | None = None
    address: str | None = None
    # 1 or 2: the account's identity was verified through VNeID, and citizen_id is that identity's.
    identity_level: int = 0

    @property
    def verified_id(self) -> str | None:
        """The citizen ID the account holder proved (VNeID), which step 1's submitter must carry."""
        return self.citizen_id if self.identity_level >= 1 else None


REP_POSITION = "Người đại diện theo pháp luật"


def for_organisation(applicant: Applicant, org: Any, kinds: Sequence[str]) -> Applicant:
    """Step 1 of a dossier filed for a registered organisation (``org``: its ``OrganisationRef``): the
    owner is the organisation as auth knows it (name, tax code, address, legal representative), whatever
    was typed; only the owner's phone and email are taken from what was sent (else the submitter's)."""
    sent = applicant.owner if isinstance(applicant.owner, Organization) else None
    kind = "business" if "business" in kinds or "organization" not in kinds else "organization"
    owner = Organization(
        kind=kind,
        name=org.name,
        tax_code=org.tax_code,
        address=org.address,
        representative=Representative(
            full_name=org.representative_name,
            position=REP_POSITION,
            citizen_id=org.representative_citizen_id,
        ),
        phone=sent.phone if sent else applicant.submitter.phone,
        email=sent.email if sent else applicant.submitter.email,
    )
    return Applicant(submitter=applicant.submitter, owner=owner)
