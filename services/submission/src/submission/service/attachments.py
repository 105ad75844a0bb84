"""Step 2: files for each dossier component, streamed to object storage.

An upload goes from the request to S3 in chunks (one multipart part in memory at most), its real type
read from its first bytes and checked against the component's accepted types, its size checked against
the component's and the dossier's limits as it streams, its SHA-256 computed on the way. The object is
stored under a random key; the citizen's file name is kept only for display. Metadata is written after
the object is complete, so no attachment points to a missing object; an object whose upload never
finished (a crash) stays listed in the dossier's ``uploading`` and is removed by the cleanup.

The file count is enforced where it cannot race: an upload reserves its slot (``uploading``) with a
conditional update counting the files and the uploads in progress, before its first byte goes to S3.

During a supplement (status 5) the filed dossier is not a draft again: a citizen may add files, take
back an addition of this supplement before resubmitting, and replace the files of the components the
officer named (the replaced file moves to ``superseded``, object kept). Every such change is a history
entry with its ``change``; a filed file of a component not named cannot be removed.

The form reaches a use case as its parts (``dvckit.formstream`` events), read under ``FormLimits``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dvckit import formstream, logs
from dvckit.errors import Invalid, Problem, Text

from ..adapters.dossiers import DossierRepository
from ..adapters.objects import ObjectWriter, StorageUnavailable
from ..config import Settings
from ..domain.files import MIME, SNIFF_BYTES, accepted, detect, display_name
from ..domain.model import Actor, Attachment, Dossier, Pending, Superseded
from ..domain.procedure import Component
from ..domain.status import Status
from .dossiers import Dossiers
from .errors import (
    CHANGED,
    CHANGED_DURING_UPLOAD,
    EMPTY,
    FILED,
    NO_FILE,
    NOT_DRAFT,
    NOT_FOUND,
    ONE_FILE,
    storage_down,
)
from .files import ObjectFiles

log = logs.get(__name__)
Parts = AsyncIterator[formstream.Event]

# The result document an officer attaches when the dossier is finished.
RESULT_COMPONENT = Component(
    id="result", file_types=["pdf", "docx", "jpg", "png"], max_bytes=100 * 1024 * 1024
)
DEFAULT_TYPES = ["pdf", "jpg", "png", "docx", "xlsx"]
# Headers and boundaries of a form's few parts fit in FORM_OVERHEAD.
FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class FormLimits:
    """How much of a form is read: the body, its text fields, its files (``dvckit.formstream.events``)."""

    max_body: int
    max_fields: int
    max_files: int = 1


# An officer's result form: the document, a note (and the fields an action's JSON body also takes).
RESULT_FORM = FormLimits(max_body=int(RESULT_COMPONENT.max_bytes or 0) + FORM_OVERHEAD, max_fields=4)

STORAGE_DOWN = storage_down("gửi lại tệp", "upload the file again")


def _too_large(limit: int, vi: str, en: str) -> Problem:
    return Problem(413, "file-too-large", Text(vi, en), extra={"limit_bytes": limit})


def refused_type(kind: str | None, allowed: Sequence[str]) -> Problem:
    """A file whose real type (``kind``, from its first bytes) the component does not take."""
    return Problem(
        415,
        "file-type-refused",
        Text(
            f"Loại tệp không được chấp nhận. Chấp nhận: {', '.join(allowed)}",
            f"This type of file is not accepted. Accepted: {', '.join(allowed)}",
        ),
        extra={"detected": kind, "accepted": allowed},
    )


def _too_many_files(limit: int) -> Problem:
    text = Text("Hồ sơ đã có quá nhiều tệp", "The dossier has too many files")
    return Problem(409, "too-many-files", text, extra={"limit": limit})


def _unknown_component(components: dict[str, Component]) -> Problem:
    return Problem(
        422,
        "unknown-component",
        Text(
            "Thành phần hồ sơ không hợp lệ (gửi component_id trước tệp)",
            "Unknown dossier component (send component_id before the file)",
        ),
        extra={"components": sorted(components)},
    )


def _file_name(event: formstream.FileStart) -> str:
    try:
        return display_name(event.filename)
    except Invalid as e:
        raise Problem(
            422, "bad-file-name", Text("Tên tệp không hợp lệ", "Invalid file name"), e.text
        ) from None


async def _file_chunks(parts: Parts) -> AsyncIterator[bytes]:
    """The current file's data, read on from the form up to the file's end."""
    async for event in parts:
        if isinstance(event, formstream.FileData):
            yield event.data
        elif isinstance(event, formstream.FileEnd):
            return


@dataclass
class _Incoming:
    """One file on its way to the store: where it goes and what it may be."""

    d: Dossier
    component: Component
    name: str
    room: int
    limit: int
    slot: bool  # a citizen's file takes one of the dossier's slots; the result document does not
    id: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.key = f"dossiers/{self.d.id}/{self.id}"

    def check(self, size: int) -> None:
        if size > self.limit:
            mb = self.limit // (1024 * 1024)
            raise _too_large(self.limit, f"Tệp vượt quá giới hạn {mb} MB", f"The file exceeds {mb} MB")
        if size > self.room:
            vi, en = "Tổng dung lượng hồ sơ vượt quá giới hạn", "The dossier's files exceed the total limit"
            raise _too_large(self.room, vi, en)


@dataclass(eq=False, repr=False)
class Attachments:
    s: Settings
    repo: DossierRepository
    files: ObjectFiles
    dossiers: Dossiers
    # A citizen's form: the file and its component_id.
    upload_form: FormLimits = field(init=False)

    def __post_init__(self) -> None:
        self.upload_form = FormLimits(max_body=self.s.max_file_bytes + FORM_OVERHEAD, max_fields=2)

    async def upload(self, who: Actor, dossier_id: str, parts: Parts, component_id: str | None) -> Attachment:
        d = await self.dossiers.owned(who, dossier_id, change=True)
        if not d.editable:
            raise NOT_DRAFT
        if len(d.attachments) >= self.s.max_files:  # the cheap early answer; the reservation decides
            raise _too_many_files(self.s.max_files)
        components = {c.id: c for c in d.procedure.components}
        result: Attachment | None = None
        async for event in parts:
            if isinstance(event, formstream.Field) and event.name == "component_id":
                component_id = event.value.strip()
            elif isinstance(event, formstream.FileStart):
                if event.name != "file" or result is not None:
                    raise ONE_FILE
                component = components.get(component_id or "")
                if component is None:
                    raise _unknown_component(components)
                incoming = self._incoming(d, component, _file_name(event), slot=True)
                result = await self._record(who, d, await self._store(incoming, parts))
        if result is None:
            raise NO_FILE
        return result

    def _incoming(self, d: Dossier, component: Component, name: str, *, slot: bool) -> _Incoming:
        limit = min(int(component.max_bytes or self.s.max_file_bytes), self.s.max_file_bytes)
        room = self.s.max_dossier_bytes - d.total_bytes if slot else self.s.max_file_bytes
        return _Incoming(d, component, name, room=room, limit=limit, slot=slot)

    async def _store(self, f: _Incoming, parts: Parts) -> Attachment:
        """Consume the file's events from the open form (the caller's loop then goes on) into an object;
        its metadata, for the caller to write."""
        head = bytearray()
        sha = hashlib.sha256()
        writer: ObjectWriter | None = None
        size = 0
        try:
            async for chunk in _file_chunks(parts):
                size += len(chunk)
                f.check(size)
                sha.update(chunk)
                if writer is not None:
                    await writer.write(chunk)
                    continue
                head += chunk
                if len(head) >= SNIFF_BYTES:
                    writer = await self._begin(f, bytes(head))
                    await writer.write(bytes(head))
                    head.clear()
            if size == 0:
                raise EMPTY
            if writer is None:  # a small file: all of it is the head
                writer = await self._begin(f, bytes(head))
                await writer.write(bytes(head))
            await writer.complete()
        except Exception as e:
            if writer is not None:
                await self._abandon(writer, f)
            if isinstance(e, StorageUnavailable | OSError):
                log.warning("object storage failed during an upload", error=repr(e)[:200])
                raise STORAGE_DOWN from None
            raise
        return Attachment(
            id=f.id,
            component_id=f.component.id,
            name=f.name,
            size=size,
            sha256=sha.hexdigest(),
            content_type=writer.content_type,
            key=f.key,
            uploaded_at=datetime.now(UTC),
        )

    async def _begin(self, f: _Incoming, head: bytes) -> ObjectWriter:
        """Check the file's real type from its ``head`` and list the upload on the dossier."""
        kind = detect(head)
        allowed = f.component.file_types or DEFAULT_TYPES
        if not accepted(kind, allowed):
            raise refused_type(kind, allowed)
        assert kind is not None
        pending = Pending(id=f.id, key=f.key, started_at=datetime.now(UTC))
        if not await self.repo.reserve(f.d, pending, max_files=self.s.max_files if f.slot else None):
            if await self.repo.status_of(f.d.id) != f.d.status:
                raise CHANGED
            raise _too_many_files(self.s.max_files)
        return self.files.objects.writer(f.key, MIME.get(kind, "application/octet-stream"))

    async def _abandon(self, writer: ObjectWriter, f: _Incoming) -> None:
        try:
            await writer.abort()
            await self.repo.release(f.d.id, f.id)
        except Exception as e:  # the cleanup will find it listed as uploading
            log.warning("could not abandon an upload", error=repr(e)[:200])

    async def _record(self, who: Actor, d: Dossier, att: Attachment) -> Attachment:
        """The stored file's metadata on the dossier (with a history entry during a supplement)."""
        supplement = d.status == Status.SUPPLEMENT_REQUESTED
        entry = d.file_change(who, "file_added", att, att.uploaded_at) if supplement else None
        if not await self.repo.add_file(
            d, att, entry, max_bytes=self.s.max_dossier_bytes, max_files=self.s.max_files
        ):  # submitted or filled up by a concurrent request meanwhile
            await self.files.delete(att.key)
            await self.repo.release(d.id, att.id)
            raise CHANGED_DURING_UPLOAD
        log.info("attachment stored", dossier_id=d.id, attachment_id=att.id, size=att.size)
        return att

    async def delete(self, who: Actor, dossier_id: str, attachment_id: str) -> None:
        d = await self.dossiers.owned(who, dossier_id, change=True)
        if not d.editable:
            raise NOT_DRAFT
        att = next((a for a in d.attachments if a.id == attachment_id), None)
        if att is None:
            raise NOT_FOUND
        now = datetime.now(UTC)
        try:
            kind = d.removal(att)
        except ValueError:
            raise FILED from None
        entry = d.file_change(who, kind, att, now) if kind else None
        kept = Superseded(**att.model_dump(), superseded_at=now) if kind == "file_superseded" else None
        if not await self.repo.remove_file(d, att, entry, kept):
            await self._explain(who, dossier_id, attachment_id)
        if kept is not None:
            log.info("attachment superseded", dossier_id=dossier_id, attachment_id=attachment_id)
            return
        # Metadata first, object second: a failure here leaves an unreferenced object, never a
        # reference to a missing one.
        await self.files.delete(att.key)

    async def _explain(self, who: Actor, dossier_id: str, attachment_id: str) -> None:
        """Why a guarded change to a file matched nothing: the truthful 404 or 409, never a 204."""
        fresh = await self.dossiers.owned(who, dossier_id)
        if not fresh.editable:
            raise NOT_DRAFT
        if not any(a.id == attachment_id for a in fresh.attachments):
            raise NOT_FOUND
        raise CHANGED

    async def receive_result(self, d: Dossier, parts: Parts) -> tuple[Attachment | None, dict[str, str]]:
        """An officer's form: text fields and, optionally, one result document (stored as an object only:
        its metadata goes in with the status change)."""
        fields: dict[str, str] = {}
        result: Attachment | None = None
        async for event in parts:
            if isinstance(event, formstream.Field):
                fields[event.name] = event.value
            elif isinstance(event, formstream.FileStart):
                if event.name != "file" or result is not None:
                    raise ONE_FILE
                result = await self._store(
                    self._incoming(d, RESULT_COMPONENT, _file_name(event), slot=False), parts
                )
        return result, fields
