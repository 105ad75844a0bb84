"""The archive a person downloads (their data export): a ZIP spooled to a temporary file, so memory
stays bounded whatever its size, written part by part and handed over only once complete."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import IO, Any

CHUNK = 256 * 1024


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_default)


class Archive:
    """``with Archive(dir) as a: ...; path = a.finish()``; the file is removed on an error, and by
    :func:`stream` once read."""

    def __init__(self, directory: str | None = None) -> None:
        fd, self.path = tempfile.mkstemp(prefix="dvc-export-", suffix=".zip", dir=directory)
        os.close(fd)
        self.zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.done = False

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.zip.close()
            os.unlink(self.path)

    def text(self, name: str, text: str) -> None:
        self.zip.writestr(name, text.encode())

    def json(self, name: str, value: Any) -> None:
        self.text(name, dumps(value) + "\n")

    def open(self, name: str) -> IO[bytes]:
        """A member written as it comes (a JSON list page by page, a file chunk by chunk)."""
        return self.zip.open(name, "w", force_zip64=True)

    async def copy(self, name: str, chunks: AsyncIterator[bytes]) -> int:
        """A member from ``chunks``; how many bytes it holds."""
        size = 0
        with self.open(name) as out:
            async for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
        return size

    def finish(self) -> str:
        self.zip.close()
        self.done = True
        return self.path


class JsonList:
    """A JSON list written item by item into an archive member (bounded memory)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.count = 0
        out.write(b"[")

    def add(self, item: Any) -> None:
        self.out.write((",\n" if self.count else "\n").encode() + dumps(item).encode())
        self.count += 1

    def close(self) -> None:
        self.out.write(b"\n]\n" if self.count else b"]\n")


def stream(path: str) -> Iterator[bytes]:
    """The finished archive's bytes, then the file removed."""
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
