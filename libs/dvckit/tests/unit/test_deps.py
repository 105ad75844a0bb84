"""A service's parts reach its routes typed, through Depends (``dvckit.deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from dvckit.deps import parts_of, provide


@dataclass(frozen=True)
class Parts:
    greeting: str


Wired = Annotated[Parts, Depends(parts_of(Parts))]


def app_with(parts: object) -> FastAPI:
    app = FastAPI()
    provide(app, parts)

    @app.get("/")
    async def hello(parts: Wired) -> dict[str, str]:
        return {"said": parts.greeting}

    return app


async def test_a_route_receives_the_parts_and_each_part_is_on_app_state():
    app = app_with(Parts(greeting="xin chào"))
    assert app.state.greeting == "xin chào"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/")).json() == {"said": "xin chào"}


@dataclass(frozen=True)
class Other:
    greeting: str


async def test_parts_of_another_kind_are_refused():
    app = app_with(Other(greeting="hello"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        with pytest.raises(TypeError):
            await c.get("/")
