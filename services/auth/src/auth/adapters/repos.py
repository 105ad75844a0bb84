"""The auth service's repositories, built once (``main.create_app``) and shared by its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ..config import Settings
from .agencies import AgencySettings
from .codes import CodeStore
from .handoffs import LoginTickets, OidcFlows
from .oauth import OAuthCodes
from .organisations import Organisations
from .revocations import Revocations
from .throttle import Throttle
from .tickets import Tickets
from .tokens import LoginAttempts, RefreshTokens
from .users import Users


@dataclass(frozen=True)
class Repositories:
    users: Users
    tokens: RefreshTokens
    attempts: LoginAttempts
    throttle: Throttle
    codes: CodeStore
    flows: OidcFlows  # sign-ins through VNeID under way
    login_tickets: LoginTickets  # their outcomes, for the portal to take
    tickets: Tickets  # staff between their password and their second factor
    organisations: Organisations
    revocations: Revocations
    agencies: AgencySettings  # per agency: its default specialist
    oauth_codes: OAuthCodes  # our apps' sign-ins: authorization codes

    @classmethod
    def of(cls, db: AsyncDatabase[Any], settings: Settings) -> Repositories:
        return cls(
            Users(db),
            RefreshTokens(db),
            LoginAttempts(db),
            Throttle(db, settings),
            CodeStore(db),
            OidcFlows(db),
            LoginTickets(db),
            Tickets(db),
            Organisations(db),
            Revocations(db),
            AgencySettings(db),
            OAuthCodes(db),
        )
