"""The push channel's pure rules: the payload's shape and size, the endpoint guard, what an answer means."""

from __future__ import annotations

import json

import pytest

from notify.config import DEFAULT_PUSH_HOSTS, Settings
from notify.domain.push import (
    MAX_PAYLOAD,
    BadSubscription,
    check_endpoint,
    payload,
    pushable,
    shown_endpoint,
    verdict,
)


def test_the_payload_has_exactly_the_keys_the_service_worker_reads_and_fits():
    body = "Hồ sơ của bạn đã được tiếp nhận. " * 400  # far over the limit, multi-byte text
    raw = payload(
        title="Hồ sơ 1: Đã tiếp nhận", body=body, url="/ho-so/1", tag="dossier-1", id="n1", lang="vi"
    )
    doc = json.loads(raw)
    assert set(doc) == {"title", "body", "url", "tag", "id", "lang"}
    assert len(raw) <= MAX_PAYLOAD and doc["body"].endswith("…") and len(doc["body"]) > 1000
    short = json.loads(payload(title="t", body="ngắn", url="/", tag="x", id="1", lang="en"))
    assert short["body"] == "ngắn"


def test_codes_are_never_pushed():
    assert not pushable("verification_code") and pushable("status_changed")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (201, "sent"),
        (202, "sent"),
        (404, "gone"),
        (410, "gone"),
        (413, "permanent"),
        (400, "permanent"),
        (403, "permanent"),
        (429, "temporary"),
        (500, "temporary"),
        (503, "temporary"),
    ],
)
def test_what_a_push_service_answer_means(status, expected):
    assert verdict(status) == expected


def test_the_guard_matches_hosts_wildcards_and_ports():
    hosts = DEFAULT_PUSH_HOSTS
    check_endpoint("https://fcm.googleapis.com/fcm/send/x", hosts)
    check_endpoint("https://FCM.googleapis.com./fcm/send/x", hosts)  # case and the root dot
    check_endpoint("https://api.push.apple.com/3/device/x", hosts)
    for bad in (
        "http://fcm.googleapis.com/fcm/send/x",
        "https://xfcm.googleapis.com/x",
        "https://push.apple.com/x",
        "https://evilpush.apple.com.example/x",
        "https://fcm.googleapis.com:444/x",
        "https://[::1]/x",
        "https://fcm.googleapis.com/x#frag",
        "https://fcm.googleapis.com/a b",
    ):
        with pytest.raises(BadSubscription):
            check_endpoint(bad, hosts)
    check_endpoint("http://127.0.0.1:9600/push/x", ("127.0.0.1:9600",), allow_http=True)
    with pytest.raises(BadSubscription):
        check_endpoint("http://127.0.0.1:9600/push/x", ("127.0.0.1:9600",))  # http not allowed


def test_a_listed_endpoint_is_shown_cut_short():
    shown = shown_endpoint("https://fcm.googleapis.com/fcm/send/secret-capability-token")
    assert shown.startswith("https://fcm.googleapis.com/fcm/send") and "capability" not in shown


def test_production_refuses_plain_http_and_the_development_key(monkeypatch):
    from pydantic import ValidationError

    strong = {"amqp_url": "amqp://u:p@rabbit:5672/", "seal_key": "s" * 40}
    with pytest.raises(ValidationError, match="vapid_private_key"):
        Settings(env="production", **strong)
    key = (
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyrbvdLWG1pL8Db8F\n"
        "-----END PRIVATE KEY-----"
    )
    with pytest.raises(ValidationError, match="PUSH_ALLOW_HTTP"):
        Settings(env="production", vapid_private_key=key, push_allow_http=True, **strong)
    with pytest.raises(ValidationError, match="mailto"):
        Settings(vapid_subject="admin@example.vn")
    monkeypatch.setenv("NOTIFY_PUSH_HOSTS", "fcm.googleapis.com, 127.0.0.1:9600")
    assert Settings().push_hosts == ("fcm.googleapis.com", "127.0.0.1:9600")
