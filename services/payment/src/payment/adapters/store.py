"""Payment's collections."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

ORDERS = "orders"  # payment orders (domain/order.py), one document each
DOSSIERS = "dossiers"  # what payment knows of each dossier (from dossier.* events): whose, its fees

SCHEMA = {
    ORDERS: [
        IndexModel([("dossier_id", ASCENDING), ("created_at", DESCENDING)], name="dossier"),
        # One open order a dossier and purpose: the key is set while the order is open, removed after.
        IndexModel([("open_key", ASCENDING)], name="one_open", unique=True, sparse=True),
        # Reconciliation's walk: open orders, oldest first.
        IndexModel([("state", ASCENDING), ("created_at", ASCENDING)], name="state_age"),
        # A citizen's own orders (their data export).
        IndexModel([("owner_id", ASCENDING), ("created_at", ASCENDING)], name="owner"),
    ],
    DOSSIERS: [],
}
