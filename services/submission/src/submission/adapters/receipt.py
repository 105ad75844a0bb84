"""The receipt and appointment slip (form 01) is one of the papers (adapters/papers): ``Receipts`` draws
them all; this module keeps the names it had."""

from __future__ import annotations

from .papers.common import when
from .papers.f01_receipt import inputs as receipt_inputs
from .papers.pool import BUSY, Receipts

__all__ = ["BUSY", "Receipts", "receipt_inputs", "when"]
