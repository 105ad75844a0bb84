"""JSON encoding shared by responses, events and logs (orjson: fast, UTC datetimes, UUIDs)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


def _default(obj: Any) -> Any:
    # pydantic models, ObjectId, Decimal and the like.
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return str(obj)


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


class ORJSONResponse(JSONResponse):
    """The default response class of every service: UTF-8 JSON without escaping Vietnamese."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
