"""The signing certificates' expiry on /metrics (certificate_expiry_seconds{name})."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY

from devstack import pki
from submission.adapters.signing import certificate_expiries, watch_certificates


def test_each_agency_certificate_and_the_trust_root_is_read(tmp_path: Path) -> None:
    pki.issue(tmp_path, "000.00.00.H26", "Sở Tư pháp")
    pki.issue(tmp_path, "000.00.01.H26", "Sở Xây dựng")
    (tmp_path / "agencies" / "broken.crt").write_text("not a certificate")
    found = certificate_expiries(tmp_path)
    assert set(found) == {"agency:000.00.00.H26", "agency:000.00.01.H26", "trust-root:ca.crt"}
    soon = datetime.now(UTC) + timedelta(days=300)
    assert all(until > soon for until in found.values())


def test_no_folder_no_certificates() -> None:
    assert certificate_expiries(None) == {}


async def test_the_loop_sets_the_gauge(tmp_path: Path) -> None:
    pki.issue(tmp_path, "000.00.02.H26", "Sở Y tế")
    task = asyncio.create_task(watch_certificates(tmp_path, (), 3600))
    try:
        for _ in range(100):
            value = REGISTRY.get_sample_value("certificate_expiry_seconds", {"name": "agency:000.00.02.H26"})
            if value:
                break
            await asyncio.sleep(0.05)
        assert value and value > (datetime.now(UTC) + timedelta(days=300)).timestamp()
    finally:
        task.cancel()
