"""One MongoDB server per service (or one shared): ports, URLs, each service's environment, and `down`
stopping every server the stack started, whichever layout started it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from devstack.config import SERVICE_NAMES, SERVICES, StackConfig
from devstack.infra import Mongo, mongo_servers
from devstack.procs import port_open
from devstack.stack import Stack
from devstack.testing import free_port, free_ports


def test_per_service_is_the_default_each_service_on_its_own_port():
    cfg = StackConfig(mongo_port=27017)
    assert cfg.mongo_layout == "per-service"
    assert [cfg.mongo_port_for(name) for name in SERVICE_NAMES] == [
        27017,
        27018,
        27019,
        27020,
        27021,
        27022,
        27023,
    ]
    assert cfg.mongo_servers() == {
        "mongodb-auth": 27017,
        "mongodb-catalog": 27018,
        "mongodb-submission": 27019,
        "mongodb-notify": 27020,
        "mongodb-payment": 27021,
        "mongodb-reporting": 27022,
        "mongodb-audit": 27023,
    }
    assert len(cfg.mongo_urls()) == 7
    url = urlsplit(cfg.mongo_url_for("notify"))
    assert (url.hostname, url.port) == ("127.0.0.1", 27020)
    # The stand-in needs retryWrites=false; one server, not a replica set to discover.
    assert "retryWrites=false" in url.query and "directConnection=true" in url.query
    with pytest.raises(ValueError):
        cfg.mongo_url_for("gateway")


def test_explicit_ports_win_and_shared_puts_everyone_on_one_server():
    ports = {
        "auth": 40001,
        "catalog": 40011,
        "submission": 40021,
        "notify": 40031,
        "payment": 40041,
        "reporting": 40051,
        "audit": 40061,
    }
    cfg = StackConfig(mongo_port=27017, mongo_service_ports=ports)
    assert {name: cfg.mongo_port_for(name) for name in SERVICE_NAMES} == ports
    shared = cfg.with_(mongo_layout="shared")
    assert {shared.mongo_port_for(name) for name in SERVICE_NAMES} == {27017}
    assert shared.mongo_servers() == {"mongodb": 27017}
    assert shared.mongo_urls() == [shared.mongo_url_for("auth")]
    with pytest.raises(ValueError):
        StackConfig(mongo_layout="sharded")
    with pytest.raises(ValueError):
        StackConfig(mongo_service_ports={"gateway": 1})


def test_each_service_process_is_given_its_own_server(monkeypatch):
    monkeypatch.setenv("DVC_MONGO_PORT", "31000")
    monkeypatch.delenv("DVC_MONGO_LAYOUT", raising=False)
    cfg = StackConfig.from_env()
    for i, spec in enumerate(SERVICES):
        env = cfg.service_env(spec, 1, 9000)
        prefix = spec.name.upper()
        assert urlsplit(env[f"{prefix}_MONGO_URL"]).port == 31000 + i
        assert env[f"{prefix}_MONGO_DB"] == f"dvc_{spec.name}"
        # No platform-wide URL a service could fall back to by mistake.
        assert "DVC_MONGO_URL" not in env
    monkeypatch.setenv("DVC_MONGO_LAYOUT", "shared")
    shared = StackConfig.from_env()
    assert {urlsplit(shared.mongo_url_for(s)).port for s in SERVICE_NAMES} == {31000}
    monkeypatch.setenv("DVC_MONGO_LAYOUT", "one")
    with pytest.raises(SystemExit):
        StackConfig.from_env()


def test_the_service_settings_read_their_own_url(monkeypatch):
    """`<SERVICE>_MONGO_URL`, which `make up` sets, is what each service's settings use."""
    from auth.config import Settings as AuthSettings
    from notify.config import Settings as NotifySettings

    cfg = StackConfig(mongo_port=31000)
    for cls, name in ((AuthSettings, "auth"), (NotifySettings, "notify")):
        spec = next(s for s in SERVICES if s.name == name)
        for k, v in cfg.service_env(spec, 1, 9000).items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("DVC_MONGO_URL", "mongodb://elsewhere:1/")  # loses to the service's own
        assert cls().mongo_url == cfg.mongo_url_for(name)


def test_free_ports_are_consecutive_and_free():
    first = free_ports(4)
    assert not any(port_open("127.0.0.1", p) for p in range(first, first + 4))


def test_up_reuses_each_server_and_down_stops_every_layouts_servers(tmp_path):
    cfg = StackConfig(data_dir=tmp_path, mongo_service_ports={name: free_port() for name in SERVICE_NAMES})
    servers = mongo_servers(cfg)
    assert [m.service for m in servers] == list(SERVICE_NAMES)
    # A server of the shared layout, left by an earlier `make up` with DVC_MONGO_LAYOUT=shared.
    old = Mongo(cfg.with_(mongo_port=free_port(), mongo_layout="shared"))
    try:
        with ThreadPoolExecutor(len(servers) + 1) as pool:
            assert list(pool.map(Mongo.ensure, [*servers, old])) == ["started"] * (len(servers) + 1)
        assert [m.ensure() for m in servers] == ["reused"] * len(servers)  # per port: nothing restarted
        assert sorted(p.name for p in (tmp_path / "run").glob("mongodb*.pid")) == sorted(
            [*(f"mongodb-{n}.pid" for n in SERVICE_NAMES), "mongodb.pid"]
        )
        assert all((tmp_path / f"mongodb-{n}").is_dir() for n in SERVICE_NAMES)
        status = Stack(cfg).status()
        assert all(status[f"Mongo ({n})"] == "ours" for n in SERVICE_NAMES), status
        stopped = Stack(cfg).down()
        assert sorted(stopped) == sorted([*(f"Mongo ({n})" for n in SERVICE_NAMES), "mongodb"])
        assert not any(port_open("127.0.0.1", m.port) for m in [*servers, old])
    finally:
        for m in [*servers, old]:
            m.proc.stop()
