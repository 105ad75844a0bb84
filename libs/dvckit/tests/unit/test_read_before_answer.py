"""dvckit.http.ReadBeforeAnswer: an answer decided before a small body arrived waits for the body (the
gateway would otherwise close the client's connection); a large body or a stalled client is not awaited."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message

from dvckit.http import ReadBeforeAnswer


async def refuse_at_once(scope: Any, receive: Any, send: Any) -> None:
    """A route that answers from the headers alone, never reading the body."""
    await send({"type": "http.response.start", "status": 403, "headers": []})
    await send({"type": "http.response.body", "body": b"no"})


async def run(length: int, chunks: list[bytes | None], wait_seconds: float = 5.0) -> list[str]:
    """What happened, in order: ``body`` as each chunk arrives (None: the client sends nothing more),
    ``answer`` as the answer starts."""
    seen: list[str] = []
    pending = list(chunks)

    async def receive() -> Message:
        chunk = pending.pop(0) if pending else None
        if chunk is None:
            await asyncio.Event().wait()  # a client that stopped sending
        await asyncio.sleep(0.01)
        seen.append("body")
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen.append("answer")

    scope = {"type": "http", "headers": [(b"content-length", str(length).encode())]}
    await ReadBeforeAnswer(refuse_at_once, max_bytes=1024, wait_seconds=wait_seconds)(scope, receive, send)
    return seen


async def test_a_small_body_is_read_to_its_end_before_the_answer():
    assert await run(6, [b"ab", b"cd", b"ef"]) == ["body", "body", "body", "answer"]


async def test_a_large_body_or_none_is_not_waited_for():
    assert await run(4096, [b"x" * 1024] * 4) == ["answer"]
    assert await run(0, []) == ["answer"]


async def test_a_client_that_stops_sending_is_answered_after_the_wait():
    assert await run(6, [b"ab", None], wait_seconds=0.2) == ["body", "answer"]
