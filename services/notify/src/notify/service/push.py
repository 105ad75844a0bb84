"""Push notifications: a person's subscriptions (one a browser or device), and sending a delivery of the
``push`` channel (made by the dispatcher, one a subscription, sent by the delivery worker like email and
SMS: same retries, same exactly-once bookkeeping)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from dvckit import logs

from ..adapters.mailer import Permanent, Temporary
from ..adapters.subscriptions import Subscriptions, subscription_of
from ..config import Settings
from ..domain.push import (
    BadSubscription,
    PushMessage,
    PushSender,
    check_endpoint,
    check_keys,
    payload,
    shown_endpoint,
    verdict,
)

log = logs.get(__name__)


def listed(doc: dict[str, Any]) -> dict[str, Any]:
    """A subscription as its owner sees it: the endpoint cut short (the rest is a capability URL)."""
    return {
        "id": doc["_id"][:16],
        "endpoint": shown_endpoint(doc["endpoint"]),
        "user_agent": doc.get("user_agent") or None,
        "created_at": doc["created_at"],
    }


@dataclass(eq=False)
class Push:
    s: Settings
    subscriptions: Subscriptions
    sender: PushSender
    public_key: str

    def check(self, endpoint: str, p256dh: str, auth: str) -> None:
        """Raises ``BadSubscription`` for an endpoint off the allowed push services or bad keys."""
        check_endpoint(endpoint, self.s.push_hosts, allow_http=self.s.push_allow_http)
        check_keys(p256dh, auth)

    async def subscribe(
        self, user_id: str, endpoint: str, keys: dict[str, str], expiration_time: int | None, user_agent: str
    ) -> tuple[bool, dict[str, Any]]:
        """Keep the subscription for ``user_id``: whether it is new to them (made, or taken over), and
        the subscription as they see it."""
        self.check(endpoint, keys["p256dh"], keys["auth"])
        new, doc = await self.subscriptions.save(
            user_id, endpoint, keys, expiration_time, user_agent, self.s.push_max_subscriptions
        )
        return new, listed(doc)

    async def mine(self, user_id: str) -> list[dict[str, Any]]:
        return [listed(d) for d in await self.subscriptions.of_user(user_id)]

    async def unsubscribe(self, user_id: str, endpoint: str) -> bool:
        return await self.subscriptions.remove(user_id, endpoint)

    async def attempt(self, job: dict[str, Any]) -> tuple[str, str]:
        """Send one push delivery: where it went and the push service's answer; raises ``Temporary`` or
        ``Permanent`` (404/410: the subscription is removed too)."""
        doc = await self.subscriptions.get(job["subscription_id"])
        if doc is None or doc.get("user_id") != job.get("user_id"):
            raise Permanent("the subscription was removed (or is another person's now)")
        subscription = subscription_of(doc)
        try:
            # The guard again when sending: the allowed hosts may have changed since it was kept.
            check_endpoint(subscription.endpoint, self.s.push_hosts, allow_http=self.s.push_allow_http)
        except BadSubscription as e:
            raise Permanent(e.en) from None
        p = job["push"]
        message = PushMessage(
            payload=payload(
                title=p["title"], body=p["body"], url=p["url"], tag=p["tag"], id=p["id"], lang=p["lang"]
            ),
            ttl=self.s.push_ttl_seconds,
            urgency=p.get("urgency", "normal"),
        )
        try:
            answer = await self.sender.send(subscription, message)
        except (httpx.HTTPError, OSError, TimeoutError) as e:
            raise Temporary(repr(e)[:200]) from e
        to = shown_endpoint(subscription.endpoint)
        said = f"{answer.status} {answer.note}".strip()
        match verdict(answer.status):
            case "sent":
                return to, said
            case "gone":
                await self.subscriptions.gone(subscription.id, subscription.endpoint)
                log.info("push subscription gone: removed", subscription=subscription.id[:16])
                raise Permanent(f"{said} (the subscription is gone: removed)")
            case "temporary":
                raise Temporary(said)
            case _:
                raise Permanent(said)
