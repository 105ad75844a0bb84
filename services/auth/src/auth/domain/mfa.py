"""The second factor of officers and administrators: TOTP (RFC 6238, through pyotp) and recovery codes.

Pure rules, no I/O; the clock is given. Who needs a second factor: anyone holding a staff role, of an
agency (reception, specialist, leader, or the marker officer) or the administrator's (they see citizens'
personal data); citizens sign in with a password as before.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

import pyotp

from .roles import OFFICER
from .roles import STAFF_ROLES as GIVEN_STAFF_ROLES

ISSUER = "DVC Hải Phòng"
STAFF_ROLES = frozenset({OFFICER, *GIVEN_STAFF_ROLES})
# A code is accepted one 30-second step either side of now (clocks of phones drift), never for a step
# at or before the last one the account used (a code works once).
WINDOW = 1
RECOVERY_CODES = 10
# Ten characters from 31 that cannot be mistaken for each other (no 0/o, 1/l/i): about 49 bits each.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 10
TOTP_CODE = re.compile(r"^[0-9]{6}$")
_SEPARATORS = re.compile(r"[\s-]")


def needs_second_factor(roles: Iterable[str]) -> bool:
    return not STAFF_ROLES.isdisjoint(roles)


def new_secret() -> str:
    """160 random bits in base32, the length RFC 4226 recommends."""
    return pyotp.random_base32(32)


def otpauth_uri(secret: str, account: str) -> str:
    """What an authenticator app reads from the QR code: issuer "DVC Hải Phòng", the account's name."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def is_totp_code(code: str) -> bool:
    return bool(TOTP_CODE.match(code.strip()))


def matching_step(secret: str, code: str, now: float, last_step: int | None) -> int | None:
    """The time step whose code ``code`` is, within ``WINDOW`` steps of ``now`` and after ``last_step``
    (the last one the account used); None when there is none."""
    code = code.strip()
    if not TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Every candidate is compared (in constant time), so the answer's timing says nothing of which.
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def new_recovery_codes() -> list[str]:
    """Ten codes like ``7kq2m-xh4tp``, each good for one sign-in without the app."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_key(typed: str) -> str | None:
    """A recovery code as typed (any case, with or without its dash or spaces) in the form it is kept
    under; None when it cannot be one."""
    raw = _SEPARATORS.sub("", typed).lower()
    if len(raw) != RECOVERY_LENGTH or any(c not in RECOVERY_ALPHABET for c in raw):
        return None
    return raw
