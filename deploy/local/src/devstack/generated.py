"""Files generated from the repository's sources (the gateway's Kubernetes config, the observability
resources, the dashboards): each generator's ``main`` writes the stale ones, or with ``--check`` only
names them (exit 1), so a test or CI can tell a generated file that was not regenerated."""

from __future__ import annotations

import sys
from pathlib import Path

from .config import ROOT


def write_or_check(outputs: dict[Path, str], argv: list[str], usage: str) -> int:
    """Write each of ``outputs`` whose file differs (``argv[1:] == []``) or report them (``--check``)."""
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        print(usage, file=sys.stderr)
        return 2
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
    if check:
        if stale:
            print("stale: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0
