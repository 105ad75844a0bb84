"""Audit service: the append-only, hash-chained audit trail of every service (docs/audit.md)."""
