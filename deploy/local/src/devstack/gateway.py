"""Renders the gateway's nginx configuration from ``gateway/nginx.conf.j2``.

``python -m devstack.gateway`` rewrites ``gateway/docker/nginx.conf``, the configuration baked into the
gateway image (``gateway/Dockerfile``); run it after editing the template (a test fails while it is stale).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from .config import ROOT, SERVICES, ServiceSpec, StackConfig

TEMPLATE = "nginx.conf.j2"
POLICY = "policy.toml"
DOCKER_CONF = Path("gateway/docker/nginx.conf")
NJS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so"  # Debian's and the nginx image's
ISSUER = "dvc-haiphong-auth"  # what the auth service signs (dvckit.settings); the edge checks the same
AUDIENCE = "dvc-haiphong"
DEFAULT_ZONES = ("ip", "user")


def policy(gateway_dir: Path, services: list[dict[str, Any]], exempt: list[str]) -> dict[str, Any]:
    """gateway/policy.toml as template values: the public allow list, limit zones and stricter routes.
    Addresses in ``exempt`` (services calling each other through a local gateway) are never limited.

    A route's zones are split by key: the address zones (``ip_zones``) are counted in the route's own
    location, before the token check; the per-user ones form a named set (``limit_sets``; the route's
    ``user_limits`` names its set) that the check counts once it has verified the token's subject."""
    doc = tomllib.loads((gateway_dir / POLICY).read_text())
    zones = {name: {"name": name, **z} for name, z in doc["zones"].items()}
    by_name = {s["name"]: s for s in services}

    def keyed(zs: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return [z for z in zs if z["key"] == key]

    def limit_set(zs: list[dict[str, Any]]) -> str:
        """Name the set of per-user zones ``zs`` (e.g. "user-captcha_user"), added once; "" if none."""
        name = "-".join(z["name"] for z in zs)
        if name and name not in {s["name"] for s in limit_sets}:
            limit_sets.append({"name": name, "zones": zs})
        return name

    default = [zones[z] for z in DEFAULT_ZONES]
    limit_sets: list[dict[str, Any]] = []
    default_route = {"ip_zones": keyed(default, "ip"), "user_limits": limit_set(keyed(default, "user"))}
    routes = []
    for r in doc["routes"]:
        strict = [zones[z] for z in r["zones"]]
        # Retry-After: when the strictest bucket has a request again.
        per_s = min((_per_second(z["rate"]) for z in strict), default=1.0)
        routes.append(
            {
                "match": r["match"],
                # A route may take smaller bodies than its service's (max_body: the public verification).
                "service": by_name[r["service"]] | ({"max_body": r["max_body"]} if "max_body" in r else {}),
                "ip_zones": keyed(default + strict, "ip"),
                "user_limits": limit_set(keyed(default + strict, "user")),
                "retry_after": max(1, math.ceil(1 / per_s)),
                # tus: an OPTIONS that is not a CORS preflight is the protocol's discovery (to the service).
                "tus": bool(r.get("tus", False)),
            }
        )
    return {
        "public": doc["public"],
        "zones": list(zones.values()),
        "default_route": default_route | {"retry_after": 1, "tus": False},
        "routes": routes,
        "limit_sets": limit_sets,
        "limit_exempt": exempt,
    }


def _per_second(rate: str) -> float:
    number, unit = rate.removesuffix("r/s").removesuffix("r/m"), rate[-1]
    return float(number) / (60 if unit == "m" else 1)


def routes(upstreams: Callable[[ServiceSpec], list[str]]) -> list[dict[str, Any]]:
    """The template's ``services``: each service's route settings and where its replicas answer."""
    return [
        {
            "name": s.name,
            "prefix": s.prefix,
            "max_body": s.max_body,
            "read_timeout": s.read_timeout,
            "cache": s.cache,
            "upstreams": upstreams(s),
        }
        for s in SERVICES
    ]


def render(gateway_dir: Path, *, exempt: list[str], **values: Any) -> str:
    """gateway/nginx.conf.j2 with ``values`` and gateway/policy.toml (local, image and Kubernetes)."""
    env = jinja2.Environment(  # noqa: S701 - renders an nginx file, not HTML
        loader=jinja2.FileSystemLoader(gateway_dir),
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    values |= policy(gateway_dir, values["services"], exempt)
    # Where the gateway reaches itself for the per-user buckets: its own port, on the loopback address.
    listen = values["listen"]
    values["limits_address"] = listen if ":" in listen else f"127.0.0.1:{listen}"
    return env.get_template(TEMPLATE).render(
        issuer=ISSUER, audience=AUDIENCE, njs_module=NJS_MODULE, **values
    )


def local(cfg: StackConfig) -> str:
    """The configuration of the local gateway (paths under the data dir, upstreams on 127.0.0.1)."""
    home = cfg.data_dir / "gateway"
    return render(
        cfg.root / "gateway",
        listen=f"{cfg.host}:{cfg.gateway_port}",
        reuseport=False,
        # As root, workers drop to nobody (the master only binds and reads the configuration).
        user="nobody nogroup" if os.geteuid() == 0 else "",
        # nginx workers; "auto" is one a core. On a machine the services share, fewer leave them the cores.
        workers=os.environ.get("DVC_GATEWAY_WORKERS", "auto"),
        pid=str(home / "nginx.pid"),
        error_log=str(cfg.log_dir / "gateway-error.log"),
        access_log=str(cfg.log_dir / "gateway-access.log"),
        temp_dir=str(home / "tmp"),
        web_root=str(cfg.root / "gateway" / "web"),
        apidocs_root=str(cfg.root / "gateway" / "apidocs"),
        njs_dir=str(cfg.root / "gateway" / "njs"),
        resolver="",
        # Local clients may name the address they stand for (tests of the limits do); the services,
        # calling each other through this gateway from the same address, are never limited.
        trusted_proxies=[cfg.host, *cfg.trusted_proxies],
        exempt=[cfg.host],
        cors_origins=list(cfg.cors_origins),
        env=cfg.env,
        services=routes(lambda s: [f"{cfg.host}:{p}" for p in cfg.ports(s)]),
    )


def docker(root: Path) -> str:
    """The configuration baked into the gateway image (docker-compose: one container a service)."""
    return render(
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
        apidocs_root="/usr/share/nginx/apidocs",
        njs_dir="/etc/nginx/njs",
        resolver="127.0.0.11",  # Docker's embedded DNS
        # The gateway is the edge: nobody in front of it, services call each other directly.
        trusted_proxies=[],
        exempt=[],
        cors_origins=[],
        env="production",
        services=routes(lambda s: [f"{s.name}:8000"]),
    )


def write_local(cfg: StackConfig) -> Path:
    home = cfg.data_dir / "gateway"
    if os.geteuid() == 0:
        # Workers run as nobody: they must be able to pass through the data folder to their temp files.
        for d in (cfg.data_dir, home, home / "tmp"):
            d.mkdir(parents=True, exist_ok=True)
            d.chmod(d.stat().st_mode | 0o011)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "cache", "edge"):
        (home / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(home / "tmp" / sub, 65534, 65534)  # nobody:nogroup writes request bodies, keys here
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
