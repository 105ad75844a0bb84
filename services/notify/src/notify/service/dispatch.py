"""Turning events into notifications: the in-app one, and email and SMS deliveries for the worker, all
inside the consumer's transaction (with the processed-event record), keyed by event and channel, so a
redelivered event can create neither a second notification nor a second delivery.

Events come in batches (``dvckit.consumer``): ``prepare`` reads the contact documents of a whole batch in
one query, and the handlers' inserts go out together before the commit. A delivery is made leased to
this replica and handed to its worker right after the commit (no claim needed); if the replica stops
first, the lease runs out and any replica's worker claims it.

One-time codes arrive sealed and stay sealed: texts are rendered with a slot where the code goes, and
the delivery worker opens the seal only to send (``delivery.py``), then forgets it. No stored text, in-app
notification or email subject ever holds a code."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit.consumer import after_commit
from dvckit.contracts import (
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierSubmittedV1,
    PaymentFailedV1,
    PaymentRequestedV1,
    PaymentSucceededV1,
    UserClosedV1,
    UserContactChangedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserRegistrationBlockedV1,
    UserSessionsEndedV1,
    VerificationCodeIssuedV1,
)
from dvckit.events import Envelope, EventData
from dvckit.mongo import Session
from dvckit.sealed import Sealer
from dvckit.vn import unaccented, vnd

from ..adapters.repos import Stores
from ..config import Settings
from ..domain.messages import CODE_SLOT, render_all, status_words, vn_time
from ..domain.push import pushable, shown_endpoint, urgency_of
from .delivery import delivered
from .inbox import Inbox
from .inbox import of as preferences_of
from .live import Live

# Where a message goes: {"email": address, "sms": number}; a None address is looked up when sent.
To = dict[str, str | None]
# Fields of an event's data that name a user whose contact document a handler reads.
USER_FIELDS = ("user_id", "owner_id", "existing_user_id")
# The contact documents read for the batch being handled: its session, the ids looked up, what exists.
_batch_contacts: ContextVar[tuple[Session, set[str], dict[str, dict[str, Any]]] | None] = ContextVar(
    "batch_contacts", default=None
)
# The push subscriptions of the batch's users, read with their contacts: its session, and by user.
_batch_devices: ContextVar[tuple[Session, dict[str, list[dict[str, Any]]]] | None] = ContextVar(
    "batch_devices", default=None
)


def _job(
    _id: str, channel: str, texts: dict[str, str], *, event_id: str, kind: str, lease: str, until: datetime
) -> dict[str, Any]:
    """A delivery, leased to this replica ``until``: an email (its subject and body) or an SMS, in one
    language's ``texts``."""
    job: dict[str, Any] = {
        "_id": _id,
        "channel": channel,
        "body": texts["email_body" if channel == "email" else "sms"],
        "event_id": event_id,
        "kind": kind,
        "status": "pending",
        "attempts": [],
        "created_at": datetime.now(UTC),
        "lease": lease,
        "next_at": until,
    }
    if channel == "email":
        job["subject"] = texts["email_subject"]
    return job


def security_to(email: str | None, phone: str | None) -> To:
    """A code or a security notice goes out whatever the person chose: by email when there is one,
    else by SMS."""
    return {"email": email} if email else {"sms": phone} if phone else {}


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        stores: Stores,
        inbox: Inbox,
        live: Live,
        hand: Callable[[list[dict[str, Any]]], None],
    ) -> None:
        self.s = settings
        self.contacts = stores.contacts
        self.deliveries = stores.deliveries
        self.notifications = stores.notifications
        self.revocations = stores.revocations
        self.subscriptions = stores.subscriptions
        self.inbox = inbox
        self.live = live
        self.portal = settings.portal_url.rstrip("/")
        self.hand = hand  # gives committed deliveries to this replica's worker
        self.lease = f"{settings.instance}/{uuid.uuid4().hex[:8]}"
        self.sealer = Sealer(settings.seal_key.get_secret_value())

    def handlers(self) -> list[tuple[type[EventData], Callable[..., Awaitable[None]]]]:
        """Each event notify consumes and the method that handles it."""
        return [
            (UserRegisteredV1, self.user_registered),
            (UserContactChangedV1, self.contact_changed),
            (VerificationCodeIssuedV1, self.code_issued),
            (UserRegistrationBlockedV1, self.registration_blocked),
            (UserSessionsEndedV1, self.sessions_ended),
            (UserClosedV1, self.user_closed),
            (UserPasswordResetRequestedV1, self.password_reset),  # deprecated: what queues still hold
            (DossierSubmittedV1, self.dossier_submitted),
            (DossierStatusChangedV1, self.status_changed),
            (DossierStepChangedV1, self.step_changed),
            (PaymentRequestedV1, self.payment_requested),
            (PaymentSucceededV1, self.payment_succeeded),
            (PaymentFailedV1, self.payment_failed),
        ]

    async def prepare(self, events: list[Envelope], session: Session) -> None:
        """Before a batch's handlers: the contact documents they will read, in one query."""
        ids = {v for e in events for f in USER_FIELDS if isinstance(v := e.data.get(f), str)}
        found = await self.contacts.many(sorted(ids), session) if ids else {}
        _batch_contacts.set((session, ids, found))
        devices = await self.subscriptions.of_users(sorted(ids), session) if ids else {}
        _batch_devices.set((session, devices))

    async def _devices(self, user_id: str, session: Session) -> list[dict[str, Any]]:
        """The user's push subscriptions (those read for the batch, when it is the batch's user)."""
        batch, held = self._batch(session), _batch_devices.get()
        if batch is not None and user_id in batch[0] and held is not None and held[0] is session:
            return held[1].get(user_id, [])
        return (await self.subscriptions.of_users([user_id], session)).get(user_id, [])

    def _batch(self, session: Session) -> tuple[set[str], dict[str, dict[str, Any]]] | None:
        held = _batch_contacts.get()
        return None if held is None or held[0] is not session else (held[1], held[2])

    async def _contact(self, user_id: str | None, session: Session) -> dict[str, Any]:
        if user_id is None:
            return {}
        batch = self._batch(session)
        if batch is not None and user_id in batch[0]:
            return batch[1].get(user_id) or {}
        return await self.contacts.get(user_id, session) or {}

    async def _update_contact(self, user_id: str, fields: dict[str, Any], session: Session) -> None:
        if (await self._contact(user_id, session)).get("closed_at"):
            return  # a closed account's contacts are not kept again
        await self.contacts.update(user_id, fields, session)
        batch = self._batch(session)
        if batch is not None and user_id in batch[0]:  # later handlers of the batch read the new fields
            batch[1][user_id] = {**batch[1].get(user_id, {"_id": user_id}), **fields}

    async def _default_language(self, user_id: str, language: str, session: Session) -> None:
        await self.contacts.default_language(user_id, language, session)
        batch = self._batch(session)
        if batch is not None and user_id in batch[0]:
            doc = batch[1].setdefault(user_id, {"_id": user_id})
            doc["prefs"] = {"language": language, **doc.get("prefs", {})}

    async def _fanout(
        self,
        session: Session,
        env: Envelope,
        user_id: str | None,
        kind: str,
        ctx: dict[str, Any],
        *,
        link: str | None = None,
        dossier_id: str | None = None,
        to: To | None = None,
        in_app: bool = True,
        sealed: str | None = None,
        expires_at: datetime | None = None,
        locale: str = "vi",
        key: str = "",
    ) -> None:
        """The in-app notification (for a user), and a delivery per channel: exactly ``to`` when given
        (codes and security notices, whatever the person chose), else the channels the person chose.
        ``sealed``: a sealed code, opened only when the message is sent. ``key`` keeps apart the
        deliveries of one event to different people."""
        contact = await self._contact(user_id, session)
        if contact.get("closed_at"):
            return  # the account was closed: nothing reaches its former holder any more
        prefs = preferences_of(contact)
        texts = self._texts(kind, ctx, contact, link, coded=sealed is not None)
        event_id = str(env.id)
        doc = None
        if in_app and user_id is not None:
            doc = await self.inbox.add(
                session,
                event_id=event_id,
                user_id=user_id,
                kind=kind,
                texts=texts,
                link=link,
                dossier_id=dossier_id,
            )
            after_commit(lambda: self.live.publish(user_id, doc))
            after_commit(lambda: delivered("in_app", env.occurred_at))
        chosen = prefs["language"] if user_id is not None else locale
        lang = chosen if chosen in texts else "vi"
        to_chosen = to is None  # the person's own channels (not a code or a notice to one address)
        if to is None:
            to = {channel: None for channel in ("email", "sms") if prefs[channel]}
        jobs = []
        until = datetime.now(UTC) + timedelta(seconds=self.s.delivery_lease_seconds)
        for channel, address in to.items():
            job = _job(
                f"{event_id}:{key}{channel}",
                channel,
                texts[lang],
                event_id=event_id,
                kind=kind,
                lease=self.lease,
                until=until,
            )
            # Known now, the address travels with the delivery; else it is looked up when sent.
            to_address = address or contact.get("email" if channel == "email" else "phone")
            job |= {"to": to_address, "user_id": user_id, "occurred_at": env.occurred_at}
            if sealed is not None:
                job |= {"sealed": sealed, "expires_at": expires_at}
            if to_address is None and contact:
                continue  # a channel the person has no address for: nothing to send
            jobs.append(job)
        if to_chosen and user_id is not None and pushable(kind):
            push_texts = texts[lang]
            note_id = doc["_id"] if doc is not None else event_id
            jobs += await self._push_jobs(
                session, env, user_id, contact, kind, push_texts, lang, link, dossier_id, note_id, until
            )
        await self.deliveries.add(jobs, session)
        if jobs:
            after_commit(lambda: self.hand(jobs))

    async def _push_jobs(
        self,
        session: Session,
        env: Envelope,
        user_id: str,
        contact: dict[str, Any],
        kind: str,
        texts: dict[str, str],
        lang: str,
        link: str | None,
        dossier_id: str | None,
        note_id: str,
        until: datetime,
    ) -> list[dict[str, Any]]:
        """A push delivery for each of the person's subscriptions (devices), when push is on: the
        in-app notification's title and text, and the portal page it is about (a path: the service
        worker opens it on the portal's own origin)."""
        if not preferences_of(contact, has_subscriptions=True)["push"]:
            return []
        devices = await self._devices(user_id, session)
        if not devices:
            return []
        url = link[len(self.portal) :] if link and link.startswith(self.portal + "/") else "/thong-bao"
        event_id = str(env.id)
        message = {
            "title": texts["in_app_title"],
            "body": texts["in_app_body"],
            "url": url,
            "tag": f"dossier-{dossier_id}" if dossier_id else kind,
            "id": note_id,
            "lang": lang,
            "urgency": urgency_of(kind),
        }
        return [
            {
                "_id": f"{event_id}:push:{d['_id'][:16]}",
                "channel": "push",
                "subscription_id": d["_id"],
                "to": shown_endpoint(d["endpoint"]),
                "subject": message["title"],
                "body": message["body"],
                "push": message,
                "event_id": event_id,
                "kind": kind,
                "status": "pending",
                "attempts": [],
                "created_at": datetime.now(UTC),
                "lease": self.lease,
                "next_at": until,
                "user_id": user_id,
                "occurred_at": env.occurred_at,
            }
            for d in devices
        ]

    def _texts(
        self, kind: str, ctx: dict[str, Any], contact: dict[str, Any], link: str | None, *, coded: bool
    ) -> dict[str, dict[str, str]]:
        """Every channel's text in each language. ``coded``: a one-time code is a slot in every stored
        text, filled in only when sent."""
        full_name = contact.get("full_name") or ctx.get("full_name")
        return render_all(
            kind,
            lambda lang: {
                **ctx,
                **({"code": CODE_SLOT} if coded else {}),
                "full_name": full_name,
                "portal_url": self.portal,
                "link": link or self.portal,
                **self._lang_ctx(ctx, lang),
            },
        )

    def _lang_ctx(self, ctx: dict[str, Any], lang: str) -> dict[str, Any]:
        # Times travel as datetimes and are written in each language's words, in the service's zone.
        out: dict[str, Any] = {
            name: vn_time(ctx[f"{name}_at"], lang, self.s.zone) if ctx.get(f"{name}_at") else ""
            for name in ("appointment", "submitted", "expires", "paid")
        }
        if "status" in ctx:
            out["status_words"] = status_words(ctx["status"], lang)
            out["status_plain"] = unaccented(status_words(ctx["status"], lang))
        return out

    # -- users -----------------------------------------------------------------------------------
    async def user_registered(self, e: UserRegisteredV1, env: Envelope, session: Session) -> None:
        contact = {"full_name": e.full_name, "email": e.email, "phone": e.phone, "locale": e.locale}
        await self._update_contact(e.user_id, contact, session)
        if e.locale in ("vi", "en"):
            await self._default_language(e.user_id, e.locale, session)
        await self._fanout(session, env, e.user_id, "welcome", {"full_name": e.full_name})

    async def contact_changed(self, e: UserContactChangedV1, env: Envelope, session: Session) -> None:
        await self._update_contact(e.user_id, {"email": e.email, "phone": e.phone}, session)
        if e.changed is None:
            return
        # Whoever held the account before the change hears of it: at the old address; where there was
        # none (an email added), at the contact that did not change.
        channel = e.changed
        old, new = (e.old_email, e.email) if channel == "email" else (e.old_phone, e.phone)
        other = e.phone if channel == "email" else e.email
        if old is not None:
            to: To = {"email": old} if channel == "email" else {"sms": old}
        elif other is not None:
            to = {"sms": other} if channel == "email" else {"email": other}
        else:
            to = {}
        await self._fanout(
            session,
            env,
            e.user_id,
            "contact_changed",
            {"channel": channel, "new_value": new, "old_value": old},
            to=to,
            locale=e.locale,
        )

    async def code_issued(self, e: VerificationCodeIssuedV1, env: Envelope, session: Session) -> None:
        await self._send_code(
            session,
            env,
            e.purpose,
            e.sealed_code,
            e.expires_at,
            user_id=e.user_id,
            full_name=e.full_name,
            # Auth names one address for a registration or a new contact, the confirmed ones for a reset.
            to=security_to(e.email, e.phone),
            locale=e.locale,
        )

    async def _send_code(
        self,
        session: Session,
        env: Envelope,
        purpose: str,
        sealed: str,
        expires_at: datetime,
        *,
        user_id: str | None,
        full_name: str | None,
        to: To,
        locale: str,
    ) -> None:
        await self._fanout(
            session,
            env,
            user_id,
            "verification_code",
            {
                "purpose": purpose,
                "channel": "email" if "email" in to else "sms",
                "expires_at": expires_at,
                "full_name": full_name,
            },
            to=to,
            # Only a reset or a closing leaves a trace in the inbox (someone asked for your password, or
            # to close your account); a code for a new contact or a registration is news to nobody but
            # its addressee.
            in_app=purpose in ("password_reset", "account_close"),
            sealed=sealed,
            expires_at=expires_at,
            locale=locale,
        )

    async def password_reset(self, e: UserPasswordResetRequestedV1, env: Envelope, session: Session) -> None:
        """Deprecated event (the code in clear) still in queues from before the upgrade: sealed here."""
        await self._send_code(
            session,
            env,
            "password_reset",
            self.sealer.seal(e.code),
            e.expires_at,
            user_id=e.user_id,
            full_name=None,
            to=security_to(e.email, e.phone),
            locale=e.locale,
        )

    async def registration_blocked(
        self, e: UserRegistrationBlockedV1, env: Envelope, session: Session
    ) -> None:
        ctx = {"reason": e.reason, "phone": e.phone}
        # The phone given hears why no code came (only its holder reads it) ...
        await self._fanout(
            session, env, None, "registration_blocked", ctx, to={"sms": e.phone}, locale=e.locale
        )
        if e.reason == "citizen_id_in_use":
            # ... and the ID's account holder is warned someone used their ID.
            holder = await self._contact(e.existing_user_id, session)
            await self._fanout(
                session,
                env,
                e.existing_user_id,
                "registration_blocked",
                ctx,
                to=security_to(holder.get("email"), holder.get("phone")),
                key="holder-",
            )

    async def sessions_ended(self, e: UserSessionsEndedV1, env: Envelope, session: Session) -> None:
        """Every replica closes the user's live streams of the ended logins (``live.py`` follows this
        collection), and refuses new ones for their access tokens."""
        await self.revocations.add(
            {
                "_id": str(env.id),
                "user_id": e.user_id,
                "session_id": e.session_id,
                "at": e.ended_at,
                "expires_at": e.ended_at + timedelta(seconds=self.s.revocation_keep_seconds),
            },
            session,
        )

    async def user_closed(self, e: UserClosedV1, env: Envelope, session: Session) -> None:
        """The account was closed: its notifications, deliveries (sent or not), preferences and copy of
        its contacts are deleted; what is left of its contact document says it is closed, so that no later
        event (a filed dossier moving on) makes a notification or a message for it."""
        await self.notifications.forget(e.user_id, session)
        await self.deliveries.forget(e.user_id, session)
        await self.subscriptions.forget(e.user_id, session)
        await self.contacts.close(e.user_id, e.closed_at, session)
        batch = self._batch(session)
        if batch is not None:
            batch[0].add(e.user_id)
            batch[1][e.user_id] = {"_id": e.user_id, "closed_at": e.closed_at}

    # -- dossiers --------------------------------------------------------------------------------
    def _dossier_link(self, dossier_id: str) -> str:
        return f"{self.portal}/ho-so/{dossier_id}"

    # The statuses after which the owner may rate the dossier (submission's domain/rating.py: 10, 3, 7).
    RATEABLE = frozenset({"returned", "refused", "withdrawn"})

    def _rate_link(self, dossier_id: str) -> str:
        """The dossier's page at its rating section (the portal's ``id="danh-gia"``)."""
        return f"{self._dossier_link(dossier_id)}#danh-gia"

    async def dossier_submitted(self, e: DossierSubmittedV1, env: Envelope, session: Session) -> None:
        await self._fanout(
            session,
            env,
            e.owner_id,
            "dossier_submitted",
            {
                "code": e.code,
                "procedure_name": e.procedure_name,
                "agency_name": e.agency_name,
                "submitted_at": e.submitted_at,
                "fee_total": vnd(e.fee_total) if e.fee_total else "",
            },
            link=self._dossier_link(e.dossier_id),
            dossier_id=e.dossier_id,
        )

    # The moves inside the agencies the citizen is told of: where their dossier went, and a new appointment.
    # (An assignment, a proposal, a question to another agency are the officers' own business.)
    TOLD = frozenset({"transfer", "apologise"})

    async def step_changed(self, e: DossierStepChangedV1, env: Envelope, session: Session) -> None:
        if e.action not in self.TOLD:
            return
        await self._fanout(
            session,
            env,
            e.owner_id,
            "step_changed",
            {
                "code": e.code,
                "procedure_name": e.procedure_name,
                "agency_name": e.agency_name,
                "from_agency_name": e.agency_name if e.action != "transfer" else "",
                "action": e.action,
                "reason": e.reason,
                "appointment_at": e.appointment_at,
            },
            link=self._dossier_link(e.dossier_id),
            dossier_id=e.dossier_id,
        )

    async def status_changed(self, e: DossierStatusChangedV1, env: Envelope, session: Session) -> None:
        await self._fanout(
            session,
            env,
            e.owner_id,
            "status_changed",
            {
                "code": e.code,
                "procedure_name": e.procedure_name,
                "agency_name": e.agency_name,
                "status": e.new_status,
                "note": e.note,
                "reason": e.reason,
                "items": e.supplement_items,
                "appointment_at": e.appointment_at,
                "payment_amount": vnd(e.payment_amount) if e.payment_amount else "",
                # Returned, refused or withdrawn: the citizen is asked to rate how it was handled.
                "rate_link": self._rate_link(e.dossier_id) if e.new_status in self.RATEABLE else "",
            },
            link=self._dossier_link(e.dossier_id),
            dossier_id=e.dossier_id,
        )

    # -- payments (the payment service's events) -------------------------------------------------
    async def payment_requested(self, e: PaymentRequestedV1, env: Envelope, session: Session) -> None:
        """What to pay (the lines), by when (the order's expiry), and where: the dossier's page."""
        await self._fanout(
            session,
            env,
            e.owner_id,
            "payment_requested",
            {
                "code": e.dossier_code,
                "agency_name": e.agency_name,
                "purpose": e.purpose,
                "lines": [{"name": line.name, "amount": vnd(line.amount)} for line in e.lines],
                "amount": vnd(e.amount),
                "expires_at": e.expires_at,
            },
            link=self._dossier_link(e.dossier_id),
            dossier_id=e.dossier_id,
        )

    async def payment_succeeded(self, e: PaymentSucceededV1, env: Envelope, session: Session) -> None:
        """The amount, the provider's reference, and the receipt: on the dossier's page."""
        await self._fanout(
            session,
            env,
            e.owner_id,
            "payment_succeeded",
            {
                "code": e.dossier_code,
                "purpose": e.purpose,
                "amount": vnd(e.amount),
                "provider_txn": e.provider_txn,
                "receipt_no": e.receipt_no,
                "paid_at": e.paid_at,
            },
            link=self._dossier_link(e.dossier_id),
            dossier_id=e.dossier_id,
        )

    async def payment_failed(self, e: PaymentFailedV1, env: Envelope, session: Session) -> None:
        await self._fanout(
            session,
            env,
            e.owner_id,
            "payment_failed",
            {"code": e.dossier_code, "purpose": e.purpose, "amount": vnd(e.amount), "reason": e.reason},
            link=self._dossier_link(e.dossier_id),
            dossier_id=e.dossier_id,
        )
