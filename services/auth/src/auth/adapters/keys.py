"""Signing keys: RS256 key pairs kept in MongoDB (private halves encrypted), rotated without downtime.

Exactly one key is active (the newest not retired); it signs new tokens. A retired key stays in the
JWKS until every token it signed has expired (access TTL plus leeway), so rotation never logs anyone
out. Every replica reads the keys from the database and reloads them every ``key_reload_seconds``.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pymongo.asynchronous.database import AsyncDatabase

from dvckit import logs
from dvckit.auth import Principal
from dvckit.runtime import Runtime

from ..config import Settings
from .store import SIGNING_KEYS

log = logs.get(__name__)
JWKS_FRESH_S = 1.0


def _generate(bits: int, passphrase: bytes) -> tuple[str, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()
    public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return pem, public_jwk


@functools.cache
def _spki_of(n: str, e: str) -> str:
    public = jwt.algorithms.RSAAlgorithm.from_jwk({"kty": "RSA", "n": n, "e": e})
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _spki(jwk: dict[str, Any]) -> str:
    return _spki_of(jwk["n"], jwk["e"])


class KeyStore:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.rt = rt
        self.db: AsyncDatabase[Any] = rt.db
        self.coll = rt.db[SIGNING_KEYS]
        self.settings = settings
        self.passphrase = settings.key_passphrase.get_secret_value().encode()
        self.access_ttl = timedelta(seconds=settings.access_ttl_seconds)
        self.grace = timedelta(seconds=settings.key_retire_grace_seconds)
        self._docs: list[dict[str, Any]] = []
        self._private: dict[str, Any] = {}
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    # -- reading -----------------------------------------------------------------------------------
    async def load(self) -> None:
        docs = await self.coll.find().sort([("created_at", -1), ("_id", 1)]).to_list()
        self._docs = docs
        self._loaded_at = time.monotonic()

    async def _fresh(self, max_age: float | None = None) -> None:
        max_age = self.settings.key_reload_seconds if max_age is None else max_age
        if time.monotonic() - self._loaded_at > max_age:
            async with self._lock:
                if time.monotonic() - self._loaded_at > max_age:
                    await self.load()

    def _active(self) -> dict[str, Any] | None:
        return next((d for d in self._docs if d.get("retired_at") is None), None)

    async def jwks(self) -> dict[str, Any]:
        # Published as the database has them, not as this replica last read them: a verifier asks when it
        # meets a key it does not know, and another replica may have made that key a moment ago (two
        # replicas starting together each make one); a stale answer would refuse its tokens until the
        # verifier may ask again. Verifiers cache the answer, so this costs a read a second at most.
        await self._fresh(max_age=JWKS_FRESH_S)
        now = datetime.now(UTC)
        keys = []
        for d in self._docs:
            retired = d.get("retired_at")
            if retired is None or retired + self.access_ttl + self.grace > now:
                keys.append({**d["public_jwk"], "kid": d["_id"], "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    async def spki(self) -> dict[str, Any]:
        """The same keys as DER SubjectPublicKeyInfo (base64): the form the gateway's njs can import
        (its WebCrypto takes no RSA JWK)."""
        jwks = await self.jwks()
        return {"keys": [{"kid": k["kid"], "alg": k["alg"], "spki": _spki(k)} for k in jwks["keys"]]}

    async def sign(self, claims: dict[str, Any]) -> str:
        await self._fresh()
        active = self._active()
        if active is None:  # someone retired the last key between our reloads
            await self.load()
            active = self._active()
        if active is None:
            raise RuntimeError("no active signing key")
        kid = active["_id"]
        key = self._private.get(kid)
        if key is None:
            key = await anyio.to_thread.run_sync(
                lambda: serialization.load_pem_private_key(active["private_pem"].encode(), self.passphrase)
            )
            self._private[kid] = key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    # -- writing -----------------------------------------------------------------------------------
    async def _new_doc(self) -> dict[str, Any]:
        pem, public_jwk = await anyio.to_thread.run_sync(_generate, self.settings.key_bits, self.passphrase)
        return {
            "_id": uuid.uuid4().hex[:16],
            "private_pem": pem,
            "public_jwk": public_jwk,
            "created_at": datetime.now(UTC),
            "retired_at": None,
        }

    async def rotate(self, *, expected_active: str | None = None, who: Principal | None = None) -> str | None:
        """Make a new key active and retire the current one, in one transaction. With
        ``expected_active``, does nothing (returns None) if another replica rotated first. ``who``: the
        administrator who asked (recorded in the audit trail in the same transaction)."""
        await self.load()
        current = self._active()
        if expected_active is not None and (current is None or current["_id"] != expected_active):
            return None
        doc = await self._new_doc()

        async def txn(session: Any) -> bool:
            if current is not None:
                res = await self.coll.update_one(
                    {"_id": current["_id"], "retired_at": None},
                    {"$set": {"retired_at": doc["created_at"]}},
                    session=session,
                )
                if res.modified_count == 0:
                    return False
            # Replicas starting together may each have made a first key: keep only the newest active.
            await self.coll.update_many(
                {"retired_at": None}, {"$set": {"retired_at": doc["created_at"]}}, session=session
            )
            await self.coll.insert_one(doc, session=session)
            if who is not None:
                await self.rt.audit.add(
                    session,
                    who,
                    kind="change",
                    action="signing_key.rotated",
                    target_type="signing_key",
                    target_id=str(doc["_id"]),
                    before={"active": current["_id"] if current else None},
                    after={"active": doc["_id"]},
                )
            return True

        if not await self.rt.transaction(txn):
            return None
        await self.load()
        log.info("signing key rotated", kid=doc["_id"], retired=current and current["_id"])
        return str(doc["_id"])

    async def ensure(self) -> None:
        """At start-up: make the first key, or rotate one older than ``key_rotation_days``."""
        await self.load()
        active = self._active()
        if active is None:
            await self.rotate()
        elif self.settings.key_rotation_days > 0:
            age = datetime.now(UTC) - active["created_at"]
            if age > timedelta(days=self.settings.key_rotation_days):
                await self.rotate(expected_active=active["_id"])
        await self.load()
