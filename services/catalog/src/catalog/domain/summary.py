"""What a list of procedures shows about each: fee summary, processing time. Pure functions."""

from __future__ import annotations

from dvckit.vn import vnd

from .model import Procedure
from .routing import Routing


def fee_summary(p: Procedure) -> str | None:
    """ "Miễn phí", "7.000 đ", "7.000 đ – 10.000 đ", or None when the catalogue does not say."""
    amounts = sorted({f.amount for f in p.fees})
    if not amounts:
        return None
    if amounts[-1] == 0:
        return "Miễn phí"
    paid = [a for a in amounts if a > 0]
    low, high = paid[0], paid[-1]
    text = vnd(low) if low == high else f"{vnd(low)} – {vnd(high)}"
    return f"Miễn phí – {vnd(high)}" if 0 in amounts and low == high else text


def list_item(p: Procedure, routing: Routing | None = None) -> dict[str, object]:
    """What a list shows; ``fileable`` also needs the procedure to be fileable in Hải Phòng at all
    (``routing``: a central-only procedure is filed elsewhere whatever its online level)."""
    return {
        "code": p.code,
        "name": p.name,
        "field": p.field,
        "agency": p.agencies[0] if p.agencies else None,
        "agencies": p.agencies,
        "levels": p.levels,
        "level": p.levels[0] if p.levels else None,
        "online_level": p.online_level,
        "fileable": p.online_filing and (routing is None or routing.fileable_here),
        "processing_time": p.processing_time.text if p.processing_time else None,
        "working_days": p.processing_time.working_days if p.processing_time else None,
        "fee_summary": fee_summary(p),
        "popularity": p.popularity,
        "version": p.version,
    }
