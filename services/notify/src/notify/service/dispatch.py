"""Turning events into notifications: the in-app one, and email and SMS deliveries for the worker, all
inside the consumer's transaction (with the processed-event record), keyed by event and channel, so a
redelivered event can create neither a second notification nor a second delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dvckit.consumer import after_commit
from dvckit.contracts import (
    DossierStatusChangedV1,
    DossierSubmittedV1,
    UserContactChangedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
)
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.store import CONTACTS, DELIVERIES
from ..config import Settings
from ..domain.messages import plain, render_all, status_words, vn_time, vnd
from .inbox import Inbox
from .inbox import of as preferences_of
from .live import Live


class Dispatcher:
    def __init__(
        self, rt: Runtime, settings: Settings, inbox: Inbox, live: Live, wake: Callable[[], None]
    ) -> None:
        self.contacts = rt.db[CONTACTS]
        self.deliveries = rt.db[DELIVERIES]
        self.inbox = inbox
        self.live = live
        self.portal = settings.portal_url.rstrip("/")
        self.wake = wake

    async def _contact(self, user_id: str, session: Session) -> dict[str, Any]:
        return await self.contacts.find_one({"_id": user_id}, session=session) or {}

    async def _fanout(
        self,
        session: Session,
        env: Envelope,
        user_id: str,
        kind: str,
        ctx: dict[str, Any],
        *,
        link: str | None = None,
        dossier_id: str | None = None,
        force: bool = False,
        email: str | None = None,
        phone: str | None = None,
        in_app: bool = True,
    ) -> None:
        contact = await self._contact(user_id, session)
        prefs = preferences_of(contact)
        full_name = contact.get("full_name") or ctx.get("full_name")
        texts = render_all(
            kind,
            lambda lang: {
                **ctx,
                "full_name": full_name,
                "portal_url": self.portal,
                "link": link or self.portal,
                **self._lang_ctx(ctx, lang),
            },
        )
        event_id = str(env.id)
        if in_app:
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
        lang = prefs["language"] if prefs["language"] in texts else "vi"
        now = datetime.now(UTC)
        jobs = []
        if force or prefs["email"]:
            jobs.append(
                {
                    "_id": f"{event_id}:email",
                    "channel": "email",
                    # Known now, the address travels with the delivery; else it is looked up when sent.
                    "to": email or contact.get("email"),
                    "subject": texts[lang]["email_subject"],
                    "body": texts[lang]["email_body"],
                }
            )
        if (force and not email) or prefs["sms"]:
            jobs.append(
                {
                    "_id": f"{event_id}:sms",
                    "channel": "sms",
                    "to": phone or contact.get("phone"),
                    "body": texts[lang]["sms"],
                }
            )
        for job in jobs:
            await self.deliveries.insert_one(
                {
                    **job,
                    "user_id": user_id,
                    "event_id": event_id,
                    "kind": kind,
                    "status": "pending",
                    "attempts": [],
                    "created_at": now,
                    "next_at": now,
                },
                session=session,
            )
        if jobs:
            after_commit(self.wake)

    @staticmethod
    def _lang_ctx(ctx: dict[str, Any], lang: str) -> dict[str, Any]:
        # Times travel as datetimes and are written in each language's words.
        out: dict[str, Any] = {
            name: vn_time(ctx[f"{name}_at"], lang) if ctx.get(f"{name}_at") else ""
            for name in ("appointment", "submitted", "expires")
        }
        if "status" in ctx:
            out["status_words"] = status_words(ctx["status"], lang)
            out["status_plain"] = plain(status_words(ctx["status"], lang))
        return out

    # -- users -----------------------------------------------------------------------------------
    async def user_registered(self, env: Envelope, session: Session) -> None:
        e = UserRegisteredV1.model_validate(env.data)
        await self.contacts.update_one(
            {"_id": e.user_id},
            {
                "$set": {
                    "full_name": e.full_name,
                    "email": e.email,
                    "phone": e.phone,
                    "locale": e.locale,
                    "updated_at": datetime.now(UTC),
                }
            },
            upsert=True,
            session=session,
        )
        if e.locale in ("vi", "en"):
            await self.contacts.update_one(
                {"_id": e.user_id, "prefs.language": {"$exists": False}},
                {"$set": {"prefs.language": e.locale}},
                session=session,
            )
        await self._fanout(session, env, e.user_id, "welcome", {"full_name": e.full_name})

    async def contact_changed(self, env: Envelope, session: Session) -> None:
        e = UserContactChangedV1.model_validate(env.data)
        await self.contacts.update_one(
            {"_id": e.user_id},
            {"$set": {"email": e.email, "phone": e.phone, "updated_at": datetime.now(UTC)}},
            upsert=True,
            session=session,
        )

    async def password_reset(self, env: Envelope, session: Session) -> None:
        e = UserPasswordResetRequestedV1.model_validate(env.data)
        # Always goes out, whatever the preferences: by email when there is an address, else by SMS.
        await self._fanout(
            session,
            env,
            e.user_id,
            "password_reset",
            {"code": e.code, "expires_at": e.expires_at},
            force=True,
            email=e.email,
            phone=e.phone,
        )

    # -- dossiers --------------------------------------------------------------------------------
    def _dossier_link(self, dossier_id: str) -> str:
        return f"{self.portal}/ho-so/{dossier_id}"

    async def dossier_submitted(self, env: Envelope, session: Session) -> None:
        e = DossierSubmittedV1.model_validate(env.data)
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

    async def status_changed(self, env: Envelope, session: Session) -> None:
        e = DossierStatusChangedV1.model_validate(env.data)
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
            },
            link=self._dossier_link(e.dossier_id),
            dossier_id=e.dossier_id,
        )
