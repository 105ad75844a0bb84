"""The local push service (devstack.pushsvc) over HTTP, as notify speaks to it: it takes a push only when
VAPID is right (signature by k, aud its origin, exp ahead and within a day, sub), the body aes128gcm and
TTL given, and decrypts it with the subscription's own keys; 404, 410, 413 and the failures asked for
answer as real push services do. Run as `make up` runs it (devstack.infra.PushSvc), on a free port;
refused in production."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from py_vapid import Vapid02

from devstack.config import StackConfig
from devstack.infra import PushSvc
from devstack.testing import free_port
from notify.adapters.webpush import encrypt, public_key_of
from notify.domain.push import Subscription


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cfg = StackConfig(data_dir=tmp_path_factory.mktemp("pushsvc"), pushsvc_port=free_port())
    part = PushSvc(cfg)
    part.ensure()
    try:
        yield cfg.pushsvc_url
    finally:
        part.proc.stop()


@pytest.fixture(scope="module")
def vapid() -> Vapid02:
    v = Vapid02()
    v.generate_keys()
    return v


def subscribe(svc: str, key: str | None = None) -> dict[str, Any]:
    r = httpx.post(f"{svc}/subscribe", json={"applicationServerKey": key} if key else {})
    assert r.status_code == 201, r.text
    return r.json()


def push(
    svc: str,
    sub: dict[str, Any],
    v: Vapid02,
    text: bytes = b'{"title":"Ch\xc3\xa0o"}',
    claims: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    body = encrypt(text, Subscription("x", sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"]))
    token = v.sign(
        {"aud": svc, "exp": int(time.time()) + 3600, "sub": "mailto:a@haiphong.gov.vn", **(claims or {})}
    )
    h = {"Authorization": token["Authorization"], "Content-Encoding": "aes128gcm", "TTL": "60", **headers}
    return httpx.post(sub["endpoint"], content=body, headers={k: v for k, v in h.items() if v})


def inbox(svc: str, sub: dict[str, Any]) -> dict[str, Any]:
    return httpx.get(f"{svc}/messages/{sub['endpoint'].rsplit('/', 1)[1]}").json()


def test_a_push_signed_and_encrypted_as_notify_does_is_decrypted(svc, vapid):
    sub = subscribe(svc, public_key_of(vapid))
    assert sub["endpoint"].startswith(f"{svc}/push/") and sub["expirationTime"] is None
    r = push(svc, sub, vapid, Urgency="high")
    assert r.status_code == 201 and r.headers["location"].endswith("/1")
    (msg,) = inbox(svc, sub)["messages"]
    assert msg["json"] == {"title": "Chào"} and msg["ttl"] == 60 and msg["urgency"] == "high"
    assert msg["vapid"]["aud"] == svc and msg["k"] == public_key_of(vapid)


@pytest.mark.parametrize(
    ("claims", "headers", "status"),
    [
        ({"aud": "http://127.0.0.1:1"}, {}, 401),  # another push service's token
        ({"exp": int(time.time()) - 10}, {}, 401),
        ({"exp": int(time.time()) + 3 * 86400}, {}, 401),  # more than a day ahead
        ({}, {"Authorization": "WebPush abc"}, 401),
        ({}, {"Content-Encoding": "aesgcm"}, 415),
        ({}, {"TTL": ""}, 400),
        ({}, {"Urgency": "urgent"}, 400),
    ],
)
def test_what_a_push_service_refuses(svc, vapid, claims, headers, status):
    sub = subscribe(svc)
    r = push(svc, sub, vapid, claims=claims, **headers)
    assert r.status_code == status, r.text
    got = inbox(svc, sub)
    assert got["messages"] == [] and got["refused"][0]["status"] == status


def test_a_signature_by_another_key_than_k_or_the_subscriptions_is_refused(svc, vapid):
    sub = subscribe(svc, public_key_of(vapid))
    other = Vapid02()
    other.generate_keys()
    assert push(svc, sub, other).status_code == 403  # k is not the application server key subscribed with
    # A token whose signature is not k's.
    token = other.sign({"aud": svc, "exp": int(time.time()) + 60, "sub": "mailto:a@haiphong.gov.vn"})
    forged = token["Authorization"].split(",k=")[0] + ",k=" + public_key_of(vapid)
    assert forged != token["Authorization"]
    assert push(svc, sub, vapid, Authorization=forged).status_code == 401


def test_gone_unknown_too_large_undecryptable_and_failures_asked_for(svc, vapid):
    sub = subscribe(svc)
    other = subscribe(svc)
    wrong_keys = {**sub, "keys": other["keys"]}
    assert push(svc, wrong_keys, vapid).status_code == 400  # encrypted for another browser
    assert push(svc, sub, vapid, text=b"x" * 5000).status_code == 413
    sid = sub["endpoint"].rsplit("/", 1)[1]
    httpx.post(f"{svc}/fail/{sid}", json={"status": 429, "count": 2}).raise_for_status()
    assert [push(svc, sub, vapid).status_code for _ in range(3)] == [429, 429, 201]
    httpx.post(f"{svc}/expire/{sid}").raise_for_status()
    assert push(svc, sub, vapid).status_code == 410
    assert push(svc, {**sub, "endpoint": f"{svc}/push/nobody"}, vapid).status_code == 404


def test_refused_in_production():
    env = {**os.environ, "DVC_ENV": "production"}
    got = subprocess.run(
        [sys.executable, "-m", "devstack.pushsvc", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert got.returncode != 0 and "refused with DVC_ENV=production" in got.stderr


def test_make_up_runs_it_and_lets_notify_push_to_it_but_never_in_production():
    from devstack.config import SERVICES
    from devstack.stack import Stack

    notify = next(s for s in SERVICES if s.name == "notify")
    dev = StackConfig(pushsvc_port=9611)
    assert any(isinstance(p, PushSvc) for p in Stack(dev).infra())
    env = dev.service_env(notify, 1, 8401)
    assert env["NOTIFY_PUSH_ALLOW_HTTP"] == "true"
    assert env["NOTIFY_PUSH_HOSTS"].split(",")[-1] == "127.0.0.1:9611"
    assert "fcm.googleapis.com" in env["NOTIFY_PUSH_HOSTS"]
    prod = StackConfig(env="production")
    assert not any(isinstance(p, PushSvc) for p in Stack(prod).infra())
    assert "NOTIFY_PUSH_ALLOW_HTTP" not in prod.service_env(notify, 1, 8401)
