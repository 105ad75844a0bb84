"""``dvc-audit``: the audit service (no argument, as every ``dvc-<service>``) and its operator commands.

    dvc-audit                         serve (uvicorn; the settings from AUDIT_* and DVC_*)
    dvc-audit verify [--stream S]... [--json]
                                      check every stream's hash chain; exit 0 when intact, 1 when not
                                      (one line a finding), 2 when the database cannot be read; a run
                                      over every stream is recorded (the service reports the last one
                                      on /metrics)
    dvc-audit prune                   apply the retention (AUDIT_RETENTION_DAYS) once, now

It reads the service's settings, so ``AUDIT_MONGO_URL`` (or ``DVC_MONGO_URL``) and ``AUDIT_MONGO_DB``
point it at the database (docs/audit.md, docs/operations.md "Audit trail").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import PyMongoError

from dvckit import mongo

from .adapters.entries import Chains, Entries, Verifications
from .config import Settings
from .domain.chain import Report
from .service.chains import Retention, Verifier


async def _verify(settings: Settings, streams: Sequence[str]) -> list[Report]:
    client = mongo.connect(
        settings.mongo_url, appname="dvc-audit-verify", timeout_ms=settings.mongo_timeout_ms
    )
    try:
        db = client[settings.mongo_db]
        reports = await Verifier(Entries(db), Chains(db)).verify_all(list(streams) or None)
        if not streams:  # the whole trail: what the alerts watch (DvcAuditTrailNotIntact, …Unverified)
            await Verifications(db).record(
                datetime.now(UTC),
                streams=len(reports),
                checked=sum(r.checked for r in reports),
                findings=sum(len(r.findings) for r in reports),
            )
        return reports
    finally:
        await client.close()


async def _prune(settings: Settings) -> dict[str, int]:
    client = mongo.connect(
        settings.mongo_url, appname="dvc-audit-prune", timeout_ms=settings.mongo_timeout_ms
    )
    try:
        db = client[settings.mongo_db]

        async def transaction(fn: Any) -> Any:
            return await mongo.transaction(client, fn)

        retention = Retention(
            Entries(db), Chains(db), transaction, settings.retention_days, settings.retention_seconds
        )
        return await retention.prune()
    finally:
        await client.close()


def verify(argv: Sequence[str], settings: Settings | None = None) -> int:
    """``dvc-audit verify``: what it prints and its exit status (also called by the tests)."""
    parser = argparse.ArgumentParser(prog="dvc-audit verify", description="Check the audit trail's chains.")
    parser.add_argument("--stream", action="append", default=[], help="only this stream (repeatable)")
    parser.add_argument("--json", action="store_true", help="one JSON document: every stream, every finding")
    args = parser.parse_args(list(argv))
    settings = settings or Settings()
    try:
        reports = asyncio.run(_verify(settings, args.stream))
    except PyMongoError as e:
        print(f"dvc-audit verify: cannot read the audit database: {e}", file=sys.stderr)
        return 2
    intact = all(r.intact for r in reports)
    if args.json:
        body = {
            "intact": intact,
            "streams": [
                {
                    "stream": r.stream,
                    "checked": r.checked,
                    "first": r.first,
                    "last": r.last,
                    "head": r.head,
                    "intact": r.intact,
                    "findings": [f.as_dict() for f in r.findings],
                }
                for r in reports
            ],
        }
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            for f in r.findings:
                print(f.line())
        summary = ", ".join(f"{r.stream} {r.checked}" for r in reports) or "no streams"
        print(f"{'intact' if intact else 'NOT INTACT'}: {summary}", file=sys.stderr)
    return 0 if intact else 1


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "serve":
        from .main import run

        run()
        return
    if args[0] == "verify":
        sys.exit(verify(args[1:]))
    if args[0] == "prune":
        pruned = asyncio.run(_prune(Settings()))
        print(json.dumps(pruned))
        return
    print(__doc__, file=sys.stderr)
    sys.exit(2)
