"""A pytest plugin: shortly before pytest-timeout stops a test, print where every asyncio task waits.

pytest-timeout dumps the threads' stacks only; for an async test they all show the event loop in
``select`` and not which ``await`` never returned (a CI run once lost 300 s so, with nothing to go on).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator

import pytest

LEAD_SECONDS = 10.0  # printed this long before the timeout


def _dump(name: str) -> None:
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and o.is_running()]
    print(f"\n[watchdog] {name} is about to time out; where its asyncio tasks wait:", file=sys.stderr)
    for loop in loops:
        for task in list(asyncio.all_tasks(loop)):  # read from another thread: a diagnostic, no more
            task.print_stack(limit=12, file=sys.stderr)


@pytest.fixture(autouse=True)
def _asyncio_watchdog(request: pytest.FixtureRequest) -> Iterator[None]:
    marker = request.node.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(request.config.getini("timeout") or 0)
    if limit <= LEAD_SECONDS:
        yield
        return
    timer = threading.Timer(limit - LEAD_SECONDS, _dump, args=(request.node.nodeid,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
