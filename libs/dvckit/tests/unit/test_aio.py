"""``within``: a background loop told to stop stops, even when its wake-up and the stop coincide (with
``asyncio.wait_for`` on Python 3.11 the stop is lost and the test stack's teardown hung for good)."""

from __future__ import annotations

import asyncio

import pytest

from dvckit.aio import Loops, every, stop, within, woken


async def loop_stopped_as_it_wakes(wait) -> bool:
    """True when the loop ended on ``cancel()`` sent in the same turn as its wake-up."""
    kick = asyncio.Event()

    async def loop() -> None:
        while True:
            try:
                await wait(kick.wait(), 10)
            except TimeoutError:
                pass
            kick.clear()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    kick.set()
    await asyncio.sleep(0)  # the wait is finishing ...
    task.cancel()  # ... as the stop arrives
    try:
        await asyncio.wait_for(asyncio.shield(task), 0.5)
    except asyncio.CancelledError:
        return True
    except TimeoutError:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return False
    return False


async def test_a_loop_waiting_with_within_stops_when_told():
    assert await loop_stopped_as_it_wakes(within)


async def test_the_flaw_within_avoids_is_real_here():
    # If this starts failing, asyncio.wait_for was fixed (Python 3.12+): `within` may then go.
    assert not await loop_stopped_as_it_wakes(asyncio.wait_for)


async def test_within_times_out_and_returns_results():
    assert await within(asyncio.sleep(0, "done"), 1) == "done"
    with pytest.raises(TimeoutError):
        await within(asyncio.sleep(1), 0.01)


async def test_stop_ends_a_loop_that_swallowed_a_cancellation():
    swallowed = 0

    async def loop() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1  # what a library's wait_for does when the wait and the cancel coincide

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    await within(stop(task), 5)
    assert swallowed == 1 and task.cancelled()


async def test_stop_of_a_task_that_failed_or_is_missing_returns():
    async def fail() -> None:
        raise ValueError("boom")

    task = asyncio.create_task(fail())
    await asyncio.sleep(0)
    await stop(task)  # logged; the caller's shutdown goes on
    assert isinstance(task.exception(), ValueError)
    await stop(None)


async def test_loops_start_named_tasks_and_stop_them_all():
    started: list[str] = []

    async def forever(name: str) -> None:
        started.append(name)
        await asyncio.sleep(3600)

    loops = Loops()
    loops.start("a", forever("a"))
    loops.start("b", forever("b"))
    await asyncio.sleep(0)
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert started == ["a", "b"] and {"a", "b"} <= names
    await within(loops.stop(), 5)
    assert not {"a", "b"} & {t.get_name() for t in asyncio.all_tasks()}
    await loops.stop()  # stopping again does nothing


class FailsFirst:
    """Work for ``every`` whose first run fails with ``error``; ``runs`` counts its runs."""

    def __init__(self, error: str) -> None:
        self.error, self.runs = error, 0

    async def __call__(self) -> None:
        self.runs += 1
        if self.runs == 1:
            raise ValueError(self.error)


async def test_every_goes_on_after_a_failure():
    work = FailsFirst("first round fails")
    task = asyncio.create_task(every(0.01, work, "work failed"))
    await asyncio.sleep(0.2)
    await stop(task)
    assert work.runs >= 3


async def test_every_at_once_runs_before_its_first_wait_and_a_failure_there_stops_nothing():
    work = FailsFirst("the database is away at start")
    task = asyncio.create_task(every(60, work, "work failed", at_once=True))
    await asyncio.sleep(0.05)
    assert work.runs == 1 and not task.done()  # run at start, failed, now waiting its 60 s
    await stop(task)

    plain = asyncio.create_task(every(60, work, "work failed"))
    await asyncio.sleep(0.05)
    assert work.runs == 1  # without at_once: nothing before the first wait
    await stop(plain)


async def test_woken_returns_on_a_kick_or_after_its_time_and_clears_the_kick():
    kick = asyncio.Event()
    kick.set()
    await within(woken(kick, 10), 1)  # kicked: at once
    assert not kick.is_set()
    await within(woken(kick, 0.01), 1)  # not kicked: after its time
