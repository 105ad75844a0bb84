"""A service's parts, built once in ``create_app`` into one dataclass (typed) and handed to its routes
with FastAPI's ``Depends``::

    @dataclass(frozen=True)
    class Parts:
        accounts: Accounts
        ...

    Services = Annotated[Parts, Depends(parts_of(Parts))]

    @router.get("/me")
    async def me(who: Caller, parts: Services) -> ...:
        return await parts.accounts.me(who.sub)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any, TypeVar

from fastapi import FastAPI, Request

T = TypeVar("T")


def provide(app: FastAPI, parts: Any) -> None:
    """Give ``app`` its parts (a dataclass instance). Each part is also on ``app.state`` by its field's
    name, for tests and tools that reach into a running app (``app.state.keys``)."""
    app.state.parts = parts
    for f in fields(parts):
        setattr(app.state, f.name, getattr(parts, f.name))


def parts_of(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """The dependency a route declares to receive the app's parts, typed as ``kind``."""

    # async: FastAPI runs a plain function dependency in a worker thread, and that hop cost a route more
    # than its own work (the catalogue's suggestions: about 680 → 1,250 a second without it).
    async def parts(request: Request) -> T:
        got = request.app.state.parts
        if not isinstance(got, kind):
            raise TypeError(f"the app's parts are a {type(got).__name__}, not a {kind.__name__}")
        return got

    return parts
