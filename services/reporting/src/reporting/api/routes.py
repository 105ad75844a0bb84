"""HTTP routes of the reporting service (mounted under /api/v1/reporting)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reporting"])
