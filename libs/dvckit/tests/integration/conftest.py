from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import pytest
from pymongo import IndexModel

from devstack.testing import BROKER_PAUSE_S
from dvckit.events import EventData
from dvckit.runtime import Runtime
from dvckit.settings import ServiceSettings


class PlumbSettings(ServiceSettings):
    service_name: ClassVar[str] = "plumb"


class ThingHappenedV1(EventData):
    event_type = "thing.happened"
    event_version = 1
    n: int


@pytest.fixture(scope="session")
def thing() -> type[ThingHappenedV1]:
    return ThingHappenedV1


EFFECTS = {"effects": [IndexModel([("n", 1)], name="n")]}

MakeRuntime = Callable[..., Awaitable[Runtime]]


@pytest.fixture
async def make_runtime(infra: Any) -> AsyncIterator[MakeRuntime]:
    """Build runtimes (one per simulated replica) against the real servers; stopped afterwards."""
    made: list[Runtime] = []

    async def make(
        *, handlers: dict[str, Any] | None = None, start: bool = True, settings: Any = None, **overrides: Any
    ) -> Runtime:
        rt = Runtime(settings or infra.settings(PlumbSettings, **overrides), schema=EFFECTS)
        for pattern, fn in (handlers or {}).items():
            rt.consumer.on(pattern)(fn)
        made.append(rt)
        if start:
            await rt.start()
            await rt.bus.wait_ready(BROKER_PAUSE_S)
            if rt.consumer.handlers:
                from devstack.testing import eventually

                await eventually(lambda: rt.consumer._tag is not None, BROKER_PAUSE_S)
        return rt

    yield make
    for rt in reversed(made):
        await rt.stop()
