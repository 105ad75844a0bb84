"""``python -m reporting.rebuild``: every read model made again from the kept events (docs/reporting.md).

Uses the service's settings (``REPORTING_MONGO_URL``, ``REPORTING_MONGO_DB``…). Stop the consumers first
(``REPORTING_CONSUME=false`` on the replicas, or scale them to 0): see service/rebuild.py."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from dvckit import mongo

from .adapters.catalog import Catalog
from .adapters.store import SCHEMA
from .config import Settings
from .main import stores
from .service.rebuild import rebuild
from .service.reference import Reference


async def run(settings: Settings | None = None) -> dict[str, Any]:
    """Rebuild the database ``settings`` name (the service's own); what was made."""
    settings = settings or Settings()
    client = mongo.connect(settings.mongo_url, appname=f"{settings.instance}-rebuild")
    try:
        db = client[settings.mongo_db]
        await mongo.ensure_schema(db, SCHEMA)
        s = stores(db)
        catalog = Catalog(settings.catalog_url)
        reference = Reference(s.agencies, s.procedures, catalog, s.revision, settings.reference_seconds)
        try:
            return await rebuild(
                settings.zone, s.events, s.facts, s.counters, s.opened, s.procedures, reference
            )
        finally:
            await catalog.close()
    finally:
        await client.close()


def main() -> None:
    print(json.dumps(asyncio.run(run())))
    sys.exit(0)


if __name__ == "__main__":
    main()
