"""The search vocabulary's use cases: seed it, keep the compiled vocabulary every search reads current,
and let administrators create, change and delete entries (versioned, audited and published as
``vocabulary.changed.v1`` in the same transaction).

Applied at query time only (``domain.vocabulary``), so a change costs no index rebuild: the replica that
made it searches with it before it answers; every other replica on its next look at the vocabulary's
revision (the catalogue's watch, every 2 s). ``vocabulary.changed.v1`` is for other consumers: the catalog
has no event consumer (no worker process in its deployments), and its watch already reads one revision."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from dvckit import logs
from dvckit.audit import changes
from dvckit.auth import Principal
from dvckit.contracts import VocabularyChangedV1
from dvckit.errors import Problem, Text
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.vocabulary import TermStore
from ..domain import vocabulary as vocab
from ..domain.vocabulary import Term, Vocabulary

log = logs.get(__name__)

NOT_FOUND = Problem(404, "vocabulary-not-found", Text("Không có mục từ này", "No such vocabulary entry"))


def version_conflict(current: int) -> Problem:
    return Problem(
        412,
        "version-conflict",
        Text("Mục từ đã được người khác sửa; vui lòng tải lại", "Changed by someone else; reload"),
        extra={"current_version": current},
    )


class Terms:
    def __init__(self, rt: Runtime, store: TermStore) -> None:
        self.rt = rt
        self.store = store
        self.current: Vocabulary = vocab.default()
        self.revision = 0
        self._reading = asyncio.Lock()

    async def start(self) -> None:
        terms, _stop = vocab.seed_file()
        added = await self.store.seed(terms)
        await self.refresh(force=True)
        log.info("search vocabulary ready", seeded=added, entries=len(self.current), revision=self.revision)

    async def refresh(self, *, force: bool = False) -> bool:
        """Read the vocabulary again if its revision moved. True when it did."""
        async with self._reading:
            revision = await self.store.revision()
            if revision == self.revision and not force:
                return False
            terms = await self.store.all()
            _seed, stop = vocab.seed_file()
            self.current = await asyncio.to_thread(Vocabulary, terms, stop, str(revision))
            self.revision = revision
            return True

    # -- reading -----------------------------------------------------------------------------------
    def list(self, *, kind: str | None, q: str | None) -> list[dict[str, Any]]:
        needle = " ".join(vocab.plain_words(q)) if q else ""
        out = []
        for t in sorted(self.current.terms.values(), key=lambda t: t.id):
            if kind and t.kind != kind:
                continue
            if needle and needle not in " ".join(vocab.plain_words(" ".join([t.id, *t.terms, *t.means]))):
                continue
            out.append(public(t))
        return out

    async def get(self, term_id: str) -> Term:
        t = await self.store.get(term_id)
        if t is None:
            raise NOT_FOUND
        return t

    # -- administration ----------------------------------------------------------------------------
    async def put(
        self, term_id: str, fields: dict[str, Any], expected: int | None, who: Principal
    ) -> tuple[Term, bool]:
        """Create the entry ``term_id`` or change it (a new version). (entry, created)."""

        async def txn(session: Session) -> tuple[Term, bool]:
            old = await self.store.get(term_id, session)
            if expected is not None and (old is None or expected != old.version):
                raise version_conflict(old.version if old else 0)
            try:
                new = Term.model_validate(
                    {**fields, "id": term_id, "version": 1 if old is None else old.version + 1}
                )
            except ValueError as e:
                raise Problem(422, "vocabulary-invalid", Text("Mục từ không hợp lệ", str(e)[:300])) from None
            revision = await self.store.put(old, new, who.sub, session)
            if revision is None:
                raise version_conflict(old.version if old else 1)
            await self._changed(session, new, "created" if old is None else "updated", revision)
            await self._audit(session, who, old, new, "term.created" if old is None else "term.changed")
            return new, old is None

        got = await self.rt.transaction(txn)
        await self.refresh()
        return got

    async def delete(self, term_id: str, expected: int | None, who: Principal) -> Term:
        async def txn(session: Session) -> Term:
            old = await self.store.get(term_id, session)
            if old is None:
                raise NOT_FOUND
            if expected is not None and expected != old.version:
                raise version_conflict(old.version)
            revision = await self.store.put(old, None, who.sub, session)
            if revision is None:
                raise version_conflict(old.version)
            await self._changed(session, old, "deleted", revision)
            await self._audit(session, who, old, None, "term.deleted")
            return old

        got = await self.rt.transaction(txn)
        await self.refresh()
        return got

    async def _audit(
        self, session: Session, who: Principal, old: Term | None, new: Term | None, action: str
    ) -> None:
        """The administrator's change of the vocabulary in the audit trail, before → after."""
        was, now = changes(
            old.model_dump(mode="json") if old else None, new.model_dump(mode="json") if new else None
        )
        target = (new or old).id  # type: ignore[union-attr]
        await self.rt.audit.add(
            session,
            who,
            kind="change",
            action=action,
            target_type="vocabulary_term",
            target_id=target,
            before=was,
            after=now,
        )

    async def _changed(
        self, session: Session, t: Term, change: Literal["created", "updated", "deleted"], revision: int
    ) -> None:
        await self.rt.outbox.add(
            session,
            VocabularyChangedV1(
                id=t.id,
                version=t.version,
                change=change,
                kind=t.kind,
                terms=t.terms,
                means=t.means,
                weight=t.weight,
                revision=revision,
            ),
        )


def public(t: Term) -> dict[str, Any]:
    return t.model_dump(mode="json")
