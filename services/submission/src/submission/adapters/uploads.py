"""Resumable uploads (tus): their state in MongoDB (``uploads``) and their pieces in S3.

A tus upload is one S3 multipart upload, started at creation, whose parts are written as PATCH bodies
arrive. S3 takes parts of at least 5 MiB (the last excepted), so the end of a PATCH that does not fill a
part is kept as a small object of its own, the *tail* (tusd's "incomplete part"), and put in front of the
next PATCH's bytes. A record says what counts: its parts (number, ETag, size) and its tail (key, size);
the offset is their sum. Parts and tails a PATCH wrote but did not record (a checksum that did not match,
a crash) are never named in CompleteMultipartUpload: S3 drops them, and a later part of the same number
takes their place.

Only one PATCH writes an upload at a time: it holds the record's ``lock`` (a token and an expiry,
taken with one conditional update that also checks the offset the client named)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from pymongo import ASCENDING, IndexModel, ReturnDocument

from dvckit.mongo import Repository
from dvckit.s3 import ObjectStore, read_chunks

from .objects import _guarded

UPLOADS = "uploads"
# A finished upload's record (attached, expired, terminated, refused) is kept this long for its 410.
TOMBSTONE = timedelta(days=7)

UploadStatus = Literal["open", "complete", "attached", "expired", "terminated", "refused"]
LIVE: tuple[UploadStatus, ...] = ("open", "complete")

SCHEMA = {
    UPLOADS: [
        # The cleanup's expired uploads (open or complete, never attached).
        IndexModel([("status", ASCENDING), ("expires_at", ASCENDING)], name="status_expiry"),
        # A tombstone goes once its 410 has been answered long enough.
        IndexModel([("purge_at", ASCENDING)], name="purge", expireAfterSeconds=0, sparse=True),
    ]
}


class Part(BaseModel):
    number: int
    etag: str
    size: int


class UploadRecord(BaseModel):
    """One tus upload (``_id`` the upload id, 32 hex digits: it becomes the attachment's id)."""

    id: str
    owner_id: str
    dossier_id: str
    component_id: str
    accepted: list[str]  # the component's file types, as the catalogue names them
    name: str
    filetype: str = ""  # as the client declared it (Upload-Metadata); the stored type is sniffed
    length: int
    offset: int = 0
    parts: list[Part] = []
    tail_key: str | None = None
    tail_size: int = 0
    key: str  # the object the upload becomes
    s3_upload_id: str
    kind: str | None = None  # the real type, once the first bytes were read
    sha256: str | None = None  # once complete
    status: UploadStatus = "open"
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    lock: str | None = None
    lock_until: datetime | None = None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> UploadRecord:
        doc = dict(doc)
        doc["id"] = doc.pop("_id")
        for k in ("created_at", "updated_at", "expires_at", "lock_until"):
            if isinstance(doc.get(k), datetime):
                at = doc[k]
                doc[k] = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        return cls.model_validate(doc)

    def document(self) -> dict[str, Any]:
        doc = self.model_dump()
        doc["_id"] = doc.pop("id")
        return doc


class UploadRepository(Repository):
    collection = UPLOADS

    async def insert(self, rec: UploadRecord) -> None:
        await self.coll.insert_one(rec.document())

    async def get(self, upload_id: str) -> UploadRecord | None:
        doc = await self.coll.find_one({"_id": upload_id})
        return None if doc is None else UploadRecord.of(doc)

    async def lock(self, upload_id: str, offset: int, token: str, now: datetime, hold: timedelta) -> bool:
        """Take the upload for one PATCH: only while it is open, at ``offset``, and nobody else holds it."""
        res = await self.coll.update_one(
            {
                "_id": upload_id,
                "status": "open",
                "offset": offset,
                "$or": [{"lock": None}, {"lock_until": {"$lt": now}}],
            },
            {"$set": {"lock": token, "lock_until": now + hold}},
        )
        return res.modified_count == 1

    async def commit(
        self,
        upload_id: str,
        token: str,
        *,
        parts: list[Part],
        tail_key: str | None,
        tail_size: int,
        offset: int,
        kind: str | None,
        expires_at: datetime,
        hold: timedelta | None,
    ) -> bool:
        """Record what a PATCH wrote (by the lock's holder only); ``hold``: keep the lock that much longer
        (more is coming), None: release it."""
        now = datetime.now(UTC)
        fields: dict[str, Any] = {
            "parts": [p.model_dump() for p in parts],
            "tail_key": tail_key,
            "tail_size": tail_size,
            "offset": offset,
            "kind": kind,
            "updated_at": now,
            "expires_at": expires_at,
        }
        if hold is None:
            fields |= {"lock": None, "lock_until": None}
        else:
            fields["lock_until"] = now + hold
        res = await self.coll.update_one(
            {"_id": upload_id, "status": "open", "lock": token}, {"$set": fields}
        )
        return res.matched_count == 1

    async def keep(self, upload_id: str, token: str, hold: timedelta) -> bool:
        """Hold the lock longer (a long PATCH whose parts are recorded only at its end)."""
        res = await self.coll.update_one(
            {"_id": upload_id, "status": "open", "lock": token},
            {"$set": {"lock_until": datetime.now(UTC) + hold}},
        )
        return res.matched_count == 1

    async def unlock(self, upload_id: str, token: str) -> None:
        await self.coll.update_one(
            {"_id": upload_id, "lock": token}, {"$set": {"lock": None, "lock_until": None}}
        )

    async def set_status(
        self,
        upload_id: str,
        status: UploadStatus,
        *,
        only_from: tuple[UploadStatus, ...],
        token: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> UploadRecord | None:
        """Move the upload to ``status`` from one of ``only_from`` (and by the lock's holder, when given);
        the record as it is now, or None if it was not there to move."""
        query: dict[str, Any] = {"_id": upload_id, "status": {"$in": list(only_from)}}
        if token is not None:
            query["lock"] = token
        fields: dict[str, Any] = {"status": status, "updated_at": datetime.now(UTC), **(extra or {})}
        if status not in LIVE:
            fields |= {"purge_at": datetime.now(UTC) + TOMBSTONE, "lock": None, "lock_until": None}
        doc = await self.coll.find_one_and_update(
            query, {"$set": fields}, return_document=ReturnDocument.AFTER
        )
        return None if doc is None else UploadRecord.of(doc)

    async def expired(self, now: datetime, limit: int = 200) -> list[UploadRecord]:
        """Open or complete uploads past their expiry that no PATCH holds."""
        q = {
            "status": {"$in": list(LIVE)},
            "expires_at": {"$lt": now},
            "$or": [{"lock": None}, {"lock_until": {"$lt": now}}],
        }
        return [UploadRecord.of(d) async for d in self.coll.find(q).limit(limit)]


class UploadObjects:
    """The S3 side: the multipart upload, its parts, the tails, the finished object."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    @property
    def _c(self) -> Any:
        return self.store.client

    async def start(self, key: str, content_type: str) -> str:
        async def call() -> str:
            r = await self._c.create_multipart_upload(
                Bucket=self.store.bucket, Key=key, ContentType=content_type
            )
            return str(r["UploadId"])

        return await _guarded(call)

    async def part(self, key: str, s3_upload_id: str, number: int, data: bytes) -> Part:
        async def call() -> Part:
            r = await self._c.upload_part(
                Bucket=self.store.bucket, Key=key, UploadId=s3_upload_id, PartNumber=number, Body=data
            )
            return Part(number=number, etag=r["ETag"], size=len(data))

        return await _guarded(call)

    async def complete(self, key: str, s3_upload_id: str, parts: list[Part]) -> None:
        async def call() -> None:
            await self._c.complete_multipart_upload(
                Bucket=self.store.bucket,
                Key=key,
                UploadId=s3_upload_id,
                MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]},
            )

        await _guarded(call)

    async def abort(self, key: str, s3_upload_id: str) -> None:
        """Drop the multipart upload and every part written to it (one already gone is no error)."""

        async def call() -> None:
            try:
                await self._c.abort_multipart_upload(Bucket=self.store.bucket, Key=key, UploadId=s3_upload_id)
            except Exception as e:  # NoSuchUpload: aborted or completed before
                code = getattr(e, "response", {}).get("Error", {}).get("Code")
                if code not in ("NoSuchUpload", "404"):
                    raise

        await _guarded(call)

    async def list_parts(self, key: str, s3_upload_id: str) -> list[int] | None:
        """The part numbers S3 holds for the upload (None once the upload is gone): for the tests."""
        try:
            r = await self._c.list_parts(Bucket=self.store.bucket, Key=key, UploadId=s3_upload_id)
        except Exception:
            return None
        return [p["PartNumber"] for p in r.get("Parts", [])]

    async def put(self, key: str, data: bytes) -> None:
        async def call() -> None:
            await self._c.put_object(Bucket=self.store.bucket, Key=key, Body=data)

        await _guarded(call)

    async def get(self, key: str) -> bytes:
        async def call() -> bytes:
            r = await self._c.get_object(Bucket=self.store.bucket, Key=key)
            async with r["Body"] as body:
                return bytes(await body.read())

        return await _guarded(call)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        return await _guarded(lambda: read_chunks(self.store, key, 1024 * 1024))

    async def delete(self, key: str) -> None:
        await _guarded(lambda: self.store.delete(key))
