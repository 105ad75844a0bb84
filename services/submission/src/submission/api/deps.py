"""What the routes depend on: the service's parts, built once in ``create_app`` (``parts.Parts``), and
the caller as the domain knows them (``Actor``), each handed to a route by FastAPI ``Depends``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from dvckit.auth import Principal, principal, require
from dvckit.deps import parts_of

from ..domain.model import Actor
from ..parts import Parts


def actor(who: Principal) -> Actor:
    return Actor(
        id=who.sub,
        name=who.name,
        roles=frozenset(who.roles),
        agencies=frozenset(who.agencies),
        identity_level=who.identity_level,
        orgs=who.orgs,
    )


async def _citizen(who: Annotated[Principal, Depends(require("citizen"))]) -> Actor:
    return actor(who)


async def _officer(who: Annotated[Principal, Depends(require("officer"))]) -> Actor:
    return actor(who)


async def _caller(who: Annotated[Principal, Depends(principal)]) -> Actor:
    return actor(who)


Svc = Annotated[Parts, Depends(parts_of(Parts))]
Citizen = Annotated[Actor, Depends(_citizen)]
Officer = Annotated[Actor, Depends(_officer)]
Caller = Annotated[Actor, Depends(_caller)]

# A dossier and one of its files, in a path.
Id = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
FileId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
