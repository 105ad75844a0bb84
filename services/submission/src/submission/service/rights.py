"""A citizen's rights over their data (docs/auth.md, "Your data"): what the submission service holds
about them, for their export; whether they still have a dossier in hand (their account is not closed
then); and what happens to their dossiers when they close it (``user.closed.v1``): drafts deleted with
their files, filed dossiers kept as the archive law requires (Luật Lưu trữ 2024, Decree 45/2020/NĐ-CP:
an electronic dossier is kept for its retention period, its applicant data part of the record)."""

from __future__ import annotations

from dvckit import logs
from dvckit.consumer import after_commit
from dvckit.contracts import UserClosedV1
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.paging import Window
from dvckit.runtime import Runtime

from ..adapters.dossiers import DossierRepository
from ..domain.model import Actor, Dossier
from ..domain.status import Status
from .files import ObjectFiles

log = logs.get(__name__)

# Filed and not yet finished for the citizen: the agency still works on it, or the result waits to be
# returned (9). Closing the account then would leave nobody to tell.
IN_HAND = frozenset(
    {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.PROCESSING,
        Status.SUPPLEMENT_REQUESTED,
        Status.PAYMENT_REQUESTED,
        Status.FINISHED,
    }
)


class Rights:
    def __init__(self, rt: Runtime, repo: DossierRepository, files: ObjectFiles) -> None:
        self.rt = rt
        self.repo = repo
        self.files = files

    async def own(self, who: Actor, *, window: Window) -> tuple[list[Dossier], int]:
        """The caller's own dossiers (drafts too), newest first. An organisation's are the
        organisation's data, not the member's."""
        return await self.repo.of_owner(who.id, status=None, window=window)

    async def in_hand(self, who: Actor) -> dict[str, int]:
        """How many of the caller's own dossiers are still in hand, and how many drafts they have."""
        return {
            "in_hand": await self.repo.count_own(who.id, [s.value for s in IN_HAND]),
            "drafts": await self.repo.count_own(who.id, [Status.DRAFT.value]),
        }

    async def on_user_closed(self, e: UserClosedV1, env: Envelope, session: Session) -> None:
        """The account was closed: its drafts go, with their files (after the commit: an object store
        joins no transaction; one that fails is logged and left unreferenced, like a deleted draft's).
        Filed dossiers stay, whatever their status."""
        drafts = await self.repo.own_drafts(e.user_id, session)
        if not drafts:
            return
        await self.repo.delete_drafts([d.id for d in drafts], session)

        async def forget() -> None:
            for d in drafts:
                await self.files.forget(d)

        after_commit(lambda: self.rt.background(forget(), "closed account's drafts' files"))
        log.info("closed account's drafts deleted", drafts=len(drafts))
