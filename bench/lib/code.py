"""Another version of the code for a stack's services: a before/after ratio on the same machine, the same
hour. Imports nothing of devstack: ``DVC_ROOT`` must be set before ``devstack.config`` is first imported
for the gateway's configuration to come from that tree too (bench/dossier_cost.py calls this first)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def other_code(tree: Path) -> dict[str, str]:
    """The environment that makes a stack's services run ``tree``'s code (``git worktree add /tmp/before
    <commit>``), for ``stack(extra_env=...)``: its PYTHONPATH wins over the editable installs."""
    tree = tree.resolve()
    srcs = [tree / "libs" / "dvckit" / "src", *sorted((tree / "services").glob("*/src"))]
    os.environ["DVC_ROOT"] = str(tree)  # the gateway's configuration and the services' directory
    # The machine's S3, if the harness starts it, keeps its data here, not in the other tree.
    os.environ.setdefault("DVC_DATA_DIR", str(ROOT / ".data"))
    return {"PYTHONPATH": os.pathsep.join(str(p) for p in srcs)}
