from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dvckit import contracts
from dvckit.consumer import retry_queue_name, topic_matches
from dvckit.events import Envelope

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("dossier.submitted.v1", "dossier.submitted.v1", True),
        ("dossier.*.v1", "dossier.status_changed.v1", True),
        ("dossier.*.v1", "dossier.status_changed.v2", False),
        ("procedure.#", "procedure.published.v1", True),
        ("#", "a.b.c", True),
        ("*.v1", "a.b.v1", False),
        ("a.#.v1", "a.v1", True),
    ],
)
def test_topic_matching_follows_amqp(pattern, key, expected):
    assert topic_matches(pattern, key) is expected


def test_envelope_round_trip_and_routing_key():
    env = Envelope.wrap(
        contracts.UserRegisteredV1(user_id="u1", full_name="Trần Thị Bình"),
        producer="auth",
        correlation_id="req-1",
    )
    assert env.routing_key == "user.registered.v1"
    msg = env.to_message()
    assert msg.message_id == str(env.id) and msg.correlation_id == "req-1"
    back = Envelope.from_body(msg.body)
    assert back == env
    assert back.data["full_name"] == "Trần Thị Bình"


def test_envelope_refuses_unknown_fields_and_bad_types():
    env = Envelope.wrap(contracts.UserRegisteredV1(user_id="u1", full_name="A"), producer="auth")
    raw = env.model_dump(mode="json")
    with pytest.raises(ValidationError):
        Envelope.model_validate({**raw, "surprise": 1})
    with pytest.raises(ValidationError):
        Envelope.model_validate({**raw, "type": "NotPastTense!"})


def test_retry_queues_are_named_by_delay():
    assert retry_queue_name("notify.events", 1.5) == "notify.events.retry.1500ms"


def test_event_catalogue_page_is_current():
    page = (ROOT / "docs" / "events.md").read_text()
    assert page.strip() == contracts.markdown().strip(), "run: python -m dvckit.contracts > docs/events.md"
