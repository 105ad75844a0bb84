"""Run a service under uvicorn with the platform's logging: the entry point of every ``dvc-<service>``."""

from __future__ import annotations

import uvicorn

from . import logs
from .settings import ServiceSettings


def serve(factory: str, settings: ServiceSettings) -> None:
    """``factory`` is the import path of the service's ``create_app`` (``"auth.main:create_app"``)."""
    logs.setup(settings.service_name, settings.instance, settings.log_level)
    uvicorn.run(
        factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our JSON logging, set up above
        access_log=False,  # the request middleware writes one richer line a request
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
        # Longer than the gateway keeps idle upstream connections (60 s): were uvicorn to close one first
        # (its default is 5 s), nginx could send a request into the closing socket and, for a POST it may
        # not retry, answer 502.
        timeout_keep_alive=75,
        server_header=False,
    )
