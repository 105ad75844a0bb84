"""The server's ``serverStatus.opcounters`` buckets, as the MongoDB stand-in keeps them (it mirrors
mongod's): which bucket a command counts in. Shared by the benchmarks that count commands."""

from __future__ import annotations

KINDS = ("insert", "query", "update", "delete", "getmore", "command")
_BUCKET = {
    "insert": "insert",
    "find": "query",
    "count": "query",
    "distinct": "query",
    "update": "update",
    "findAndModify": "update",
    "delete": "delete",
    "getMore": "getmore",
}


def bucket(command: str) -> str:
    """The opcounters bucket ``command`` counts in; anything unlisted is a "command"."""
    return _BUCKET.get(command, "command")
