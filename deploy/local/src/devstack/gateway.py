"""Renders the gateway's nginx configuration from ``gateway/nginx.conf.j2``.

``python -m devstack.gateway`` rewrites ``gateway/docker/nginx.conf``, the configuration baked into the
gateway image (``gateway/Dockerfile``); run it after editing the template (a test fails while it is stale).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2

from .config import ROOT, SERVICES, StackConfig

TEMPLATE = "nginx.conf.j2"
DOCKER_CONF = Path("gateway/docker/nginx.conf")


def _render(gateway_dir: Path, **values: Any) -> str:
    env = jinja2.Environment(  # noqa: S701 - renders an nginx file, not HTML
        loader=jinja2.FileSystemLoader(gateway_dir),
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(TEMPLATE).render(**values)


def local(cfg: StackConfig) -> str:
    """The configuration of the local gateway (paths under the data dir, upstreams on 127.0.0.1)."""
    home = cfg.data_dir / "gateway"
    return _render(
        cfg.root / "gateway",
        listen=f"{cfg.host}:{cfg.gateway_port}",
        reuseport=False,
        # As root, workers drop to nobody (the master only binds and reads the configuration).
        user="nobody nogroup" if os.geteuid() == 0 else "",
        workers="auto",
        pid=str(home / "nginx.pid"),
        error_log=str(cfg.log_dir / "gateway-error.log"),
        access_log=str(cfg.log_dir / "gateway-access.log"),
        temp_dir=str(home / "tmp"),
        web_root=str(cfg.root / "gateway" / "web"),
        resolver="",
        env=cfg.env,
        services=[
            {
                "name": s.name,
                "prefix": s.prefix,
                "max_body": s.max_body,
                "read_timeout": s.read_timeout,
                "cache": s.cache,
                "upstreams": [f"{cfg.host}:{p}" for p in cfg.ports(s)],
            }
            for s in SERVICES
        ],
    )


def docker(root: Path) -> str:
    """The configuration baked into the gateway image (docker-compose: one container a service)."""
    return _render(
        root / "gateway",
        listen="8080",
        reuseport=False,
        user="",
        workers="auto",
        pid="/tmp/nginx.pid",  # noqa: S108 - inside the container, nginx user only
        error_log="/dev/stderr",
        access_log="/dev/stdout",
        temp_dir="/tmp/nginx",  # noqa: S108
        web_root="/usr/share/nginx/html",
        resolver="127.0.0.11",  # Docker's embedded DNS
        env="production",
        services=[
            {
                "name": s.name,
                "prefix": s.prefix,
                "max_body": s.max_body,
                "read_timeout": s.read_timeout,
                "cache": s.cache,
                "upstreams": [f"{s.name}:{8000}"],
            }
            for s in SERVICES
        ],
    )


def write_local(cfg: StackConfig) -> Path:
    home = cfg.data_dir / "gateway"
    if os.geteuid() == 0:
        # Workers run as nobody: they must be able to pass through the data folder to their temp files.
        for d in (cfg.data_dir, home, home / "tmp"):
            d.mkdir(parents=True, exist_ok=True)
            d.chmod(d.stat().st_mode | 0o011)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "cache"):
        (home / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(home / "tmp" / sub, 65534, 65534)  # nobody:nogroup writes request bodies here
    cfg.log_dir.mkdir(parents=True, exist_ok=True)
    path = home / "nginx.conf"
    path.write_text(local(cfg))
    return path


def write_docker(root: Path = ROOT) -> Path:
    """Write the gateway image's configuration, ``gateway/docker/nginx.conf``."""
    path = root / DOCKER_CONF
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(docker(root))
    return path


def main() -> None:
    print(f"wrote {write_docker(ROOT)}")


if __name__ == "__main__":
    main()
