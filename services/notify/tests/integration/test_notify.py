"""Every event type and channel, preferences, redelivery and SMTP outages, against real servers."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from devstack.testing import eventually
from dvckit.contracts import (
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierSubmittedV1,
    FeeLine,
    PaymentFailedV1,
    PaymentRequestedV1,
    PaymentSucceededV1,
    UserContactChangedV1,
    UserPasswordResetRequestedV1,
    UserRegistrationBlockedV1,
    VerificationCodeIssuedV1,
)
from dvckit.events import Envelope
from notify.service.dispatch import _job

N = "/api/v1/notifications"


def submitted(user_id: str, code: str = "000.32.02.H26-261125-0007") -> DossierSubmittedV1:
    return DossierSubmittedV1(
        dossier_id=str(uuid.uuid4()),
        code=code,
        owner_id=user_id,
        procedure_code="1.004194",
        procedure_name="Đăng ký tạm trú",
        procedure_version=1,
        agency_code="000.32.02.H26",
        agency_name="Công an Phường Ngô Quyền",
        submitted_at=datetime.now(UTC),
        fee_total=7000,
    )


def changed(user_id: str, new: str, old: str = "submitted", **kw) -> DossierStatusChangedV1:
    from dvckit.contracts import DOSSIER_STATUS

    return DossierStatusChangedV1(
        dossier_id=kw.pop("dossier_id", str(uuid.uuid4())),
        code="000.32.02.H26-261125-0007",
        owner_id=user_id,
        procedure_code="1.004194",
        procedure_name="Đăng ký tạm trú",
        agency_code="000.32.02.H26",
        agency_name="Công an Phường Ngô Quyền",
        old_status=old,
        new_status=new,
        old_status_code=DOSSIER_STATUS[old][0],
        new_status_code=DOSSIER_STATUS[new][0],
        actor_role="officer",
        changed_at=datetime.now(UTC),
        rev=2,
        **kw,
    )


def paid(user_id: str, kind: type = PaymentSucceededV1, **kw):
    """A payment event of the payment service for the citizen's dossier (amounts in VND)."""
    base = {
        "order_id": uuid.uuid4().hex,
        "dossier_id": kw.pop("dossier_id", str(uuid.uuid4())),
        "dossier_code": "000.32.02.H26-261125-0007",
        "owner_id": user_id,
        "purpose": "requested",
        "amount": 25000,
    }
    return kind(**base, **kw)


async def inbox(n, user_id, **params):
    return (await n.http.get(N, params=params, headers=n.token_for(user_id))).json()


async def test_welcome_in_app_and_email(notify, mailbox):
    u = await notify.citizen()
    page = await eventually(lambda: _items(notify, u["user_id"]), 10)
    assert page[0]["kind"] == "welcome" and "Vũ Đức Thắng" in page[0]["body"]
    mail = await eventually(lambda: mailbox.to(u["email"]), 10)
    assert mail[0]["Subject"] == "Chào mừng đến Cổng dịch vụ công Hải Phòng"
    assert "Vũ Đức Thắng" in mail[0].get_content()


async def _items(n, user_id):
    return (await inbox(n, user_id))["items"]


async def test_dossier_submitted_in_app_email_and_sms_when_chosen(notify, mailbox):
    u = await notify.citizen()
    h = notify.token_for(u["user_id"])
    r = await notify.http.put(f"{N}/preferences", json={"sms": True}, headers=h)
    assert r.status_code == 200 and r.json() == {
        "in_app": True,
        "email": True,
        "sms": True,
        "push": False,  # no device subscribed
        "language": "vi",
    }

    def latencies() -> dict[str, float]:
        return {
            c: REGISTRY.get_sample_value("notification_latency_seconds_count", {"channel": c}) or 0.0
            for c in ("in_app", "email", "sms")
        }

    before = latencies()
    e = submitted(u["user_id"])
    await notify.publish(e)
    notes = await eventually(lambda: _kind(notify, u["user_id"], "dossier_submitted"), 10)
    assert e.code in notes[0]["title"] and "Đăng ký tạm trú" in notes[0]["body"]
    assert notes[0]["link"] == f"https://dichvucong.haiphong.gov.vn/ho-so/{e.dossier_id}"
    mail = await eventually(lambda: [m for m in mailbox.to(u["email"]) if e.code in m["Subject"]], 10)
    body = mail[0].get_content()
    assert "Công an Phường Ngô Quyền" in body and "7.000 đ" in body and f"/ho-so/{e.dossier_id}" in body
    sms = await eventually(lambda: notify.db.sms_dev_outbox.find_one({"to": u["phone"]}), 10)
    assert e.code in sms["text"] and sms["text"].isascii()
    # /metrics: each channel's delivery timed from the event's occurred_at
    await eventually(lambda: all(latencies()[c] > before[c] for c in before), 10)


async def _kind(n, user_id, kind):
    return [i for i in await _items(n, user_id) if i["kind"] == kind]


async def test_status_changes_say_what_happened(notify, mailbox):
    u = await notify.citizen()
    appointment = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # 17:00 in Vietnam
    await notify.publish(changed(u["user_id"], "accepted", appointment_at=appointment, note="Đủ hồ sơ"))
    await notify.publish(
        changed(
            u["user_id"],
            "supplement_requested",
            old="accepted",
            supplement_items=["Bản sao sổ đỏ", "Ảnh 3x4"],
        )
    )
    await notify.publish(changed(u["user_id"], "refused", reason="Không thuộc thẩm quyền"))
    await notify.publish(changed(u["user_id"], "returned", old="finished"))
    notes = await eventually(lambda: _enough(notify, u["user_id"], 4), 10)
    bodies = {n["title"].split(": ")[1]: n["body"] for n in notes}
    assert "17:00 ngày 03/12/2026" in bodies["Đã tiếp nhận"]
    assert "Bản sao sổ đỏ; Ảnh 3x4" in bodies["Yêu cầu bổ sung"]
    assert "Không thuộc thẩm quyền" in bodies["Không được tiếp nhận"]
    assert "Đã trả kết quả" in bodies
    english = (
        await notify.http.get(N, headers={**notify.token_for(u["user_id"]), "Accept-Language": "en"})
    ).json()
    assert any("Result due: 17:00 on 03/12/2026" in n["body"] for n in english["items"])
    await eventually(lambda: len([m for m in mailbox.to(u["email"]) if "Hồ sơ" in m["Subject"]]) == 4, 10)


async def test_a_returned_refused_or_withdrawn_dossier_invites_the_rating(notify, mailbox):
    u = await notify.citizen()
    ids = {s: str(uuid.uuid4()) for s in ("returned", "refused", "withdrawn", "accepted")}
    for status, did in ids.items():
        old = "finished" if status == "returned" else "submitted"
        await notify.publish(changed(u["user_id"], status, old=old, dossier_id=did, reason="Lý do"))
    notes = await eventually(lambda: _enough(notify, u["user_id"], 4), 10)
    body = {n["dossier_id"]: n["body"] for n in notes}
    portal = "https://dichvucong.haiphong.gov.vn"
    for status in ("returned", "refused", "withdrawn"):
        link = f"{portal}/ho-so/{ids[status]}#danh-gia"
        assert f"Mời bạn đánh giá việc giải quyết hồ sơ: {link}" in body[ids[status]], status
    assert "#danh-gia" not in body[ids["accepted"]]
    english = (
        await notify.http.get(N, headers={**notify.token_for(u["user_id"]), "Accept-Language": "en"})
    ).json()
    returned = next(n for n in english["items"] if n["dossier_id"] == ids["returned"])
    assert (
        f"Please rate how your dossier was handled: {portal}/ho-so/{ids['returned']}#danh-gia"
        in (returned["body"])
    )
    mails = await eventually(
        lambda: [m for m in mailbox.to(u["email"]) if "Đã trả kết quả" in m["Subject"]], 10
    )
    assert f"/ho-so/{ids['returned']}#danh-gia" in mails[0].get_content()


async def _enough(n, user_id, k):
    items = await _kind(n, user_id, "status_changed")
    return items if len(items) >= k else None


async def test_the_password_reset_code_always_goes_out_and_is_kept_nowhere(notify, mailbox):
    """Finding 14: codes were stored in clear in the events, the deliveries and the email subject."""
    u = await notify.citizen()
    await notify.http.put(f"{N}/preferences", json={"email": False}, headers=notify.token_for(u["user_id"]))
    expires = datetime.now(UTC) + timedelta(minutes=10)
    env = await notify.publish(
        VerificationCodeIssuedV1(
            purpose="password_reset",
            sealed_code=notify.seal("482913"),
            expires_at=expires,
            user_id=u["user_id"],
            email=u["email"],
            phone=u["phone"],
        )
    )
    mail = await eventually(lambda: [m for m in mailbox.to(u["email"]) if "482913" in m.get_content()], 10)
    assert "482913" not in mail[0]["Subject"] and "đặt lại mật khẩu" in mail[0]["Subject"]
    # Sent, the delivery forgets the code: neither the text nor the seal is left.
    sent = await eventually(
        lambda: notify.db.deliveries.find_one({"event_id": str(env.id), "status": "sent"}), 10
    )
    assert "482913" not in str(sent) and "sealed" not in sent and "[[CODE]]" in sent["body"]
    # The in-app trace says a reset was asked for, never the code.
    [note] = await _kind(notify, u["user_id"], "verification_code")
    assert "482913" not in str(note)
    # No email address: by SMS, whatever the preferences.
    v = await notify.citizen(email_address=None, phone="0912000111")
    await notify.publish(
        VerificationCodeIssuedV1(
            purpose="password_reset",
            sealed_code=notify.seal("605117"),
            expires_at=expires,
            user_id=v["user_id"],
            phone=v["phone"],
        )
    )
    sms = await eventually(
        lambda: notify.db.sms_dev_outbox.find_one({"to": "0912000111", "text": {"$regex": "605117"}}), 10
    )
    assert sms["text"].isascii()


async def test_a_code_past_its_time_or_under_another_key_is_not_sent(notify, mailbox):
    from dvckit.sealed import Sealer

    late = await notify.publish(
        VerificationCodeIssuedV1(
            purpose="registration",
            sealed_code=notify.seal("111222"),
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
            phone="0912000222",
        )
    )
    forged = await notify.publish(
        VerificationCodeIssuedV1(
            purpose="registration",
            sealed_code=Sealer("another-key").seal("333444"),
            expires_at=datetime.now(UTC) + timedelta(minutes=10),
            phone="0912000333",
        )
    )
    for env in (late, forged):
        d = await eventually(
            lambda e=env: notify.db.deliveries.find_one(
                {"event_id": str(e.id), "status": "permanent_failure"}
            ),
            10,
        )
        assert "sealed" not in d
    assert await notify.db.sms_dev_outbox.count_documents({"to": {"$in": ["0912000222", "0912000333"]}}) == 0


async def test_a_registration_code_goes_by_sms_to_the_phone_given(notify):
    env = await notify.publish(
        VerificationCodeIssuedV1(
            purpose="registration",
            sealed_code=notify.seal("270419"),
            expires_at=datetime.now(UTC) + timedelta(minutes=10),
            full_name="Phạm Thị Mai",
            phone="0912000444",
        )
    )
    sms = await eventually(lambda: notify.db.sms_dev_outbox.find_one({"to": "0912000444"}), 10)
    assert "270419" in sms["text"] and "dang ky" in sms["text"]
    assert await notify.db.notifications.count_documents({"event_id": str(env.id)}) == 0  # no one to tell


async def test_the_deprecated_reset_event_is_still_delivered_sealed(notify, mailbox):
    u = await notify.citizen()
    env = await notify.publish(
        UserPasswordResetRequestedV1(
            user_id=u["user_id"],
            code="918273",
            expires_at=datetime.now(UTC) + timedelta(minutes=10),
            email=u["email"],
        )
    )
    mail = await eventually(lambda: [m for m in mailbox.to(u["email"]) if "918273" in m.get_content()], 10)
    assert "918273" not in mail[0]["Subject"]
    d = await notify.db.deliveries.find_one({"event_id": str(env.id)})
    assert "918273" not in str(d)


async def test_a_blocked_registration_tells_the_phone_and_warns_the_ids_holder(notify, mailbox):
    holder = await notify.citizen()
    env = await notify.publish(
        UserRegistrationBlockedV1(
            reason="citizen_id_in_use", phone="0912000555", existing_user_id=holder["user_id"]
        )
    )
    sms = await eventually(lambda: notify.db.sms_dev_outbox.find_one({"to": "0912000555"}), 10)
    assert "da co tai khoan" in sms["text"]
    mail = await eventually(
        lambda: [m for m in mailbox.to(holder["email"]) if "Cảnh báo" in m["Subject"]], 10
    )
    assert "số định danh" in mail[0]["Subject"] and "091*****55" in mail[0].get_content()
    [note] = await _kind(notify, holder["user_id"], "registration_blocked")
    assert note["link"] is None or note["link"].startswith("https://")
    same_phone = await notify.publish(
        UserRegistrationBlockedV1(
            reason="phone_in_use", phone=holder["phone"], existing_user_id=holder["user_id"]
        )
    )
    await eventually(
        lambda: notify.db.deliveries.find_one({"event_id": str(same_phone.id), "status": "sent"}), 10
    )
    # The phone's own holder gets one message; no warning to the account for its own number.
    assert await notify.db.deliveries.count_documents({"event_id": str(same_phone.id)}) == 1
    assert await notify.db.deliveries.count_documents({"event_id": str(env.id)}) == 2


async def test_preferences_turn_channels_off_and_choose_the_language(notify, mailbox):
    u = await notify.citizen()
    h = notify.token_for(u["user_id"])
    assert (await notify.http.get(f"{N}/preferences", headers=h)).json()["email"] is True
    assert (await notify.http.put(f"{N}/preferences", json={"email": False}, headers=h)).json()[
        "email"
    ] is False
    e = submitted(u["user_id"], code="000.32.02.H26-261125-0099")
    await notify.publish(e)
    await eventually(lambda: _kind(notify, u["user_id"], "dossier_submitted"), 10)
    assert (
        await notify.db.deliveries.count_documents(
            {"event_id": {"$exists": True}, "user_id": u["user_id"], "kind": "dossier_submitted"}
        )
        == 0
    )
    await notify.http.put(f"{N}/preferences", json={"email": True, "language": "en"}, headers=h)
    await notify.publish(submitted(u["user_id"], code="000.32.02.H26-261125-0100"))
    mail = await eventually(lambda: [m for m in mailbox.to(u["email"]) if "0100" in m["Subject"]], 10)
    assert mail[0]["Subject"].startswith("Dossier filed")
    for bad in ({"email": "yes"}, {"fax": True}, {"push": "on"}, {"language": "fr"}):
        assert (await notify.http.put(f"{N}/preferences", json=bad, headers=h)).status_code == 422


async def test_a_redelivered_event_creates_nothing_twice(notify, mailbox):
    u = await notify.citizen()
    env = Envelope.wrap(submitted(u["user_id"], code="000.32.02.H26-261125-0321"), producer="submission")
    for _ in range(3):
        await notify.publish(env)
    await eventually(lambda: notify.db.processed_events.find_one({"_id": str(env.id)}), 10)
    await eventually(
        lambda: mailbox.to(u["email"]) and [m for m in mailbox.to(u["email"]) if "0321" in m["Subject"]], 10
    )
    import asyncio

    await asyncio.sleep(1.0)
    assert await notify.db.notifications.count_documents({"event_id": str(env.id)}) == 1
    assert await notify.db.deliveries.count_documents({"event_id": str(env.id)}) == 1
    assert len([m for m in mailbox.to(u["email"]) if "0321" in m["Subject"]]) == 1


async def test_smtp_down_for_a_while_then_the_email_arrives(notify, mailbox):
    u = await notify.citizen()
    await eventually(lambda: mailbox.to(u["email"]), 10)  # the welcome went through
    mailbox.stop()
    e = submitted(u["user_id"], code="000.32.02.H26-261125-0555")
    env = await notify.publish(e)
    delivery = await eventually(
        lambda: notify.db.deliveries.find_one(
            {"_id": f"{env.id}:email", "status": "temporary_failure", "attempts.1": {"$exists": True}}
        ),
        15,
    )
    assert all(a["outcome"] == "temporary_failure" for a in delivery["attempts"])
    mailbox.start()  # back on the same port
    await eventually(lambda: notify.db.deliveries.find_one({"_id": f"{env.id}:email", "status": "sent"}), 20)
    assert len([m for m in mailbox.to(u["email"]) if "0555" in m["Subject"]]) == 1


async def test_4xx_is_retried_5xx_and_bad_addresses_are_not(notify, mailbox):
    u = await notify.citizen()
    await eventually(lambda: mailbox.to(u["email"]), 10)
    mailbox.mode = "tempfail"
    env = await notify.publish(submitted(u["user_id"], code="000.32.02.H26-261125-0451"))
    await eventually(
        lambda: notify.db.deliveries.find_one({"_id": f"{env.id}:email", "attempts.1": {"$exists": True}}), 15
    )
    mailbox.mode = "accept"
    await eventually(lambda: notify.db.deliveries.find_one({"_id": f"{env.id}:email", "status": "sent"}), 15)

    mailbox.mode = "permfail"
    env = await notify.publish(submitted(u["user_id"], code="000.32.02.H26-261125-0554"))
    d = await eventually(
        lambda: notify.db.deliveries.find_one({"_id": f"{env.id}:email", "status": "permanent_failure"}), 15
    )
    import asyncio

    await asyncio.sleep(1.5)
    d = await notify.db.deliveries.find_one({"_id": f"{env.id}:email"})
    assert len(d["attempts"]) == 1 and "554" in d["attempts"][0]["error"]
    mailbox.mode = "accept"

    bad = await notify.citizen(email_address="not-an-address")
    env = await notify.publish(submitted(bad["user_id"], code="000.32.02.H26-261125-0600"))
    d = await eventually(
        lambda: notify.db.deliveries.find_one({"_id": f"{env.id}:email", "status": "permanent_failure"}), 15
    )
    assert len(d["attempts"]) == 1


async def test_contact_changes_are_followed_and_the_old_address_is_told(notify, mailbox):
    """Finding 1: the old address was not told when the email changed."""
    u = await notify.citizen()
    await notify.http.put(f"{N}/preferences", json={"email": False}, headers=notify.token_for(u["user_id"]))
    await notify.http.put(f"{N}/preferences", json={"email": True}, headers=notify.token_for(u["user_id"]))
    await notify.publish(
        UserContactChangedV1(
            user_id=u["user_id"],
            email="moi.dia.chi@example.vn",
            phone=u["phone"],
            changed="email",
            old_email=u["email"],
        )
    )
    await eventually(
        lambda: notify.db.contacts.find_one({"_id": u["user_id"], "email": "moi.dia.chi@example.vn"}), 10
    )
    told = await eventually(lambda: [m for m in mailbox.to(u["email"]) if "Đã đổi" in m["Subject"]], 10)
    assert "Đã đổi địa chỉ email" in told[0]["Subject"] and "mo*********@example.vn" in told[0].get_content()
    assert not mailbox.to("moi.dia.chi@example.vn"), [
        m["Subject"] for m in mailbox.to("moi.dia.chi@example.vn")
    ]
    await notify.publish(submitted(u["user_id"], code="000.32.02.H26-261125-0777"))
    await eventually(lambda: [m for m in mailbox.to("moi.dia.chi@example.vn") if "0777" in m["Subject"]], 10)
    # A phone changed: the old number hears of it by SMS.
    await notify.publish(
        UserContactChangedV1(
            user_id=u["user_id"],
            email="moi.dia.chi@example.vn",
            phone="0912000666",
            changed="phone",
            old_phone=u["phone"],
        )
    )
    sms = await eventually(lambda: notify.db.sms_dev_outbox.find_one({"to": u["phone"]}), 10)
    assert "091*****66" in sms["text"]


async def test_the_inbox_api(notify):
    u, other = await notify.citizen(), await notify.citizen()
    h = notify.token_for(u["user_id"])
    for i in range(3):
        await notify.publish(submitted(u["user_id"], code=f"000.32.02.H26-261125-08{i:02d}"))
    await eventually(lambda: _enough_kind(notify, u["user_id"], "dossier_submitted", 3), 10)
    assert (await notify.http.get(f"{N}/unread-count", headers=h)).json() == {"unread": 4}
    first = await inbox(notify, u["user_id"], size=1)
    assert first["total"] == 4 and len(first["items"]) == 1
    nid = first["items"][0]["id"]
    # Another user cannot touch it; nobody without a token sees anything.
    assert (
        await notify.http.post(f"{N}/{nid}/read", headers=notify.token_for(other["user_id"]))
    ).status_code == 404
    assert (await notify.http.get(N)).status_code == 401
    assert (await notify.http.post(f"{N}/{nid}/read", headers=h)).status_code == 204
    assert (await notify.http.get(f"{N}/unread-count", headers=h)).json() == {"unread": 3}
    assert (await inbox(notify, u["user_id"], unread="true"))["total"] == 3
    assert (await notify.http.post(f"{N}/read-all", headers=h)).json() == {"unread": 0}
    assert (await notify.http.get(f"{N}/unread-count", headers=h)).json() == {"unread": 0}
    assert (
        await notify.http.get(f"{N}/unread-count", headers=notify.token_for(other["user_id"]))
    ).json() == {"unread": 1}
    assert (await notify.http.post(f"{N}/not-an-id/read", headers=h)).status_code == 422


async def test_the_inbox_is_walked_by_cursor_and_polled_with_etags(notify):
    u = await notify.citizen()
    h = notify.token_for(u["user_id"])
    for i in range(4):
        await notify.publish(submitted(u["user_id"], code=f"000.32.02.H26-261125-07{i:02d}"))
    await eventually(lambda: _enough_kind(notify, u["user_id"], "dossier_submitted", 4), 10)
    everything = (await notify.http.get(N, headers=h, params={"size": 100})).json()["items"]
    assert len(everything) >= 4
    seen, r = [], await notify.http.get(N, headers=h, params={"limit": 2})
    while True:
        assert r.status_code == 200, r.text
        seen += [n["id"] for n in r.json()["items"]]
        if r.json()["next_cursor"] is None:
            break
        link = r.headers["link"]
        r = await notify.http.get(link[1 : link.index(">")], headers=h)
    assert seen == [n["id"] for n in everything]  # every one once, newest first
    # Someone else's walk with this cursor shows only their own (the cursor only says where to resume).
    cursor = (await notify.http.get(N, headers=h, params={"limit": 1})).json()["next_cursor"]
    theirs = await notify.http.get(
        N,
        headers=notify.token_for((await notify.citizen())["user_id"]),
        params={"cursor": cursor, "limit": 1},
    )
    assert theirs.status_code == 200 and not set(seen) & {n["id"] for n in theirs.json()["items"]}
    bad = await notify.http.get(N, headers=h, params={"cursor": cursor, "unread": "true"})  # other filters
    assert bad.status_code == 400 and bad.json()["code"] == "bad-cursor"

    # Polling: unchanged is a 304; a new notification changes the count's and the list's ETags.
    count = await notify.http.get(f"{N}/unread-count", headers=h)
    listed = await notify.http.get(N, headers=h)
    assert count.headers["cache-control"] == "private, no-cache"
    for r in (count, listed):
        again = await notify.http.get(r.url, headers={**h, "If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    await notify.publish(submitted(u["user_id"], code="000.32.02.H26-261125-0799"))
    await eventually(lambda: _enough_kind(notify, u["user_id"], "dossier_submitted", 5), 10)
    for r in (count, listed):
        again = await notify.http.get(r.url, headers={**h, "If-None-Match": r.headers["etag"]})
        assert again.status_code == 200 and again.headers["etag"] != r.headers["etag"]


async def _enough_kind(n, user_id, kind, k):
    return len(await _kind(n, user_id, kind)) >= k


async def test_two_replicas_share_one_queue_and_notify_once(make_notify, mailbox):
    a = await make_notify()
    b = await make_notify(mongo_db=a.rt.settings.mongo_db, queue_prefix=a.rt.settings.queue_prefix)
    u = await a.citizen()
    envs = [
        await a.publish(submitted(u["user_id"], code=f"000.32.02.H26-261125-09{i:02d}")) for i in range(20)
    ]
    await eventually(lambda: _enough_kind(a, u["user_id"], "dossier_submitted", 20), 20)
    ids = [str(e.id) for e in envs]
    assert await a.db.notifications.count_documents({"event_id": {"$in": ids}}) == 20
    await eventually(
        lambda: len([m for m in mailbox.to(u["email"]) if "261125-09" in m["Subject"]]) == 20, 20
    )
    assert await b.db.deliveries.count_documents({"event_id": {"$in": ids}}) == 20


def moved(user_id: str, action: str, **kw) -> DossierStepChangedV1:
    return DossierStepChangedV1(
        dossier_id=str(uuid.uuid4()),
        code="000.32.02.H26-261125-0008",
        owner_id=user_id,
        procedure_code="1.004194",
        procedure_name="Đăng ký tạm trú",
        agency_code=kw.pop("agency_code", "000.32.02.H26"),
        agency_name=kw.pop("agency_name", "Công an Phường Ngô Quyền"),
        status="processing",
        status_code=4,
        action=action,
        step="handling",
        from_agency_code="000.32.02.H26",
        changed_at=datetime.now(UTC),
        rev=5,
        **kw,
    )


async def test_a_transfer_and_an_apology_are_told_the_officers_inner_moves_are_not(notify, mailbox):
    u = await notify.citizen()
    new = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)  # 17:00 in Vietnam
    await notify.publish(moved(u["user_id"], "assign", assignee_id="sp-1"))
    await notify.publish(moved(u["user_id"], "propose"))
    await notify.publish(
        moved(
            u["user_id"],
            "transfer",
            agency_code="000.00.15.H26",
            agency_name="Sở Xây dựng thành phố Hải Phòng",
            reason="Thuộc thẩm quyền cấp thành phố",
        )
    )
    await notify.publish(moved(u["user_id"], "apologise", appointment_at=new, reason="Chờ ý kiến Sở"))

    async def both():
        notes = await _kind(notify, u["user_id"], "step_changed")
        return notes if len(notes) >= 2 else None

    notes = await eventually(both, 10)
    titles = sorted(n["title"] for n in notes)
    assert len(notes) == 2, titles  # assign and propose told nobody
    assert any("đã được chuyển đến Sở Xây dựng thành phố Hải Phòng" in t for t in titles)
    apology = next(n for n in notes if "hẹn lại" in n["title"])
    assert "17:00 ngày 10/12/2026" in apology["body"] and "xin lỗi" in apology["body"]
    mail = await eventually(
        lambda: [m for m in mailbox.to(u["email"]) if "Ngày hẹn trả kết quả mới" in m.get_content()], 10
    )
    assert "Chờ ý kiến Sở" in mail[0].get_content()


async def test_payments_requested_made_and_failed_in_app_email_and_sms(notify, mailbox):
    u = await notify.citizen(phone=f"09{uuid.uuid4().int % 10**8:08d}")
    h = notify.token_for(u["user_id"])
    assert (await notify.http.put(f"{N}/preferences", json={"sms": True}, headers=h)).status_code == 200
    did = str(uuid.uuid4())
    expires = datetime(2026, 12, 3, 3, 15, tzinfo=UTC)  # 10:15 in Vietnam
    lines = [FeeLine(name="Lệ phí đăng ký", amount=20000), FeeLine(name="Phí cấp bản sao", amount=5000)]
    await notify.publish(
        paid(
            u["user_id"],
            PaymentRequestedV1,
            dossier_id=did,
            agency_code="000.32.02.H26",
            agency_name="Công an Phường Ngô Quyền",
            lines=lines,
            expires_at=expires,
        )
    )
    await notify.publish(
        paid(
            u["user_id"],
            dossier_id=did,
            provider="vnpay",
            provider_txn="14700123",
            paid_at=expires,
            receipt_no="BL-2026-000123",
        )
    )
    await notify.publish(
        paid(u["user_id"], PaymentFailedV1, dossier_id=did, reason="Khách hàng hủy giao dịch")
    )
    link = f"https://dichvucong.haiphong.gov.vn/ho-so/{did}"
    asked = (await eventually(lambda: _kind(notify, u["user_id"], "payment_requested"), 10))[0]
    assert "25.000 đ" in asked["title"] and "Lệ phí đăng ký 20.000 đ" in asked["body"]
    assert "10:15 ngày 03/12/2026" in asked["body"] and asked["link"] == link
    done = (await eventually(lambda: _kind(notify, u["user_id"], "payment_succeeded"), 10))[0]
    assert "14700123" in done["body"] and "BL-2026-000123" in done["body"] and done["link"] == link
    failed = (await eventually(lambda: _kind(notify, u["user_id"], "payment_failed"), 10))[0]
    assert "Khách hàng hủy giao dịch" in failed["body"]
    mails = await eventually(lambda: _mails_when(mailbox, u["email"], 4), 10)  # the welcome too
    bodies = {m["Subject"]: m.get_content() for m in mails}
    request = next(b for s, b in bodies.items() if "đề nghị thanh toán 25.000 đ" in s)
    assert "Phí cấp bản sao: 5.000 đ" in request and "Tổng số tiền: 25.000 đ" in request and link in request
    receipt = next(b for s, b in bodies.items() if "thanh toán thành công" in s)
    assert "Số biên lai điện tử: BL-2026-000123" in receipt and link in receipt
    assert any("không thành công" in s for s in bodies)
    sms = await eventually(lambda: _texts_when(notify, u["phone"], 3), 10)  # SMS chosen after the welcome
    assert all(t.isascii() for t in sms)
    assert any("can thanh toan 25.000 d" in t for t in sms) and any(
        "bien lai BL-2026-000123" in t for t in sms
    )


def _mails_when(box, address, k):
    found = box.to(address)
    return found if len(found) >= k else None


async def _texts_when(n, phone, k):
    found = [d["text"] for d in await n.db.sms_dev_outbox.find({"to": phone}).to_list()]
    return found if len(found) >= k else None


async def test_a_stopping_replica_hands_back_the_deliveries_it_did_not_send(make_notify, mailbox):
    """A replica's consumer makes deliveries leased to it (``delivery_lease_seconds``, 120 s here) and its
    own loop sends them; one that stops first (a rollout) hands back those it never attempted, so another
    replica sends them now rather than once the lease runs out."""
    a = await make_notify()
    u = await a.citizen()
    await eventually(lambda: mailbox.to(u["email"]), 10)  # the welcome went through
    parts = a.app.state.parts
    # The same stores and senders with no loop running it: a replica whose delivery loop has stopped.
    stopped = dataclasses.replace(parts.deliveries)
    until = datetime.now(UTC) + timedelta(seconds=a.rt.settings.delivery_lease_seconds)
    texts = {"email_subject": "handed back", "email_body": "Nội dung / body"}
    jobs = [
        {"to": u["email"], "user_id": u["user_id"]}
        | _job(
            f"handback-{i}:email", "email", texts, event_id=f"handback-{i}", kind="t", lease="r1", until=until
        )
        for i in range(3)
    ]
    await a.db.deliveries.insert_many([dict(j) for j in jobs])
    # One of them another replica already took over: its lease is no longer the one handed out.
    await a.db.deliveries.update_one({"_id": jobs[2]["_id"]}, {"$set": {"lease": "r2"}})
    stopped.hand(jobs)
    assert await stopped.release() == 2
    # The running replica claims the two at once and sends each once.
    await eventually(
        lambda: len([m for m in mailbox.to(u["email"]) if "handed back" in m["Subject"]]) == 2, 10
    )
    left = await a.db.deliveries.find_one({"_id": jobs[2]["_id"]})
    assert left["status"] == "pending" and left["next_at"].replace(tzinfo=UTC) > datetime.now(UTC)
