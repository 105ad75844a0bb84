"""What ``create_app`` builds once, typed, and how a route receives it (``parts: Parts`` below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from dvckit.deps import parts_of

from .adapters.keys import KeyStore
from .adapters.passwords import Passwords
from .config import Settings
from .service.accounts import Accounts
from .service.agencies import AgencyStaff
from .service.mfa import SecondFactor
from .service.oauth import AppSignIn
from .service.organisations import OrganisationCases
from .service.recovery import Recovery
from .service.registration import Registration
from .service.rights import YourData
from .service.sessions import Sessions
from .service.vneid import VneidSignIn


@dataclass(frozen=True)
class AuthParts:
    settings: Settings
    keys: KeyStore
    passwords: Passwords
    sessions: Sessions
    accounts: Accounts
    registration: Registration
    recovery: Recovery
    vneid: VneidSignIn
    mfa: SecondFactor
    organisations: OrganisationCases
    agencies: AgencyStaff
    your_data: YourData
    oauth: AppSignIn


Parts = Annotated[AuthParts, Depends(parts_of(AuthParts))]
