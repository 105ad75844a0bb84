"""The signed results (``signatures``): one document a signed file, ``{_id: verification code,
dossier_id, dossier_code, file_id, source_id, file_name, sha256, size, agency_code, agency_name,
signer_name, signer_id, signed_at}``. Found by code (the stamp's QR link) or by digest (an uploaded file)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from dvckit.mongo import Repository, Session

from .store import SIGNATURES


class SignatureStore(Repository):
    collection = SIGNATURES

    async def add(self, record: dict[str, Any], session: Session | None = None) -> bool:
        """Insert ``record``; False when its code is taken already (the caller draws another)."""
        try:
            await self.coll.insert_one(record, session=session)
        except DuplicateKeyError:
            return False
        return True

    async def by_code(self, code: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"_id": code})

    async def by_sha256(self, sha256: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"sha256": sha256})

    async def remove(self, codes: list[str], session: Session | None = None) -> int:
        if not codes:
            return 0
        return (await self.coll.delete_many({"_id": {"$in": codes}}, session=session)).deleted_count
