"""Step 2: files for each dossier component, streamed to object storage.

An upload goes from the request to S3 in chunks (one multipart part in memory at most), its real type
read from its first bytes and checked against the component's accepted types, its size checked against
the component's and the dossier's limits as it streams, its SHA-256 computed on the way. The object is
stored under a random key; the citizen's file name is kept only for display. Metadata is written after
the object is complete, so no attachment points to a missing object; an object whose upload never
finished (a crash) stays listed in the dossier's ``uploading`` and is removed by the cleanup.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from dvckit import formstream, logs
from dvckit.auth import Principal
from dvckit.errors import Invalid, Problem, Text
from dvckit.runtime import Runtime
from dvckit.s3 import ObjectStore, Upload, read_chunks

from ..adapters.store import DOSSIERS
from ..config import Settings
from ..domain.files import MIME, SNIFF_BYTES, accepted, detect, display_name
from ..domain.status import Status
from .dossiers import NOT_DRAFT, NOT_FOUND, Dossiers

log = logs.get(__name__)

# Where a citizen may still change files: a draft, or a dossier the officer asked to supplement.
EDITABLE = (Status.DRAFT.value, Status.SUPPLEMENT_REQUESTED.value)

# The result document an officer attaches when the dossier is finished.
RESULT_COMPONENT = {
    "id": "result",
    "file_types": ["pdf", "docx", "jpg", "png"],
    "max_bytes": 100 * 1024 * 1024,
}

NO_FILE = Problem(422, "file-required", Text("Chưa chọn tệp", "No file was sent"))
EMPTY = Problem(422, "file-empty", Text("Tệp rỗng", "The file is empty"))
STORAGE_DOWN = Problem(
    503,
    "storage-unavailable",
    Text(
        "Kho lưu trữ tệp tạm thời gián đoạn, vui lòng gửi lại tệp",
        "File storage is unavailable; please upload the file again",
    ),
    headers={"Retry-After": "5"},
)

STORAGE_DOWN_READ = Problem(
    503,
    "storage-unavailable",
    Text(
        "Kho lưu trữ tệp tạm thời gián đoạn, vui lòng thử lại sau",
        "File storage is unavailable; please try again later",
    ),
    headers={"Retry-After": "5"},
)


def _too_large(limit: int, what: Text) -> Problem:
    return Problem(413, "file-too-large", what, extra={"limit_bytes": limit})


def _bad_name(e: Invalid) -> Problem:
    return Problem(422, "bad-file-name", Text("Tên tệp không hợp lệ", "Invalid file name"), e.text)


class Attachments:
    def __init__(self, rt: Runtime, settings: Settings, store: ObjectStore, dossiers: Dossiers) -> None:
        self.coll = rt.db[DOSSIERS]
        self.s = settings
        self.store = store
        self.dossiers = dossiers

    async def upload(
        self, who: Principal, dossier_id: str, request: Request, component_id: str | None
    ) -> dict[str, Any]:
        d = await self.dossiers.owned(who, dossier_id)
        if d["status"] not in EDITABLE:
            raise NOT_DRAFT
        if len(d.get("attachments", [])) >= self.s.max_files:
            raise Problem(
                409,
                "too-many-files",
                Text("Hồ sơ đã có quá nhiều tệp", "The dossier has too many files"),
                extra={"limit": self.s.max_files},
            )
        components = {c["id"]: c for c in d["procedure"].get("components", [])}
        room = self.s.max_dossier_bytes - d.get("total_bytes", 0)
        result: dict[str, Any] | None = None
        events = formstream.events(request)
        async for event in events:
            if isinstance(event, formstream.Field) and event.name == "component_id":
                component_id = event.value.strip()
            elif isinstance(event, formstream.FileStart):
                if event.name != "file" or result is not None:
                    raise Problem(
                        422,
                        "one-file",
                        Text("Mỗi lần gửi một tệp ở trường 'file'", "Send one file, in the field 'file'"),
                    )
                component = components.get(component_id or "")
                if component is None:
                    raise Problem(
                        422,
                        "unknown-component",
                        Text(
                            "Thành phần hồ sơ không hợp lệ (gửi component_id trước tệp)",
                            "Unknown dossier component (send component_id before the file)",
                        ),
                        extra={"components": sorted(components)},
                    )
                try:
                    name = display_name(event.filename)
                except Invalid as e:
                    raise _bad_name(e) from None
                result = await self._stream(d, component, name, events, room)
        if result is None:
            raise NO_FILE
        return result

    async def _stream(
        self,
        d: dict[str, Any],
        component: dict[str, Any],
        name: str,
        events: AsyncIterator[formstream.Event],
        room: int,
        *,
        commit: bool = True,
    ) -> dict[str, Any]:
        """Consume the file's events from the open form stream (the caller's loop then goes on).
        With ``commit=False`` only the object is stored and its metadata returned, for the caller to
        write in its own transaction (an officer's result document)."""
        limit = min(int(component.get("max_bytes", self.s.max_file_bytes)), self.s.max_file_bytes)
        attachment_id = uuid.uuid4().hex
        key = f"dossiers/{d['_id']}/{attachment_id}"
        head = bytearray()
        sha = hashlib.sha256()
        upload: Upload | None = None
        size = 0
        stream = _file_chunks(events)
        try:
            async for chunk in stream:
                size += len(chunk)
                if size > limit:
                    raise _too_large(
                        limit,
                        Text(
                            f"Tệp vượt quá giới hạn {limit // (1024 * 1024)} MB",
                            f"The file exceeds {limit // (1024 * 1024)} MB",
                        ),
                    )
                if size > room:
                    raise _too_large(
                        room,
                        Text(
                            "Tổng dung lượng hồ sơ vượt quá giới hạn",
                            "The dossier's files exceed the total limit",
                        ),
                    )
                sha.update(chunk)
                if upload is None:
                    head += chunk
                    if len(head) < SNIFF_BYTES:
                        continue
                    upload = await self._begin(d, component, bytes(head), attachment_id, key)
                    await upload.write(bytes(head))
                    head.clear()
                else:
                    await upload.write(chunk)
            if size == 0:
                raise EMPTY
            if upload is None:  # a small file: all of it is the head
                upload = await self._begin(d, component, bytes(head), attachment_id, key)
                await upload.write(bytes(head))
            await upload.complete()
        except Problem:
            if upload is not None:
                await self._abandon(upload, d["_id"], attachment_id)
            raise
        except Exception as e:
            if upload is not None:
                await self._abandon(upload, d["_id"], attachment_id)
            if _storage_error(e):
                log.warning("object storage failed during an upload", error=repr(e)[:200])
                raise STORAGE_DOWN from None
            raise
        attachment = {
            "id": attachment_id,
            "component_id": component["id"],
            "name": name,
            "size": size,
            "sha256": sha.hexdigest(),
            "content_type": upload.content_type,
            "key": key,
            "uploaded_at": datetime.now(UTC),
        }
        if not commit:
            return attachment
        saved = await self.coll.update_one(
            {
                "_id": d["_id"],
                "status": {"$in": list(EDITABLE)},
                "total_bytes": {"$lte": self.s.max_dossier_bytes - size},
            },
            {
                "$push": {"attachments": attachment},
                "$pull": {"uploading": {"id": attachment_id}},
                "$inc": {"total_bytes": size, "rev": 1},
                "$set": {"updated_at": datetime.now(UTC)},
            },
        )
        if saved.modified_count == 0:  # submitted or filled up by a concurrent request meanwhile
            await self.store.delete(key)
            await self.coll.update_one({"_id": d["_id"]}, {"$pull": {"uploading": {"id": attachment_id}}})
            raise Problem(
                409,
                "dossier-changed",
                Text(
                    "Hồ sơ đã thay đổi trong lúc tải tệp, vui lòng thử lại",
                    "The dossier changed during the upload; try again",
                ),
            )
        log.info("attachment stored", dossier_id=d["_id"], attachment_id=attachment_id, size=size)
        return {
            k: attachment[k]
            for k in ("id", "component_id", "name", "size", "sha256", "content_type", "uploaded_at")
        } | {"attachment_id": attachment_id}

    async def _begin(
        self, d: dict[str, Any], component: dict[str, Any], head: bytes, attachment_id: str, key: str
    ) -> Upload:
        kind = detect(head)
        allowed = component.get("file_types") or ["pdf", "jpg", "png", "docx", "xlsx"]
        if not accepted(kind, allowed):
            raise Problem(
                415,
                "file-type-refused",
                Text(
                    f"Loại tệp không được chấp nhận. Chấp nhận: {', '.join(allowed)}",
                    f"This type of file is not accepted. Accepted: {', '.join(allowed)}",
                ),
                extra={"detected": kind, "accepted": allowed},
            )
        assert kind is not None
        # Listed on the dossier before the first byte goes out, so the cleanup can find what a crash left.
        await self.coll.update_one(
            {"_id": d["_id"]},
            {"$push": {"uploading": {"id": attachment_id, "key": key, "started_at": datetime.now(UTC)}}},
        )
        return Upload(self.store, key, MIME.get(kind, "application/octet-stream"), self.s.part_bytes)

    async def _abandon(self, upload: Upload, dossier_id: str, attachment_id: str) -> None:
        try:
            await upload.abort()
            await self.coll.update_one({"_id": dossier_id}, {"$pull": {"uploading": {"id": attachment_id}}})
        except Exception as e:  # the cleanup will find it listed as uploading
            log.warning("could not abandon an upload", error=repr(e)[:200])

    async def delete(self, who: Principal, dossier_id: str, attachment_id: str) -> None:
        d = await self.dossiers.owned(who, dossier_id)
        if d["status"] not in EDITABLE:
            raise NOT_DRAFT
        att = next((a for a in d.get("attachments", []) if a["id"] == attachment_id), None)
        if att is None:
            raise NOT_FOUND
        res = await self.coll.update_one(
            {"_id": dossier_id, "status": {"$in": list(EDITABLE)}, "attachments.id": attachment_id},
            {
                "$pull": {"attachments": {"id": attachment_id}},
                "$inc": {"total_bytes": -att["size"], "rev": 1},
                "$set": {"updated_at": datetime.now(UTC)},
            },
        )
        if res.modified_count:
            # Metadata first, object second: a failure here leaves an unreferenced object, never a
            # reference to a missing one.
            try:
                await self.store.delete(att["key"])
            except Exception as e:
                log.warning("could not delete an object", key=att["key"], error=repr(e)[:200])

    async def receive_result(
        self, d: dict[str, Any], request: Request
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """An officer's multipart form: text fields and, optionally, one result document (stored as an
        object only: its metadata goes in with the status change)."""
        fields: dict[str, str] = {}
        result: dict[str, Any] | None = None
        events = formstream.events(request)
        async for event in events:
            if isinstance(event, formstream.Field):
                fields[event.name] = event.value
            elif isinstance(event, formstream.FileStart):
                if event.name != "file" or result is not None:
                    raise Problem(
                        422,
                        "one-file",
                        Text("Mỗi lần gửi một tệp ở trường 'file'", "Send one file, in the field 'file'"),
                    )
                try:
                    name = display_name(event.filename)
                except Invalid as e:
                    raise _bad_name(e) from None
                result = await self._stream(
                    d, RESULT_COMPONENT, name, events, self.s.max_file_bytes, commit=False
                )
        return result, fields

    async def download(
        self, d: dict[str, Any], attachment_id: str, *, results: bool = False
    ) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        files = d.get("results", []) if results else d.get("attachments", [])
        att = next((a for a in files if a["id"] == attachment_id), None)
        if att is None:
            raise NOT_FOUND
        try:
            return att, await read_chunks(self.store, att["key"])
        except Exception as e:
            if _storage_error(e):
                log.warning("object storage failed for a download", error=repr(e)[:200])
                raise STORAGE_DOWN_READ from None
            raise


async def _file_chunks(events: AsyncIterator[formstream.Event]) -> AsyncIterator[bytes]:
    """The current file's data, read on from the form stream up to the file's end."""
    async for event in events:
        if isinstance(event, formstream.FileData):
            yield event.data
        elif isinstance(event, formstream.FileEnd):
            return


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the Vietnamese name (RFC 6266 / 5987)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _storage_error(e: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(e, BotoCoreError | ClientError | OSError)
