"""The dossiers' objects: downloads, removal with their dossier, and the housekeeping that removes
abandoned drafts and the objects of uploads that never finished (a crash between the object store and
the database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from dvckit import logs

from ..adapters.dossiers import DossierRepository
from ..adapters.objects import Objects, StorageUnavailable
from ..adapters.store import STALE_UPLOAD
from ..config import Settings
from ..domain.model import Attachment, Dossier
from .errors import NOT_FOUND, storage_down

log = logs.get(__name__)

STORAGE_DOWN_READ = storage_down("thử lại sau", "try again later")


class ObjectFiles:
    def __init__(self, settings: Settings, repo: DossierRepository, objects: Objects) -> None:
        self.s = settings
        self.repo = repo
        self.objects = objects

    async def download(
        self, d: Dossier, attachment_id: str, *, results: bool = False, proposed: bool = False
    ) -> tuple[Attachment, AsyncIterator[bytes]]:
        # A replaced file stays part of the record: its owner and the officers still read it. The proposed
        # (unsigned) results are the officers' only.
        files = (
            [*d.results, *(d.proposed if proposed else ())] if results else [*d.attachments, *d.superseded]
        )
        att = next((a for a in files if a.id == attachment_id), None)
        if att is None:
            raise NOT_FOUND
        try:
            return att, await self.objects.read(att.key)
        except StorageUnavailable as e:
            log.warning("object storage failed for a download", error=str(e))
            raise STORAGE_DOWN_READ from None

    async def delete(self, key: str, what: str = "an object") -> bool:
        """Delete one object; a failure is logged (the object is left, unreferenced)."""
        try:
            await self.objects.delete(key)
        except StorageUnavailable as e:
            log.warning(f"could not delete {what}", key=key, error=str(e))
            return False
        return True

    async def forget(self, d: Dossier) -> None:
        """The objects of a deleted dossier: its files and its uploads in progress."""
        for key in [*(a.key for a in d.attachments), *(u.key for u in d.uploading)]:
            await self.delete(key)

    # -- housekeeping ------------------------------------------------------------------------------
    async def cleanup(self, now: datetime | None = None) -> dict[str, int]:
        """Remove drafts untouched for ``draft_ttl_days`` with their files, and objects of uploads that
        never finished."""
        now = now or datetime.now(UTC)
        drafts = 0
        for d in await self.repo.stale_drafts(now - timedelta(days=self.s.draft_ttl_days)):
            if await self.repo.delete_stale_draft(d):
                await self.forget(d)
                drafts += 1
        stale = 0
        for u in await self.repo.stale_uploads(now - STALE_UPLOAD):
            if await self.delete(u.key, "a stale object"):
                await self.repo.release(u.dossier_id, u.id)
                stale += 1
        if drafts or stale:
            log.info("cleanup", drafts=drafts, stale_uploads=stale)
        return {"drafts": drafts, "stale_uploads": stale}
