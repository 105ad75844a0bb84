"""The attachments' objects in S3: written as a stream, read as one, deleted. Every failure of the store
(botocore's errors, a connection's OSError) is one ``StorageUnavailable`` for the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from dvckit.s3 import ObjectStore, Upload, read_chunks

T = TypeVar("T")
STORE_ERRORS = (BotoCoreError, ClientError, OSError)


class StorageUnavailable(Exception):
    """The object store failed (down, refusing, timing out)."""


async def _guarded(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except STORE_ERRORS as e:
        raise StorageUnavailable(repr(e)[:200]) from e


class ObjectWriter:
    """One object written in parts as its bytes arrive (one part in memory at most)."""

    def __init__(self, upload: Upload) -> None:
        self._upload = upload

    @property
    def content_type(self) -> str:
        return self._upload.content_type

    async def write(self, data: bytes) -> None:
        await _guarded(lambda: self._upload.write(data))

    async def complete(self) -> None:
        await _guarded(self._upload.complete)

    async def abort(self) -> None:
        await _guarded(self._upload.abort)


class Objects:
    def __init__(self, store: ObjectStore, part_bytes: int) -> None:
        self.store = store
        self.part_bytes = part_bytes

    def writer(self, key: str, content_type: str) -> ObjectWriter:
        return ObjectWriter(Upload(self.store, key, content_type, self.part_bytes))

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes, opened now (a store that is down fails here, before an answer starts)."""
        return await _guarded(lambda: read_chunks(self.store, key))

    async def delete(self, key: str) -> None:
        await _guarded(lambda: self.store.delete(key))
