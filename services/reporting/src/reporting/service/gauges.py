"""The dossiers open and overdue, on /metrics (docs/operations.md, "Metrics").

Reporting holds the city's open list (``open_dossiers``: every dossier not refused, withdrawn, stopped,
finished or returned, with its status, agency and legal due time), so it is the one service that can
say how many dossiers each agency holds and how many are overdue without reading another's database.
A loop counts them at start and every ``metrics_seconds``; every replica reports the same figures (take
``max``); while the database is away the last figures stay.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import Gauge

from ..adapters.opened import Opened

dossiers_open = Gauge(
    "dossiers_open", "Dossiers open now, by national status code and agency code", ["status", "agency"]
)
dossiers_overdue = Gauge(
    "dossiers_overdue", "Open dossiers past their legal due time, by agency code", ["agency"]
)


async def sample(opened: Opened) -> None:
    counts, late = await opened.tally(datetime.now(UTC))
    # Replaced whole: an agency whose last dossier closed is no longer reported.
    dossiers_open.clear()
    for (status, agency), n in counts.items():
        dossiers_open.labels(status, agency).set(n)
    dossiers_overdue.clear()
    for agency, n in late.items():
        dossiers_overdue.labels(agency).set(n)
