"""Push notifications end to end: notify in-process against the run's local push service
(devstack.pushsvc), which plays the browser and its push service: it checks the VAPID signature and
decrypts the aes128gcm payload with the subscription's own private key, so what it stored is what a
device would show."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from devstack.testing import eventually
from dvckit.contracts import (
    DOSSIER_STATUS,
    DossierStatusChangedV1,
    VerificationCodeIssuedV1,
)

from .test_notify import submitted

N = "/api/v1/notifications"
P = f"{N}/push"
PORTAL = "https://dichvucong.haiphong.gov.vn"  # the conftest's portal_url


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def status_changed(
    user_id: str, new: str = "accepted", dossier_id: str | None = None
) -> DossierStatusChangedV1:
    return DossierStatusChangedV1(
        dossier_id=dossier_id or str(uuid.uuid4()),
        code="000.32.02.H26-261205-0042",
        owner_id=user_id,
        procedure_code="1.004194",
        procedure_name="Đăng ký tạm trú",
        agency_code="000.32.02.H26",
        agency_name="Công an Phường Ngô Quyền",
        old_status="submitted",
        new_status=new,
        old_status_code=DOSSIER_STATUS["submitted"][0],
        new_status_code=DOSSIER_STATUS[new][0],
        actor_role="officer",
        changed_at=datetime.now(UTC),
        rev=2,
    )


@pytest.fixture
async def pnotify(make_notify, infra):
    """Notify that may push to the run's push service (plain http, its host and port) and FCM."""
    return await make_notify(
        push_hosts=(f"127.0.0.1:{infra.pushsvc_port}", "fcm.googleapis.com", "*.notify.windows.com"),
        push_allow_http=True,
        push_ttl_seconds=3600,
    )


async def subscribe(n, infra, user_id: str, sub: dict[str, Any] | None = None) -> dict[str, Any]:
    sub = sub or infra.push_subscription(await vapid_key(n))
    r = await n.http.post(f"{P}/subscriptions", json=sub, headers=n.token_for(user_id))
    assert r.status_code == 201, r.text
    return sub


async def vapid_key(n) -> str:
    r = await n.http.get(f"{P}/vapid-key")
    assert r.status_code == 200, r.text
    return r.json()["public_key"]


async def received(infra, sub: dict[str, Any], count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
    async def check():
        got = infra.push_messages(sub["endpoint"])["messages"]
        return got if len(got) >= count else None

    return await eventually(check, timeout, 0.1)


async def test_the_vapid_key_is_public_and_is_the_settings_key(pnotify):
    from notify.adapters.webpush import load_vapid, public_key_of

    key = await vapid_key(pnotify)
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4
    settings = pnotify.rt.settings
    assert key == public_key_of(load_vapid(settings.vapid_private_key.get_secret_value()))


async def test_a_status_change_reaches_the_device_decrypted_with_title_and_link(pnotify, infra):
    n = pnotify
    user = await n.citizen()
    sub = await subscribe(n, infra, user["user_id"])
    prefs = (await n.http.get(f"{N}/preferences", headers=n.token_for(user["user_id"]))).json()
    assert prefs["push"] is True  # on once a device is subscribed
    event = status_changed(user["user_id"])
    env = await n.publish(event)

    (msg,) = await received(infra, sub)
    doc = msg["json"]
    assert set(doc) == {"title", "body", "url", "tag", "id", "lang"}
    assert doc["title"] == "Hồ sơ 000.32.02.H26-261205-0042: Đã tiếp nhận"
    assert doc["url"] == f"/ho-so/{event.dossier_id}"
    assert doc["lang"] == "vi" and doc["tag"] == f"dossier-{event.dossier_id}"
    assert "Đăng ký tạm trú" in doc["body"]
    note = await n.db.notifications.find_one({"event_id": str(env.id)})
    assert doc["id"] == note["_id"]  # the in-app notification it is
    # VAPID as RFC 8292 wants it: for the push service's origin, our subject, a day at most.
    assert msg["vapid"]["aud"] == infra.pushsvc_url
    assert msg["vapid"]["sub"] == n.rt.settings.vapid_subject
    assert msg["k"] == await vapid_key(n)
    assert msg["ttl"] == 3600 and msg["urgency"] == "normal"
    delivery = await eventually(
        lambda: n.db.deliveries.find_one({"event_id": str(env.id), "channel": "push", "status": "sent"})
    )
    assert delivery["to"].startswith(infra.pushsvc_url) and delivery["to"] != sub["endpoint"]
    assert delivery["attempts"][-1]["response"].startswith("201")

    # A redelivered event pushes nothing twice (one delivery an event and subscription).
    await n.publish(env)
    await n.publish(status_changed(user["user_id"], "supplement_requested", event.dossier_id))
    got = await received(infra, sub, 2)
    assert [m["json"]["title"].split(": ")[1] for m in got] == ["Đã tiếp nhận", "Yêu cầu bổ sung"]


async def test_english_when_the_person_chose_it_and_every_device(pnotify, infra):
    n = pnotify
    user = await n.citizen()
    phone, laptop = await subscribe(n, infra, user["user_id"]), await subscribe(n, infra, user["user_id"])
    r = await n.http.put(f"{N}/preferences", json={"language": "en"}, headers=n.token_for(user["user_id"]))
    assert r.status_code == 200 and r.json()["push"] is True
    await n.publish(status_changed(user["user_id"]))
    for device in (phone, laptop):
        (msg,) = await received(infra, device)
        assert msg["json"]["lang"] == "en"
        assert msg["json"]["title"] == "Dossier 000.32.02.H26-261205-0042: Accepted"


async def test_push_off_or_no_device_sends_nothing_and_codes_are_never_pushed(pnotify, infra):
    n = pnotify
    user = await n.citizen()
    h = n.token_for(user["user_id"])
    assert (await n.http.get(f"{N}/preferences", headers=h)).json()["push"] is False  # no device yet
    sub = await subscribe(n, infra, user["user_id"])
    # A one-time code: sent by email as always, never pushed.
    code = await n.publish(
        VerificationCodeIssuedV1(
            user_id=user["user_id"],
            purpose="password_reset",
            email=user["email"],
            phone=None,
            sealed_code=n.seal("482913"),
            expires_at=datetime.now(UTC).replace(microsecond=0).replace(year=2099),
        )
    )
    await eventually(lambda: n.db.deliveries.find_one({"event_id": str(code.id), "channel": "email"}))
    assert await n.db.deliveries.count_documents({"event_id": str(code.id), "channel": "push"}) == 0
    # Switched off: the notification is in the inbox, no push.
    r = await n.http.put(f"{N}/preferences", json={"push": False}, headers=h)
    assert r.json()["push"] is False
    off = await n.publish(status_changed(user["user_id"]))
    await eventually(lambda: n.db.notifications.find_one({"event_id": str(off.id)}))
    await eventually(lambda: n.db.deliveries.find_one({"event_id": str(off.id), "channel": "email"}))
    assert await n.db.deliveries.count_documents({"event_id": str(off.id), "channel": "push"}) == 0
    # On again: pushed.
    await n.http.put(f"{N}/preferences", json={"push": True}, headers=h)
    await n.publish(status_changed(user["user_id"], "refused"))
    (msg,) = await received(infra, sub)
    assert "482913" not in msg["text"] and msg["json"]["title"].endswith("Không được tiếp nhận")


async def test_a_subscription_gone_410_is_removed(pnotify, infra):
    n = pnotify
    user = await n.citizen()
    sub = await subscribe(n, infra, user["user_id"])
    httpx.post(f"{infra.pushsvc_url}/expire/{sub['endpoint'].rsplit('/', 1)[1]}").raise_for_status()
    env = await n.publish(status_changed(user["user_id"]))
    delivery = await eventually(
        lambda: n.db.deliveries.find_one(
            {"event_id": str(env.id), "channel": "push", "status": "permanent_failure"}
        )
    )
    assert delivery["attempts"][0]["error"].startswith("410")
    assert len(delivery["attempts"]) == 1  # not tried again
    r = await n.http.get(f"{P}/subscriptions", headers=n.token_for(user["user_id"]))
    assert r.json()["items"] == []
    assert await n.db.push_subscriptions.count_documents({"user_id": user["user_id"]}) == 0


async def test_a_busy_push_service_is_tried_again(pnotify, infra):
    n = pnotify
    user = await n.citizen()
    sub = await subscribe(n, infra, user["user_id"])
    sid = sub["endpoint"].rsplit("/", 1)[1]
    httpx.post(f"{infra.pushsvc_url}/fail/{sid}", json={"status": 503, "count": 1}).raise_for_status()
    httpx.post(f"{infra.pushsvc_url}/fail/{sid}", json={"status": 429, "count": 1}).raise_for_status()
    env = await n.publish(status_changed(user["user_id"]))
    (msg,) = await received(infra, sub)
    assert msg["json"]["url"].startswith("/ho-so/")
    delivery = await eventually(
        lambda: n.db.deliveries.find_one({"event_id": str(env.id), "channel": "push", "status": "sent"})
    )
    outcomes = [a["outcome"] for a in delivery["attempts"]]
    assert outcomes == ["temporary_failure", "temporary_failure", "sent"]
    assert await n.db.push_subscriptions.count_documents({"user_id": user["user_id"]}) == 1


async def test_a_payload_that_does_not_decrypt_is_a_permanent_failure(pnotify, infra):
    """The keys given are not the browser's (the stand-in cannot decrypt): given up at once."""
    n = pnotify
    user = await n.citizen()
    sub = infra.push_subscription()
    other = infra.push_subscription()
    await subscribe(n, infra, user["user_id"], {**sub, "keys": other["keys"]})
    env = await n.publish(status_changed(user["user_id"]))
    delivery = await eventually(
        lambda: n.db.deliveries.find_one(
            {"event_id": str(env.id), "channel": "push", "status": "permanent_failure"}
        )
    )
    assert delivery["attempts"][0]["error"].startswith("400")
    assert infra.push_messages(sub["endpoint"])["messages"] == []


async def test_subscriptions_are_the_callers_own(pnotify, infra):
    n = pnotify
    a, b = await n.citizen(), await n.citizen()
    ha, hb = n.token_for(a["user_id"]), n.token_for(b["user_id"])
    sub = infra.push_subscription()
    r = await n.http.post(f"{P}/subscriptions", json=sub, headers=ha)
    assert r.status_code == 201
    assert sub["endpoint"] not in r.text and r.json()["endpoint"].endswith("…")
    again = await n.http.post(f"{P}/subscriptions", json=sub, headers=ha)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    mine = (await n.http.get(f"{P}/subscriptions", headers=ha)).json()["items"]
    assert [s["id"] for s in mine] == [r.json()["id"]] and sub["endpoint"] not in str(mine)
    assert (await n.http.get(f"{P}/subscriptions", headers=hb)).json()["items"] == []
    # B cannot remove A's.
    assert (
        await n.http.delete(f"{P}/subscriptions", params={"endpoint": sub["endpoint"]}, headers=hb)
    ).status_code == 204
    assert len((await n.http.get(f"{P}/subscriptions", headers=ha)).json()["items"]) == 1
    # The browser is shared: B signs in on it and subscribes: it is B's now, never A's again.
    moved = await n.http.post(f"{P}/subscriptions", json=sub, headers=hb)
    assert moved.status_code == 201
    assert (await n.http.get(f"{P}/subscriptions", headers=ha)).json()["items"] == []
    await n.publish(status_changed(a["user_id"]))
    env_b = await n.publish(status_changed(b["user_id"]))
    (msg,) = await received(infra, sub)
    note_b = await n.db.notifications.find_one({"event_id": str(env_b.id)})
    assert msg["json"]["id"] == note_b["_id"]
    # Removed by B (body naming it, the way the portal sends the whole subscription).
    r = await n.http.request("DELETE", f"{P}/subscriptions", json=sub, headers=hb)
    assert r.status_code == 204
    assert (await n.http.get(f"{P}/subscriptions", headers=hb)).json()["items"] == []
    r = await n.http.request("DELETE", f"{P}/subscriptions", headers=hb)
    assert r.status_code == 422 and r.json()["code"] == "push-endpoint-missing"


async def test_the_oldest_subscription_goes_past_the_limit(make_notify, infra):
    n = await make_notify(
        push_hosts=(f"127.0.0.1:{infra.pushsvc_port}",), push_allow_http=True, push_max_subscriptions=2
    )
    user = await n.citizen()
    subs = [await subscribe(n, infra, user["user_id"]) for _ in range(3)]
    kept = {d["endpoint"] async for d in n.db.push_subscriptions.find({"user_id": user["user_id"]})}
    assert kept == {subs[1]["endpoint"], subs[2]["endpoint"]}


GOOD = {"p256dh": "", "auth": b64(b"0123456789abcdef")}


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example/push/abc",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/push/abc",
        "http://127.0.0.1:6379/push/abc",  # the stand-in's host, another port
        "https://fcm.googleapis.com.evil.example/fcm/send/abc",
        "https://user:pw@fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com:8443/fcm/send/abc",
        "https://notify.windows.com/w/abc",  # *.notify.windows.com: a subdomain, not the suffix itself
        "ftp://fcm.googleapis.com/fcm/send/abc",
        "fcm.googleapis.com/fcm/send/abc",
    ],
)
async def test_endpoints_off_the_push_services_are_refused(pnotify, infra, endpoint):
    user = await pnotify.citizen(email_address=None)
    keys = infra.push_subscription()["keys"]
    r = await pnotify.http.post(
        f"{P}/subscriptions",
        json={"endpoint": endpoint, "keys": keys},
        headers=pnotify.token_for(user["user_id"]),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] in ("push-endpoint-refused", "validation-error")
    assert await pnotify.db.push_subscriptions.count_documents({"user_id": user["user_id"]}) == 0


async def test_the_real_push_services_are_accepted_and_plain_http_only_when_allowed(make_notify, infra):
    keys = infra.push_subscription()["keys"]
    strict = await make_notify()  # the defaults: the real push services, https only
    user = await strict.citizen(email_address=None)
    h = strict.token_for(user["user_id"])
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABn",
        "https://wns2-sg2p.notify.windows.com/w/?token=BQYAAAB",
        "https://web.push.apple.com/QGmG6W",
    ):
        r = await strict.http.post(f"{P}/subscriptions", json={"endpoint": endpoint, "keys": keys}, headers=h)
        assert r.status_code == 201, (endpoint, r.text)
    local = infra.push_subscription()
    r = await strict.http.post(f"{P}/subscriptions", json=local, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "push-endpoint-refused"


def not_on_curve() -> str:
    return b64(b"\x04" + b"\x01" * 64)


@pytest.mark.parametrize(
    "keys",
    [
        {"p256dh": not_on_curve(), "auth": GOOD["auth"]},
        {"p256dh": b64(b"\x02" + b"\x01" * 32), "auth": GOOD["auth"]},  # compressed
        {"p256dh": "VALID", "auth": b64(b"0123456789abcde")},  # 15 bytes (VALID: replaced below)
        {"p256dh": "VALID", "auth": b64(b"0123456789abcdef0")},  # 17 bytes
        {"p256dh": "VALID", "auth": "not base64!"},
        {"p256dh": "VALID"},
    ],
)
async def test_bad_keys_are_refused(pnotify, infra, keys):
    sub = infra.push_subscription()
    if keys.get("p256dh") == "VALID":
        keys = {**keys, "p256dh": sub["keys"]["p256dh"]}
    user = await pnotify.citizen(email_address=None)
    r = await pnotify.http.post(
        f"{P}/subscriptions",
        json={"endpoint": sub["endpoint"], "keys": keys},
        headers=pnotify.token_for(user["user_id"]),
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] in ("push-keys-invalid", "validation-error")
    assert await pnotify.db.push_subscriptions.count_documents({"user_id": user["user_id"]}) == 0


async def test_subscribing_needs_a_token(pnotify, infra):
    r = await pnotify.http.post(f"{P}/subscriptions", json=infra.push_subscription())
    assert r.status_code == 401
    assert (await pnotify.http.get(f"{P}/subscriptions")).status_code == 401


async def test_a_filed_dossier_is_pushed_and_closing_the_account_forgets_the_devices(pnotify, infra):
    from dvckit.contracts import UserClosedV1

    n = pnotify
    user = await n.citizen()
    sub = await subscribe(n, infra, user["user_id"])
    e = submitted(user["user_id"], code="000.32.02.H26-261205-0043")
    await n.publish(e)
    (msg,) = await received(infra, sub)
    assert msg["json"]["title"] == "Nộp hồ sơ thành công: 000.32.02.H26-261205-0043"
    assert msg["json"]["url"] == f"/ho-so/{e.dossier_id}"
    export = (await n.http.get(f"{N}/me/export", headers=n.token_for(user["user_id"]))).json()
    assert len(export["push_subscriptions"]) == 1 and export["preferences"]["push"] is True
    await n.publish(UserClosedV1(user_id=user["user_id"], closed_at=datetime.now(UTC)))
    await eventually(lambda: n.db.contacts.find_one({"_id": user["user_id"], "closed_at": {"$exists": True}}))
    assert await n.db.push_subscriptions.count_documents({"user_id": user["user_id"]}) == 0
