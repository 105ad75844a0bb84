from __future__ import annotations

import logging
from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: ClassVar[str] = "demo"
    port: int = 8999


def test_service_prefix_wins_over_platform_name(monkeypatch):
    monkeypatch.setenv("DVC_MONGO_URL", "mongodb://platform:27017/")
    monkeypatch.setenv("DVC_EXCHANGE", "from.platform")
    monkeypatch.setenv("DEMO_MONGO_URL", "mongodb://own:27017/")
    s = DemoSettings()
    assert s.mongo_url == "mongodb://own:27017/"
    assert s.exchange == "from.platform"
    assert s.mongo_db == "dvc_demo"
    assert s.instance == "demo"
    assert s.queue == "demo.events"


def test_production_refuses_development_secrets(monkeypatch):
    monkeypatch.setenv("DVC_ENV", "production")
    with pytest.raises(ValidationError, match="amqp_url"):
        DemoSettings()
    monkeypatch.setenv("DVC_AMQP_URL", "amqp://svc:s3cret@rabbit:5672/")
    assert DemoSettings().env == "production"


def test_captcha_test_answer_only_outside_production(monkeypatch, caplog):
    monkeypatch.setenv("DVC_CAPTCHA_TEST_ANSWER", "1234")
    assert DemoSettings().captcha_test_answer == "1234"
    monkeypatch.setenv("DVC_ENV", "production")
    monkeypatch.setenv("DVC_AMQP_URL", "amqp://svc:s3cret@rabbit:5672/")
    with caplog.at_level(logging.WARNING):
        assert DemoSettings().captcha_test_answer is None
    assert "ignored in production" in caplog.text


def test_unknown_profile_is_refused(monkeypatch):
    monkeypatch.setenv("DVC_ENV", "staging")
    with pytest.raises(ValidationError):
        DemoSettings()


def test_the_time_zone_is_a_setting_checked_at_start():
    assert DemoSettings().zone.key == "Asia/Ho_Chi_Minh"
    assert DemoSettings(timezone="Asia/Bangkok").zone.key == "Asia/Bangkok"
    with pytest.raises(ValueError, match="unknown time zone"):
        DemoSettings(timezone="Asia/Hai_Phong")
