"""Resumable uploads (tus 1.0: creation, termination, checksum, expiration) of a dossier's files.

Creation checks what the plain upload checks before its first byte (the caller may change the dossier,
the component exists, the declared length fits the component's and the dossier's limits, the file
count, the type the name says) and starts the S3 multipart upload. Each PATCH streams its body into S3
parts (one part in memory at most, ``adapters/uploads.py``); the real type is read from the first bytes
as they arrive; the finished file's SHA-256 is hashed on the way (a PATCH from byte 0 to the end) or read
back from the object with its type again (several PATCHes: hashlib's state cannot be kept between them). The
finished upload becomes a file of the dossier with ``attach`` (the attachments route naming the upload
id): the same record, limits and history entry as a file uploaded in one request.

A PATCH the client breaks off keeps what arrived (the point of tus); one with ``Upload-Checksum`` keeps
nothing unless its whole body matched. An upload not written for ``upload_ttl_seconds`` expires: the
cleanup aborts its multipart upload, removes its tail and leaves a tombstone answering 410 for a week."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit import logs
from dvckit.errors import Invalid, Problem, Text

from ..adapters.dossiers import DossierRepository
from ..adapters.objects import StorageUnavailable
from ..adapters.uploads import Part, UploadObjects, UploadRecord, UploadRepository
from ..config import Settings
from ..domain.files import KINDS, MIME, SNIFF_BYTES, accepted, detect, display_name
from ..domain.model import Actor, Attachment, Pending
from ..domain.status import Status
from .attachments import DEFAULT_TYPES, _too_large, _too_many_files, _unknown_component, refused_type
from .dossiers import Dossiers
from .errors import CHANGED, CHANGED_DURING_UPLOAD, EMPTY, NOT_DRAFT, NOT_FOUND, storage_down

log = logs.get(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,checksum,expiration"
CHECKSUMS: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "md5": hashlib.md5,
}

UPLOAD_NOT_FOUND = Problem(404, "upload-not-found", Text("Không tìm thấy phiên tải tệp", "No such upload"))
GONE = Problem(
    410,
    "upload-gone",
    Text(
        "Phiên tải tệp đã hết hạn hoặc đã bị hủy, vui lòng tải lại từ đầu",
        "The upload expired or was terminated; start it again",
    ),
)
LOCKED = Problem(
    423,
    "upload-locked",
    Text(
        "Tệp đang được tải lên từ một kết nối khác, vui lòng thử lại sau giây lát",
        "Another request is writing this upload; retry in a moment",
    ),
    headers={"Retry-After": "2"},
)
CHECKSUM_MISMATCH = Problem(
    460,
    "checksum-mismatch",
    Text(
        "Dữ liệu nhận được không khớp mã kiểm tra, vui lòng gửi lại đoạn này",
        "The chunk does not match its checksum; send it again",
    ),
)
EXCEEDS = Problem(
    413,
    "upload-length-exceeded",
    Text("Dữ liệu gửi vượt quá độ dài đã khai báo", "More bytes than the upload's declared length"),
)
INCOMPLETE = Problem(
    409,
    "upload-incomplete",
    Text("Tệp chưa tải lên xong", "The upload is not complete yet"),
)
ATTACHED = Problem(
    409,
    "upload-attached",
    Text("Tệp này đã được đính kèm vào hồ sơ", "This upload was attached already"),
)
MISMATCH = Problem(
    422,
    "upload-mismatch",
    Text(
        "Phiên tải tệp thuộc hồ sơ hoặc thành phần khác",
        "The upload belongs to another dossier or component",
    ),
)
STORAGE_DOWN = storage_down("tiếp tục tải tệp sau", "resume the upload later")


def bad_metadata(vi: str, en: str) -> Problem:
    return Problem(400, "bad-upload-metadata", Text(vi, en))


def offset_mismatch(current: int) -> Problem:
    return Problem(
        409,
        "offset-mismatch",
        Text(
            "Vị trí tải không khớp với máy chủ, vui lòng hỏi lại vị trí hiện tại (HEAD)",
            "Upload-Offset does not match the server's; ask for the current offset (HEAD)",
        ),
        extra={"offset": current},
        headers={"Upload-Offset": str(current)},
    )


class Interrupted(Exception):
    """The client went away in the middle of a PATCH body (the API turns its framework's signal into this)."""


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes


def _kind_by_name(name: str) -> str | None:
    """The type a file name claims ("jpg" for "ảnh.JPEG"), None without a known extension."""
    if "." not in name:
        return None
    ext = name.rsplit(".", 1)[1].lower()
    kinds = KINDS.get(ext)
    return next(iter(kinds)) if kinds else None


class Uploads:
    def __init__(
        self,
        settings: Settings,
        repo: UploadRepository,
        objects: UploadObjects,
        dossiers: Dossiers,
        dossier_repo: DossierRepository,
    ) -> None:
        self.s = settings
        self.repo = repo
        self.objects = objects
        self.dossiers = dossiers
        self.dossier_repo = dossier_repo

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self.s.upload_ttl_seconds)

    @property
    def hold(self) -> timedelta:
        return timedelta(seconds=self.s.upload_lock_seconds)

    @property
    def part_bytes(self) -> int:
        return max(self.s.part_bytes, 5 * 1024 * 1024)

    # -- creation ----------------------------------------------------------------------------------
    async def create(self, who: Actor, *, length: int, metadata: dict[str, str]) -> UploadRecord:
        dossier_id = metadata.get("dossier_id", "")
        component_id = metadata.get("component_id", "")
        if not dossier_id or not component_id or "filename" not in metadata:
            raise bad_metadata(
                "Upload-Metadata phải có dossier_id, component_id và filename",
                "Upload-Metadata must carry dossier_id, component_id and filename",
            )
        if len(dossier_id) != 36 or any(c not in "0123456789abcdef-" for c in dossier_id):
            raise NOT_FOUND
        d = await self.dossiers.owned(who, dossier_id, change=True)
        if not d.editable:
            raise NOT_DRAFT
        if len(d.attachments) >= self.s.max_files:
            raise _too_many_files(self.s.max_files)
        components = {c.id: c for c in d.procedure.components}
        component = components.get(component_id)
        if component is None:
            raise _unknown_component(components)
        try:
            name = display_name(metadata.get("filename"))
        except Invalid as e:
            raise Problem(
                422, "bad-file-name", Text("Tên tệp không hợp lệ", "Invalid file name"), e.text
            ) from None
        if length == 0:
            raise EMPTY
        limit = min(int(component.max_bytes or self.s.max_file_bytes), self.s.max_file_bytes)
        if length > limit:
            mb = limit // (1024 * 1024)
            raise _too_large(limit, f"Tệp vượt quá giới hạn {mb} MB", f"The file exceeds {mb} MB")
        room = self.s.max_dossier_bytes - d.total_bytes
        if length > room:
            raise _too_large(
                room,
                "Tổng dung lượng hồ sơ vượt quá giới hạn",
                "The dossier's files exceed the total limit",
            )
        allowed = list(component.file_types or DEFAULT_TYPES)
        by_name = _kind_by_name(name)
        if not accepted(by_name, allowed):
            raise refused_type(by_name, allowed)
        assert by_name is not None
        upload_id = uuid.uuid4().hex
        key = f"dossiers/{d.id}/{upload_id}"
        now = datetime.now(UTC)
        try:
            s3_id = await self.objects.start(key, MIME.get(by_name, "application/octet-stream"))
        except StorageUnavailable as e:
            log.warning("object storage failed creating an upload", error=str(e))
            raise STORAGE_DOWN from None
        rec = UploadRecord(
            id=upload_id,
            owner_id=who.id,
            dossier_id=d.id,
            component_id=component.id,
            accepted=allowed,
            name=name,
            filetype=metadata.get("filetype", "")[:200],
            length=length,
            key=key,
            s3_upload_id=s3_id,
            created_at=now,
            updated_at=now,
            expires_at=now + self.ttl,
        )
        await self.repo.insert(rec)
        log.info("upload created", upload_id=upload_id, dossier_id=d.id, length=length)
        return rec

    # -- reading -----------------------------------------------------------------------------------
    async def mine(self, who: Actor, upload_id: str) -> UploadRecord:
        """The caller's upload; anyone else's is "not found" (its existence is not revealed), one that
        expired, was terminated or refused is gone (410)."""
        rec = await self.repo.get(upload_id)
        if rec is None or rec.owner_id != who.id:
            raise UPLOAD_NOT_FOUND
        if rec.status in ("expired", "terminated", "refused"):
            raise GONE
        if rec.status == "open" and rec.expires_at < datetime.now(UTC):
            raise GONE
        return rec

    # -- writing -----------------------------------------------------------------------------------
    async def patch(
        self,
        who: Actor,
        upload_id: str,
        *,
        offset: int,
        chunks: AsyncIterator[bytes],
        checksum: Checksum | None = None,
        declared: int | None = None,
    ) -> UploadRecord:
        rec = await self.mine(who, upload_id)
        if offset != rec.offset:
            raise offset_mismatch(rec.offset)
        if declared is not None and offset + declared > rec.length:
            raise EXCEEDS
        if rec.status != "open":  # complete (or attached): nothing more to take
            if declared:
                raise EXCEEDS
            return rec
        token = uuid.uuid4().hex
        if not await self.repo.lock(upload_id, offset, token, datetime.now(UTC), self.hold):
            fresh = await self.mine(who, upload_id)
            if fresh.offset != offset:
                raise offset_mismatch(fresh.offset)
            raise LOCKED
        try:
            return await self._write(rec, token, chunks, checksum)
        except StorageUnavailable as e:
            log.warning("object storage failed during a PATCH", upload_id=upload_id, error=str(e))
            await self._unlock(rec, token)
            raise STORAGE_DOWN from None
        except Problem as p:
            if p.code == "file-type-refused":
                await self._refuse(rec, token)
            else:
                await self._unlock(rec, token)
            raise
        except BaseException:
            await self._unlock(rec, token)
            raise

    async def _unlock(self, rec: UploadRecord, token: str) -> None:
        try:
            await self.repo.unlock(rec.id, token)
        except Exception as e:  # the lock expires on its own
            log.warning("could not unlock an upload", upload_id=rec.id, error=repr(e)[:200])

    def _sniff(self, rec: UploadRecord, head: bytes) -> str:
        kind = detect(head)
        if not accepted(kind, rec.accepted):
            raise refused_type(kind, rec.accepted)
        assert kind is not None
        return kind

    async def _write(
        self, rec: UploadRecord, token: str, chunks: AsyncIterator[bytes], checksum: Checksum | None
    ) -> UploadRecord:
        """Stream one PATCH body into parts; record them (as they go when no checksum must be checked
        first, else at the end), and the rest as the new tail."""
        buf = bytearray()
        if rec.tail_key:
            buf += await self.objects.get(rec.tail_key)
        old_tail = rec.tail_key
        committed: list[Part] = list(rec.parts)
        pending: list[Part] = []  # written, not yet recorded (a checksummed PATCH's)
        kind = rec.kind
        hasher = CHECKSUMS[checksum.algorithm]() if checksum else None
        # A body from byte 0 (one PATCH carries the whole file, as most do) is hashed as it passes: the
        # finished object then needs no reading back.
        whole = hashlib.sha256() if rec.offset == 0 else None
        received = 0
        interrupted = False
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                received += len(chunk)
                if rec.offset + received > rec.length:
                    raise EXCEEDS
                if hasher is not None:
                    hasher.update(chunk)
                if whole is not None:
                    whole.update(chunk)
                buf += chunk
                if kind is None and len(buf) >= SNIFF_BYTES:  # no part yet: buf starts at byte 0
                    kind = self._sniff(rec, bytes(buf[:SNIFF_BYTES]))
                while len(buf) >= self.part_bytes:
                    number = len(committed) + len(pending) + 1
                    part = await self.objects.part(
                        rec.key, rec.s3_upload_id, number, bytes(buf[: self.part_bytes])
                    )
                    del buf[: self.part_bytes]
                    pending.append(part)
                    if hasher is None:
                        committed += pending
                        pending = []
                        await self._commit(rec, token, committed, None, 0, kind, hold=True)
                        if old_tail:
                            await self._drop(old_tail)
                            old_tail = None
                    elif not await self.repo.keep(rec.id, token, self.hold):
                        raise await self._lost(rec)
        except Interrupted:
            if hasher is not None:  # an unverified chunk counts for nothing
                raise
            interrupted = True
        if hasher is not None and checksum is not None and hasher.digest() != checksum.digest:
            raise CHECKSUM_MISMATCH
        if received == 0:  # an empty PATCH changes nothing
            await self.repo.unlock(rec.id, token)
            return rec
        committed += pending
        offset = sum(p.size for p in committed) + len(buf)
        if offset == rec.length:
            digest = whole.hexdigest() if whole is not None else None
            return await self._finish(rec, token, committed, bytes(buf), kind, old_tail, digest)
        tail = None
        if buf:
            tail = f"uploads/{rec.id}/tail-{uuid.uuid4().hex}"
            await self.objects.put(tail, bytes(buf))
        await self._commit(rec, token, committed, tail, len(buf), kind, hold=False)
        if old_tail and old_tail != tail:
            await self._drop(old_tail)
        log.info(
            "upload chunk",
            upload_id=rec.id,
            offset=offset,
            received=received,
            interrupted=interrupted,
        )
        return rec.model_copy(
            update={
                "offset": offset,
                "parts": committed,
                "tail_key": tail,
                "tail_size": len(buf),
                "kind": kind,
            }
        )

    async def _commit(
        self,
        rec: UploadRecord,
        token: str,
        parts: list[Part],
        tail: str | None,
        tail_size: int,
        kind: str | None,
        *,
        hold: bool,
    ) -> None:
        ok = await self.repo.commit(
            rec.id,
            token,
            parts=parts,
            tail_key=tail,
            tail_size=tail_size,
            offset=sum(p.size for p in parts) + tail_size,
            kind=kind,
            expires_at=datetime.now(UTC) + self.ttl,
            hold=self.hold if hold else None,
        )
        if not ok:
            if tail:
                await self._drop(tail)
            raise await self._lost(rec)

    async def _lost(self, rec: UploadRecord) -> Problem:
        """Why a write by the lock's holder matched nothing: terminated or expired meanwhile (410), or the
        lock was taken over after it lapsed (423)."""
        fresh = await self.repo.get(rec.id)
        return LOCKED if fresh is not None and fresh.status == "open" else GONE

    async def _finish(
        self,
        rec: UploadRecord,
        token: str,
        parts: list[Part],
        last: bytes,
        kind: str | None,
        old_tail: str | None,
        digest: str | None = None,
    ) -> UploadRecord:
        """The last bytes arrived: the last part, CompleteMultipartUpload, and the object's SHA-256:
        ``digest`` when this PATCH hashed the whole file as it passed (its first bytes were sniffed on
        the way, and S3 assembled exactly the parts whose ETags it gave), else read back from the object,
        whose type is then read again from its first bytes."""
        if kind is None:
            kind = self._sniff(rec, last[:SNIFF_BYTES])
        if last or not parts:
            parts = [*parts, await self.objects.part(rec.key, rec.s3_upload_id, len(parts) + 1, last)]
        await self.objects.complete(rec.key, rec.s3_upload_id, parts)
        if digest is None:
            sha = hashlib.sha256()
            head = bytearray()
            size = 0
            async for chunk in await self.objects.read(rec.key):
                sha.update(chunk)
                size += len(chunk)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
            if size != rec.length or not accepted(detect(bytes(head)), rec.accepted):
                await self._refuse(rec, token, stored=True)
                raise refused_type(detect(bytes(head)), rec.accepted)
            digest = sha.hexdigest()
        done = await self.repo.set_status(
            rec.id,
            "complete",
            only_from=("open",),
            token=token,
            extra={
                "parts": [p.model_dump() for p in parts],
                "offset": rec.length,
                "tail_key": None,
                "tail_size": 0,
                "kind": kind,
                "sha256": digest,
                "expires_at": datetime.now(UTC) + self.ttl,
                "lock": None,
                "lock_until": None,
            },
        )
        if old_tail:
            await self._drop(old_tail)
        if done is None:  # terminated meanwhile: the object goes too
            await self._drop(rec.key)
            raise GONE
        log.info("upload complete", upload_id=rec.id, size=rec.length)
        return done

    async def _drop(self, key: str) -> None:
        try:
            await self.objects.delete(key)
        except StorageUnavailable as e:
            log.warning("could not delete an upload's object", key=key, error=str(e))

    async def _discard(self, rec: UploadRecord, *, stored: bool) -> None:
        """Everything of the upload in S3: its parts, its tail, the object once complete."""
        try:
            await self.objects.abort(rec.key, rec.s3_upload_id)
        except StorageUnavailable as e:
            log.warning("could not abort a multipart upload", upload_id=rec.id, error=str(e))
        fresh = await self.repo.get(rec.id)
        tail = fresh.tail_key if fresh is not None else rec.tail_key
        if tail:
            await self._drop(tail)
        if stored:
            await self._drop(rec.key)

    async def _refuse(self, rec: UploadRecord, token: str, *, stored: bool = False) -> None:
        """A file of a refused type: nothing of it is kept, and the upload is gone."""
        await self._discard(rec, stored=stored)
        await self.repo.set_status(rec.id, "refused", only_from=("open",))
        log.info("upload refused by type", upload_id=rec.id)

    # -- termination and expiry --------------------------------------------------------------------
    async def terminate(self, who: Actor, upload_id: str) -> None:
        rec = await self.mine(who, upload_id)
        if rec.status == "attached":
            raise ATTACHED
        done = await self.repo.set_status(upload_id, "terminated", only_from=("open", "complete"))
        if done is None:
            raise await self._gone_or_attached(upload_id)
        await self._discard(rec, stored=rec.status == "complete")
        log.info("upload terminated", upload_id=upload_id)

    async def _gone_or_attached(self, upload_id: str) -> Problem:
        fresh = await self.repo.get(upload_id)
        return ATTACHED if fresh is not None and fresh.status == "attached" else GONE

    async def expire(self, now: datetime | None = None) -> dict[str, int]:
        """Uploads not written for ``upload_ttl_seconds`` (complete but never attached too): their parts,
        tails and objects removed, their records left as tombstones (410) for a week."""
        now = now or datetime.now(UTC)
        expired = 0
        for rec in await self.repo.expired(now):
            gone = await self.repo.set_status(
                rec.id, "expired", only_from=(rec.status,), extra={"parts": [], "tail_key": None}
            )
            if gone is None:
                continue
            await self._discard(rec, stored=rec.status == "complete")
            if rec.tail_key:
                await self._drop(rec.tail_key)
            expired += 1
        if expired:
            log.info("uploads expired", expired=expired)
        return {"expired_uploads": expired}

    # -- attaching ---------------------------------------------------------------------------------
    async def attach(
        self, who: Actor, dossier_id: str, upload_id: str, component_id: str | None
    ) -> Attachment:
        """The finished upload as a file of the dossier, once."""
        rec = await self.mine(who, upload_id)
        if rec.dossier_id != dossier_id or (component_id and component_id != rec.component_id):
            raise MISMATCH
        if rec.status == "attached":
            raise ATTACHED
        if rec.status != "complete":
            raise INCOMPLETE
        d = await self.dossiers.owned(who, dossier_id, change=True)
        if not d.editable:
            raise NOT_DRAFT
        claimed = await self.repo.set_status(upload_id, "attached", only_from=("complete",))
        if claimed is None:
            raise await self._gone_or_attached(upload_id)
        try:
            return await self._record(who, d, rec)
        except BaseException:
            await self.repo.set_status(
                upload_id, "complete", only_from=("attached",), extra={"purge_at": None}
            )
            raise

    async def _record(self, who: Actor, d: Any, rec: UploadRecord) -> Attachment:
        now = datetime.now(UTC)
        assert rec.kind is not None and rec.sha256 is not None
        att = Attachment(
            id=rec.id,
            component_id=rec.component_id,
            name=rec.name,
            size=rec.length,
            sha256=rec.sha256,
            content_type=MIME.get(rec.kind, "application/octet-stream"),
            key=rec.key,
            uploaded_at=now,
        )
        if att.size > self.s.max_dossier_bytes - d.total_bytes:
            raise _too_large(
                self.s.max_dossier_bytes - d.total_bytes,
                "Tổng dung lượng hồ sơ vượt quá giới hạn",
                "The dossier's files exceed the total limit",
            )
        pending = Pending(id=rec.id, key=rec.key, started_at=now)
        if not await self.dossier_repo.reserve(d, pending, max_files=self.s.max_files):
            if await self.dossier_repo.status_of(d.id) != d.status:
                raise CHANGED
            raise _too_many_files(self.s.max_files)
        supplement = d.status == Status.SUPPLEMENT_REQUESTED
        entry = d.file_change(who, "file_added", att, now) if supplement else None
        if not await self.dossier_repo.add_file(
            d, att, entry, max_bytes=self.s.max_dossier_bytes, max_files=self.s.max_files
        ):
            await self.dossier_repo.release(d.id, att.id)
            raise CHANGED_DURING_UPLOAD
        log.info("upload attached", dossier_id=d.id, attachment_id=att.id, size=att.size)
        return att
