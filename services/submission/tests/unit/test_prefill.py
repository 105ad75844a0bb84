"""Step 1's prefill kept in memory: one account read per citizen a while, never another's account."""

from __future__ import annotations

import asyncio
from typing import Any

from dvckit.contracts import UserContactChangedV1
from submission.domain.applicant import Prefill
from submission.domain.model import Actor
from submission.service.prefill import Prefills


class FakeAuth:
    """Answers ``/me`` for the token's holder: the token is the user id here."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def me(self, authorization: str) -> dict[str, Any] | None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        return self.accounts.get(authorization)


def account(user_id: str, phone: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "full_name": "Đặng Thị Mai",
        "citizen_id": "031200001234",
        "phone": phone,
        "email": None,
        "roles": ["citizen"],
    }


def made(seconds: float = 60.0, size: int = 100) -> tuple[Prefills, FakeAuth]:
    auth = FakeAuth()
    return Prefills(auth, seconds=seconds, size=size), auth  # type: ignore[arg-type]


async def test_a_citizens_prefill_is_asked_once_then_kept():
    prefills, auth = made()
    auth.accounts["u1"] = account("u1", "0912345678")
    mai = Actor(id="u1")
    first = await prefills.of(mai, "u1")
    assert first == Prefill(full_name="Đặng Thị Mai", citizen_id="031200001234", phone="0912345678")
    assert await prefills.of(mai, "u1") == first and auth.calls == 1


async def test_a_changed_contact_is_asked_again():
    prefills, auth = made()
    auth.accounts["u1"] = account("u1", "0912345678")
    await prefills.of(Actor(id="u1"), "u1")
    auth.accounts["u1"] = account("u1", "0987654321")
    changed = UserContactChangedV1(user_id="u1", phone="0987654321", changed="phone", old_phone="0912345678")
    await prefills.on_contact_changed(changed, None, None)  # type: ignore[arg-type]
    assert (await prefills.of(Actor(id="u1"), "u1")).phone == "0987654321" and auth.calls == 2


async def test_an_answer_asked_for_before_a_change_is_not_kept():
    prefills, auth = made()
    auth.accounts["u1"] = account("u1", "0912345678")
    auth.gate = asyncio.Event()
    asking = asyncio.create_task(prefills.of(Actor(id="u1"), "u1"))
    await asyncio.sleep(0)
    prefills.forget("u1")  # the contact changed while auth was answering
    auth.gate.set()
    await asking
    auth.gate = None
    await prefills.of(Actor(id="u1"), "u1")
    assert auth.calls == 2


async def test_entries_end_after_their_time_and_with_zero_nothing_is_kept():
    prefills, auth = made(seconds=0.05)
    auth.accounts["u1"] = account("u1", "0912345678")
    await prefills.of(Actor(id="u1"), "u1")
    await asyncio.sleep(0.06)
    await prefills.of(Actor(id="u1"), "u1")
    assert auth.calls == 2
    never, auth = made(seconds=0)
    auth.accounts["u1"] = account("u1", "0912345678")
    await never.of(Actor(id="u1"), "u1")
    await never.of(Actor(id="u1"), "u1")
    assert auth.calls == 2


async def test_nothing_is_kept_from_a_failed_answer_or_for_another_account():
    prefills, auth = made()
    assert await prefills.of(Actor(id="u1"), "u1") == Prefill()  # auth could not say
    auth.accounts["u1"] = account("u1", "0912345678")
    assert (await prefills.of(Actor(id="u1"), "u1")).phone == "0912345678" and auth.calls == 2
    # An answer about another account than the caller's is neither given nor kept.
    auth.accounts["t2"] = account("u3", "0900000003")
    assert await prefills.of(Actor(id="u2"), "t2") == Prefill()
    assert await prefills.of(Actor(id="u3"), "t3") == Prefill()
    assert "u3" not in prefills._memory and "u2" not in prefills._memory


async def test_memory_is_bounded_dropping_the_least_recently_used():
    prefills, auth = made(size=2)
    for u in ("a", "b", "c"):
        auth.accounts[u] = account(u, "0912345678")
    await prefills.of(Actor(id="a"), "a")
    await prefills.of(Actor(id="b"), "b")
    await prefills.of(Actor(id="a"), "a")  # a used again: b is now the oldest
    await prefills.of(Actor(id="c"), "c")
    assert list(prefills._memory) == ["a", "c"] and auth.calls == 3
