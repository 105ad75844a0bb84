"""The accounts collection."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel

USERS = "users"

SCHEMA = {
    USERS: [
        IndexModel([("citizen_id", ASCENDING)], unique=True, name="citizen_id",
                   partialFilterExpression={"citizen_id": {"$type": "string"}}),
        IndexModel([("phone", ASCENDING)], unique=True, name="phone",
                   partialFilterExpression={"phone": {"$type": "string"}}),
        IndexModel([("email", ASCENDING)], unique=True, name="email",
                   partialFilterExpression={"email": {"$type": "string"}}),
        IndexModel([("username", ASCENDING)], unique=True, name="username",
                   partialFilterExpression={"username": {"$type": "string"}}),
    ]
}


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "full_name": doc["full_name"],
        "citizen_id": doc.get("citizen_id"),
        "phone": doc.get("phone"),
        "email": doc.get("email"),
        "roles": doc.get("roles", []),
        "agencies": doc.get("agencies", []),
        "created_at": doc["created_at"],
    }
