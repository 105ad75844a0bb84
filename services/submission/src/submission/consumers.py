"""Events the submission service consumes (its procedure cache arrives with the filing issue)."""

from __future__ import annotations

from dvckit.runtime import Runtime


def register(rt: Runtime) -> None:
    """No handlers yet; ``procedure.*`` events will refresh the procedure cache."""
