"""Request and response models of the auth API. Requests refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from dvckit.paging import Cursored

from ..domain.identity import check_citizen_id, check_username, clean_name, normalize_phone
from ..domain.organisations import check_tax_code

FullName = Annotated[str, Field(min_length=2, max_length=100), AfterValidator(clean_name)]
CitizenId = Annotated[str, Field(max_length=20), AfterValidator(check_citizen_id)]
Phone = Annotated[str, Field(max_length=20), AfterValidator(normalize_phone)]
Password = Annotated[str, Field(min_length=1, max_length=128)]
Username = Annotated[str, Field(max_length=80), AfterValidator(check_username)]
Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(lambda v: v.lower())]
StaffRole = Literal["reception", "specialist", "leader", "admin", "auditor"]
StaffRoles = Annotated[
    list[StaffRole],
    Field(
        min_length=1,
        max_length=5,
        description="Cán bộ một cửa (reception), chuyên viên (specialist), lãnh đạo (leader), quản trị "
        "(admin), kiểm tra nhật ký (auditor: reads the audit trail); one person may hold several. The "
        "account also gets the marker `officer` with any of "
        "the first three.",
    ),
]
Roles = Annotated[
    list[Literal["citizen", "officer", "reception", "specialist", "leader", "admin", "auditor"]],
    Field(
        min_length=1,
        max_length=7,
        description="Normalised as at creation: `officer` alone (the old single role) means reception, "
        "specialist and leader; `officer` is added with any of those.",
    ),
]
Code = Annotated[
    str, Field(max_length=12, pattern=r"^\s*\d{6}\s*$", description="The 6-digit code sent by SMS or email")
]
AgencyCode = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterIn(Strict):
    full_name: FullName
    citizen_id: CitizenId
    phone: Phone
    email: Email | None = None
    password: Password


class LoginIn(Strict):
    username: Annotated[
        str,
        Field(
            min_length=1, max_length=254, description="Số định danh, số điện thoại, email hoặc tên đăng nhập"
        ),
    ]
    password: Password


class RefreshIn(Strict):
    refresh_token: Annotated[str, Field(min_length=10, max_length=200)]


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_expires_in: int


class IdentityOut(BaseModel):
    """What an identity provider vouched for (VNeID), as of ``verified_at``."""

    source: Literal["vneid"]
    level: int = Field(description="1 hoặc 2: mức định danh điện tử VNeID / the VNeID assurance level")
    citizen_id: str
    full_name: str
    birth_date: str | None = None
    address: str | None = None
    phone: str | None = None
    verified_at: datetime


class MfaChallengeOut(BaseModel):
    """The answer to an officer's or administrator's right password: no tokens yet, a ticket for the
    second step."""

    mfa: Literal["enrol", "totp"] = Field(
        description="`enrol`: first sign-in, set up an authenticator app (`POST /mfa/totp`, then "
        "`POST /mfa/totp/verify`); `totp`: send a code from it (`POST /login/mfa`)"
    )
    mfa_token: str = Field(description="Single use; dies after a few wrong codes or when it expires")
    expires_in: int = Field(description="Seconds the ticket stays valid")


MfaToken = Annotated[
    str,
    Field(
        min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$", description="The ticket of `POST /login`"
    ),
]


class MfaTicketIn(Strict):
    mfa_token: MfaToken


class MfaEnrolCodeIn(Strict):
    mfa_token: MfaToken
    code: Annotated[
        str,
        Field(max_length=12, pattern=r"^\s*[0-9]{6}\s*$", description="The 6-digit code the app shows now"),
    ]


class MfaLoginIn(Strict):
    mfa_token: MfaToken
    code: Annotated[
        str,
        Field(
            max_length=24,
            pattern=r"^\s*([0-9]{6}|[A-Za-z0-9]{5}[ -]?[A-Za-z0-9]{5})\s*$",
            description="The 6-digit code the authenticator app shows now, or one of the recovery codes "
            "(`xxxxx-xxxxx`, each works once)",
        ),
    ]


class TotpEnrolOut(BaseModel):
    """Shown once: the secret for the authenticator app (as a QR code of `otpauth_uri`, or typed) and the
    recovery codes to keep somewhere safe. They become the account's with the first right code."""

    secret: str = Field(description="Base32, for typing into the app by hand")
    otpauth_uri: str = Field(description="otpauth://totp/... for the QR code")
    issuer: str
    account: str | None
    digits: int
    period: int
    recovery_codes: list[str] = Field(description="Ten one-time codes for signing in without the app")
    expires_in: int = Field(description="Seconds left to confirm with a first code")


class UserOut(BaseModel):
    id: str
    full_name: str
    username: str | None = None
    citizen_id: str | None = None
    phone: str | None = None
    email: str | None = None
    roles: list[str]
    agencies: list[str]
    locked: bool
    mfa_enrolled: bool = Field(False, description="Has a second factor (officers and administrators)")
    created_at: datetime
    identity_level: int = Field(
        0,
        description="Cách xác lập danh tính: 0 tự khai, 1 hoặc 2 mức định danh VNeID / how the identity was "
        "established: 0 self-declared, 1 or 2 the VNeID level",
    )
    identity: IdentityOut | None = None


class PendingOut(BaseModel):
    channel: Literal["email", "phone"]
    value: str
    expires_at: datetime


class MeOut(UserOut):
    pending: list[PendingOut] = Field(
        default=[], description="A new email or phone waiting for the code sent to it"
    )


class MePatch(Strict):
    current_password: Password = Field(description="Asked again: a stolen session must not be enough")
    phone: Phone | None = None
    email: Email | None = Field(None, description="null removes the email")


class ContactConfirmIn(Strict):
    channel: Literal["email", "phone"]
    code: Code


class RegisterConfirmIn(Strict):
    citizen_id: CitizenId
    phone: Phone
    code: Code


class PasswordChangeIn(Strict):
    current_password: Password
    new_password: Password


class ForgotIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=254)]


class ResetIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=254)]
    code: Code
    new_password: Password


class AcceptedOut(BaseModel):
    detail: str


class RegisterAcceptedOut(AcceptedOut):
    expires_in: int = Field(description="Seconds the code sent by SMS stays valid")


class StaffIn(Strict):
    """Exactly one of ``roles`` and ``role`` (the old way: ``officer`` is reception, specialist and
    leader; ``admin`` is admin)."""

    full_name: FullName
    roles: StaffRoles | None = None
    role: Literal["officer", "admin"] | None = Field(
        None,
        description="Cách cũ, thay bằng roles / the old way, replaced by roles",
        json_schema_extra={"deprecated": True},
    )
    agencies: Annotated[list[AgencyCode], Field(max_length=50)] = []
    username: Username | None = None
    email: Email | None = None
    phone: Phone | None = None
    citizen_id: CitizenId | None = None
    password: Password


class UserPatch(Strict):
    full_name: FullName | None = None
    locked: bool | None = None
    roles: Roles | None = None
    agencies: Annotated[list[AgencyCode], Field(max_length=50)] | None = None


class StaffMemberOut(BaseModel):
    id: str
    full_name: str
    roles: list[str] = Field(description="Every role held, the marker `officer` included")
    default_specialist: bool = Field(description="The agency's default specialist")


class StaffList(Cursored):
    items: list[StaffMemberOut]


class DefaultSpecialistIn(Strict):
    user_id: Annotated[str, Field(min_length=1, max_length=64)]


class DefaultSpecialistOut(BaseModel):
    agency: str
    user_id: str
    full_name: str


class UserPage(Cursored):
    items: list[UserOut]
    total: int
    page: int
    size: int


class RotatedOut(BaseModel):
    kid: str


# -- organisations -----------------------------------------------------------------------------------
TaxCode = Annotated[
    str,
    Field(max_length=20, description="Mã số doanh nghiệp / mã số thuế: 10 chữ số, hoặc 10 chữ số-3 chữ số"),
    AfterValidator(check_tax_code),
]
OrgRole = Literal["representative", "staff", "viewer"]
OrgName = Annotated[str, Field(min_length=2, max_length=200), AfterValidator(clean_name)]
Address = Annotated[str, Field(min_length=5, max_length=300)]


class LegalRepIn(Strict):
    full_name: FullName
    citizen_id: CitizenId


class OrganisationIn(Strict):
    tax_code: TaxCode
    name: OrgName
    address: Address
    legal_representative: LegalRepIn


class MemberIn(Strict):
    login: Annotated[
        str,
        Field(
            min_length=1,
            max_length=20,
            description="Số định danh hoặc số điện thoại của một tài khoản công dân / a citizen account's "
            "citizen ID or phone",
        ),
    ]
    role: OrgRole


class MemberPatch(Strict):
    role: OrgRole


class MemberOut(BaseModel):
    user_id: str
    full_name: str
    role: OrgRole
    added_at: datetime


class LegalRepOut(BaseModel):
    full_name: str
    citizen_id: str


class OrganisationOut(BaseModel):
    id: str
    tax_code: str
    name: str
    address: str
    legal_representative: LegalRepOut
    role: OrgRole | None = Field(description="The caller's role in it (null: an administrator's view)")
    created_at: datetime
    members: list[MemberOut] | None = Field(
        None, description="Only for its representatives and administrators"
    )


class OrganisationList(Cursored):
    items: list[OrganisationOut]


class OrganisationPage(Cursored):
    items: list[OrganisationOut]
    total: int
    page: int
    size: int


class SessionApp(BaseModel):
    client_id: str
    name: str
    name_en: str = ""


class SessionOut(BaseModel):
    id: str
    device: str = Field(
        description='The browser and system it signed in with: "Chrome 131 trên Windows 10"; a session of '
        'one of our apps is named after it: "Ứng dụng DVC Hải Phòng trên Android 14"'
    )
    app: SessionApp | None = Field(
        default=None, description="The app that signed in (OAuth, docs/mobile.md); null for the portal"
    )
    ip: str | None = Field(description="The address it was last used from")
    place: str | None = Field(
        description="The country that address is allocated to (offline data); null when not known"
    )
    started_at: datetime = Field(description="When it signed in")
    last_used_at: datetime = Field(description="When it last renewed its access (each refresh)")
    current: bool = Field(description="The session of the access token of this request")


class SessionList(Cursored):
    items: list[SessionOut]
    more: bool = Field(description="More sessions than listed (the most recently used are)")


class EndedOut(BaseModel):
    ended: int = Field(description="How many sessions ended")


class RevokedEntry(BaseModel):
    id: str
    at: float = Field(description="When, in seconds since 1970 (UTC), milliseconds included")


class NextPage(BaseModel):
    since: float
    after: str


class RevokedOut(BaseModel):
    now: float = Field(description="The time of this answer (seconds since 1970): the next poll's `since`")
    window: int = Field(description="Seconds an entry stays listed: an access token's lifetime and a margin")
    sessions: list[RevokedEntry] = Field(description="Sessions (a token's `sid`) ended: refuse their tokens")
    users: list[RevokedEntry] = Field(
        description="Accounts locked, named by the SHA-256 (hex) of their id: refuse their tokens issued "
        "(`iat`) at or before `at`"
    )
    next: NextPage | None = Field(
        description="The list goes on: ask again with these `since` and `after` (null: complete)"
    )


class CloseIn(Strict):
    current_password: Password | None = None
    code: Annotated[str | None, Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")] = Field(
        None, description="Instead of the password: the code of `POST /me/close/code`"
    )
    confirm: bool = Field(
        description="true: the holder understands the account is closed for good (its name, contacts and "
        "citizen ID removed; filed dossiers and payments kept as the law requires)"
    )


class CloseCodeOut(BaseModel):
    channel: Literal["sms", "email"]
    expires_at: datetime
