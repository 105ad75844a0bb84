"""Object storage over the S3 API (MinIO in production; the JuiceFS gateway locally), via aiobotocore."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError
from pydantic import BaseModel, SecretStr

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

    async def stop(self) -> None:
        await self._stack.aclose()
