"""The dossiers open and overdue, on /metrics (docs/operations.md, "Metrics").

Reporting holds the city's open list (``open_dossiers``: every dossier not refused, withdrawn, stopped,
finished or returned, with its status, agency and legal due time), so it is the one service that can
say how many dossiers each agency holds and how many are overdue without reading another's database.
A loop counts them every ``metrics_seconds``; every replica reports the same figures (take ``max``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prometheus_client import Gauge

from dvckit import logs

from ..adapters.opened import Opened

dossiers_open = Gauge(
    "dossiers_open", "Dossiers open now, by national status code and agency code", ["status", "agency"]
)
dossiers_overdue = Gauge(
    "dossiers_overdue", "Open dossiers past their legal due time, by agency code", ["agency"]
)
log = logs.get(__name__)


async def sample(opened: Opened) -> None:
    counts, late = await opened.tally(datetime.now(UTC))
    # Replaced whole: an agency whose last dossier closed is no longer reported.
    dossiers_open.clear()
    for (status, agency), n in counts.items():
        dossiers_open.labels(status, agency).set(n)
    dossiers_overdue.clear()
    for agency, n in late.items():
        dossiers_overdue.labels(agency).set(n)


async def sample_forever(opened: Opened, seconds: float) -> None:
    """``rt.loop``: count now, then every ``seconds``."""
    while True:
        try:
            await sample(opened)
        except Exception as e:  # the database is away: keep the last figures, try again
            log.warning("open dossiers not counted", error=repr(e)[:200])
        await asyncio.sleep(seconds)
