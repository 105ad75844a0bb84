"""Small asyncio helpers the services' background loops share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import TypeVar

from . import logs

T = TypeVar("T")
log = logs.get(__name__)


async def within(aw: Awaitable[T], seconds: float) -> T:
    """``aw``, or ``TimeoutError`` after ``seconds``: ``asyncio.wait_for`` without its flaw on Python
    3.11, where a cancellation that arrives as ``aw`` completes is swallowed (CPython gh-86296), so a
    loop told to stop (``task.cancel()``) runs on and whoever awaits it waits for ever."""
    async with asyncio.timeout(seconds):
        return await aw


async def stop(task: asyncio.Task[object] | None) -> None:
    """Cancel ``task`` and wait until it has ended. The cancellation is repeated while the task runs on:
    a library that waits with ``asyncio.wait_for`` (aiormq's publisher confirms, for one) can swallow it on
    Python 3.11, and a loop that missed it must not keep a shutdown waiting for ever. A task that had
    failed is logged, not raised: the rest of the shutdown still runs."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    if not task.cancelled() and task.exception() is not None:
        log.warning("background task had failed", task=task.get_name(), error=repr(task.exception())[:300])


class Loops:
    """A service's background loops, one pattern for all: each started once, as a named task, and
    stopped (cancelled, then waited for, see :func:`stop`) once."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, loop: Coroutine[object, object, None]) -> None:
        self._tasks.append(asyncio.create_task(loop, name=name))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            await stop(task)


async def every(
    seconds: float, work: Callable[[], Awaitable[object]], failed: str, *, at_once: bool = False
) -> None:
    """Run ``work`` every ``seconds``, for ever (``at_once``: also right away, as a gauge is sampled at
    start); a failure is logged (as ``failed``) and the loop goes on."""
    if at_once:
        await _attempt(work, failed)
    while True:
        await asyncio.sleep(seconds)
        await _attempt(work, failed)


async def _attempt(work: Callable[[], Awaitable[object]], failed: str) -> None:
    try:
        await work()
    except Exception as e:
        log.warning(failed, error=repr(e)[:200])


async def woken(kick: asyncio.Event, seconds: float) -> None:
    """Wait until ``kick`` is set or ``seconds`` have passed, then clear it: a worker's pause between
    rounds that a new job cuts short."""
    try:
        await within(kick.wait(), seconds)
    except TimeoutError:
        pass
    kick.clear()
