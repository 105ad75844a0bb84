"""Object storage over the S3 API (MinIO in production; the JuiceFS gateway locally), via aiobotocore."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError
from pydantic import BaseModel, SecretStr

from . import tracing
from .settings import dev_secret


class S3Settings(BaseModel):
    """Mixed into the settings of a service that stores objects (read as ``DVC_S3_*``)."""

    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_region: str = "us-east-1"
    s3_access_key: str = "dvcadmin"
    s3_secret_key: SecretStr = dev_secret("dvcadmin-dev-secret")
    s3_bucket: str = "dvc-attachments"


class ObjectStore:
    def __init__(self, *, endpoint: str, region: str, access_key: str, secret_key: str, bucket: str) -> None:
        self.endpoint = endpoint
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.bucket = bucket
        self._stack = AsyncExitStack()
        self.client: Any = None

    async def start(self, *, create_bucket: bool = True) -> None:
        session = get_session()
        self.client = await self._stack.enter_async_context(
            session.create_client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=self.region,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                config=AioConfig(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 2, "mode": "standard"},
                    connect_timeout=3,
                    read_timeout=30,
                    max_pool_connections=64,
                ),
            )
        )
        tracing.watch_s3(self.client)  # spans of its calls, when tracing is on
        if create_bucket:
            try:
                await self.client.head_bucket(Bucket=self.bucket)
            except ClientError:
                try:
                    await self.client.create_bucket(Bucket=self.bucket)
                except ClientError as e:  # another replica created it first
                    if e.response.get("Error", {}).get("Code") not in (
                        "BucketAlreadyOwnedByYou",
                        "BucketAlreadyExists",
                    ):
                        raise

    async def ping(self) -> None:
        await self.client.head_bucket(Bucket=self.bucket)

    async def head(self, key: str) -> dict[str, Any] | None:
        try:
            return await self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    async def delete(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=key)

    async def stop(self) -> None:
        await self._stack.aclose()


class Upload:
    """One object written as a stream: parts of ``part_size`` go out as they fill (S3 multipart), so
    memory stays at one part whatever the object's size; a small object is one PUT."""

    def __init__(self, store: ObjectStore, key: str, content_type: str, part_size: int = 8 * 1024 * 1024):
        self.store = store
        self.key = key
        self.content_type = content_type
        self.part_size = max(part_size, 5 * 1024 * 1024)  # S3's minimum part size
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.size = 0

    async def write(self, data: bytes) -> None:
        self.buffer += data
        self.size += len(data)
        while len(self.buffer) >= self.part_size:
            chunk = bytes(self.buffer[: self.part_size])
            del self.buffer[: self.part_size]
            await self._part(chunk)

    async def _part(self, chunk: bytes) -> None:
        client = self.store.client
        if self.upload_id is None:
            r = await client.create_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, ContentType=self.content_type
            )
            self.upload_id = r["UploadId"]
        n = len(self.parts) + 1
        r = await client.upload_part(
            Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=n, Body=chunk
        )
        self.parts.append({"PartNumber": n, "ETag": r["ETag"]})

    async def complete(self) -> int:
        client = self.store.client
        if self.upload_id is None:
            await client.put_object(
                Bucket=self.store.bucket, Key=self.key, Body=bytes(self.buffer), ContentType=self.content_type
            )
        else:
            if self.buffer:
                await self._part(bytes(self.buffer))
            await client.complete_multipart_upload(
                Bucket=self.store.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts},
            )
        self.buffer.clear()
        return self.size

    async def abort(self) -> None:
        """Give up: nothing of this object stays in the store."""
        self.buffer.clear()
        try:
            if self.upload_id is not None:
                await self.store.client.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
                )
        except ClientError:
            pass


async def read_chunks(store: ObjectStore, key: str, chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The object's bytes as an async iterator (a download streams through without being held). The object
    is opened here, before the caller answers: a store that is down fails now, not after a 200 was sent."""
    r = await store.client.get_object(Bucket=store.bucket, Key=key)
    return _body_chunks(r["Body"], chunk_size)


async def _body_chunks(body: Any, chunk_size: int) -> AsyncIterator[bytes]:
    try:
        while chunk := await body.read(chunk_size):
            yield chunk
    finally:
        body.close()
