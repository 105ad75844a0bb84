"""The notify service's repositories, built once (``main.create_app``) and shared by its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from .deliveries import DeliveryStore
from .inbox import Contacts, Notifications
from .sessions import Revocations, Tickets
from .subscriptions import Subscriptions


@dataclass(frozen=True)
class Stores:
    notifications: Notifications
    contacts: Contacts
    deliveries: DeliveryStore
    revocations: Revocations
    tickets: Tickets
    subscriptions: Subscriptions

    @classmethod
    def of(cls, db: AsyncDatabase[Any]) -> Stores:
        return cls(
            Notifications(db),
            Contacts(db),
            DeliveryStore(db),
            Revocations(db),
            Tickets(db),
            Subscriptions(db),
        )
