"""The test tooling's second factor: each sign-in of a process gets a code of a step no sign-in of it
used for that account and stack (auth takes a code once), waiting only when it runs ahead of the clock;
the development stack gives the first administrator its secret, production never."""

from __future__ import annotations

import time

import pyotp
import pytest

from devstack import client
from devstack.config import DEV_ADMIN_TOTP_SECRET, SERVICES, StackConfig

SECRET = pyotp.random_base32(32)


def steps_of(codes: list[str], secret: str, around: int) -> list[int]:
    totp = pyotp.TOTP(secret)
    return [next(s for s in range(around - 2, around + 5) if totp.generate_otp(s) == c) for c in codes]


def test_each_sign_in_takes_the_next_step_and_waits_only_when_ahead(monkeypatch):
    now = 1_800_000_010.0  # 10 s into a step
    monkeypatch.setattr(client.time, "time", lambda: now)
    current = int(now // 30)
    got = [client._reserve(SECRET, "stack-a") for _ in range(3)]
    assert steps_of([c for c, _ in got], SECRET, current) == [current, current + 1, current + 2]
    # Auth takes a step one either side of now: the third waits until its step is one ahead (+ margin).
    assert [w for _, w in got] == [0.0, 0.0, pytest.approx(20.5)]
    # Another stack (or another in-process app) counts its own steps.
    code, wait = client._reserve(SECRET, "stack-b")
    assert steps_of([code], SECRET, current) == [current] and wait == 0.0


def test_a_step_already_past_is_never_taken_again(monkeypatch):
    now = [1_800_000_100.0]
    monkeypatch.setattr(client.time, "time", lambda: now[0])
    client._reserve(SECRET, "stack-c")
    client._reserve(SECRET, "stack-c")  # one step ahead
    now[0] += 95  # three steps later: the current one is past both, and is taken at once
    second, wait = client._reserve(SECRET, "stack-c")
    assert steps_of([second], SECRET, int(now[0] // 30)) == [int(now[0] // 30)] and wait == 0.0


def test_a_code_is_one_auth_takes_now():
    code = client.totp_code(SECRET, f"live-{time.time()}")
    assert pyotp.TOTP(SECRET).verify(code, valid_window=1)


def test_the_development_stack_gives_the_first_administrator_its_secret(monkeypatch):
    monkeypatch.delenv("DVC_ADMIN_TOTP_SECRET", raising=False)
    monkeypatch.delenv("DVC_ENV", raising=False)
    auth = next(s for s in SERVICES if s.name == "auth")
    cfg = StackConfig.from_env()
    assert cfg.admin_totp_secret == DEV_ADMIN_TOTP_SECRET
    assert cfg.service_env(auth, 1, 9000)["DVC_ADMIN_TOTP_SECRET"] == DEV_ADMIN_TOTP_SECRET
    monkeypatch.setenv("DVC_ENV", "production")
    production = StackConfig.from_env()
    assert production.admin_totp_secret == ""
    assert "DVC_ADMIN_TOTP_SECRET" not in production.service_env(auth, 1, 9000)
