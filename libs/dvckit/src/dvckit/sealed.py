"""Secrets that must cross the event bus or rest in a database, sealed (one-time codes).

A one-time code goes from the auth service to the citizen through an outbox record, a RabbitMQ message
and a delivery record of the notification service. Each of those is kept for a while (the outbox a
week, for audit), so the code travels sealed: Fernet (AES-128-CBC and HMAC-SHA256, with the time it was
sealed) under a key both services derive from one shared passphrase (``DVC_SEAL_KEY``). Only the service
that sends the message opens it, at the moment it sends, and a sealed code older than its lifetime no
longer opens.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "Sealer"]


class Sealer:
    def __init__(self, passphrase: str) -> None:
        # HKDF turns any passphrase into the 32 bytes Fernet needs; the info string keeps this key
        # apart from anything else derived from the same secret.
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dvc sealed v1").derive(
            passphrase.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str, *, max_age_seconds: int | None = None) -> str:
        """The secret; raises :class:`InvalidToken` if it was tampered with, sealed under another key,
        or is older than ``max_age_seconds``."""
        return self._fernet.decrypt(sealed.encode("ascii"), ttl=max_age_seconds).decode()
