"""Structured JSON logs: one event a line, with the service, instance, request id and user id.

Request-scoped values live in context variables (``bind``), so every line logged while a request or an
event is being handled carries them without being passed around. Standard-library loggers (uvicorn,
pymongo, aio-pika) go through the same renderer.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import orjson
import structlog

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# Where the current request came from: (address, user agent), set by the request-context middleware from
# the gateway's X-Real-IP (the peer's address when called directly). The audit trail records it.
client_var: ContextVar[tuple[str | None, str | None]] = ContextVar("client", default=(None, None))


def _dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default).decode()


def setup(service: str, instance: str, level: str = "INFO") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.EventRenamer("msg"),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that are chatty at INFO.
    for name in ("aiormq", "aio_pika", "pymongo", "botocore", "aiobotocore", "httpx", "uvicorn.access"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service, instance=instance)


def get(name: str | None = None) -> Any:
    return structlog.stdlib.get_logger(name)


def bind(**values: Any) -> Any:
    """Bind values to the current context (request or event); returns tokens for ``unbind``."""
    return structlog.contextvars.bind_contextvars(**values)


def reset(tokens: Any) -> None:
    structlog.contextvars.reset_contextvars(**tokens)
