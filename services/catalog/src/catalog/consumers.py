"""Events the catalog service consumes: none (ARCHITECTURE.md §2). It only publishes, through its outbox."""

from __future__ import annotations

from dvckit.runtime import Runtime


def register(rt: Runtime) -> None:
    """Nothing to bind: the catalogue changes only through its importer and administration API."""
