from __future__ import annotations

import pytest
from pydantic import ValidationError

from auth.config import Settings
from auth.domain.identity import classify_login, login_name, normalize_phone
from auth.domain.policy import check_password
from dvckit.errors import Invalid


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("(+84) 386-123-456", "0386123456"),
    ],
)
def test_mobile_numbers_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["0212345678", "091234567", "09123456789", "+1 912 345 678", "abc"])
def test_non_mobile_numbers_are_refused(raw):
    with pytest.raises(Invalid):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "field", "value"),
    [
        ("031099001234", "citizen_id", "031099001234"),
        ("+84912345678", "phone", "0912345678"),
        ("An.Nguyen@Example.VN", "email", "an.nguyen@example.vn"),
        ("Admin", "username", "admin"),
    ],
)
def test_login_names_are_classified(raw, field, value):
    assert classify_login(raw) == (field, value)


@pytest.mark.parametrize("pw", ["1234567", "password", "123456789", "anhyeuem", "MatKhau123", "qwertyuiop"])
def test_common_or_short_passwords_are_refused(pw):
    with pytest.raises(Invalid):
        check_password(pw)


def test_own_identifiers_are_refused_and_good_passwords_pass():
    with pytest.raises(Invalid):
        check_password("031099001234", citizen_id="031099001234")
    with pytest.raises(Invalid):
        check_password("+84912345678", phone="0912345678")
    check_password("Cau-Rao-Bridge-1987", citizen_id="031099001234", phone="0912345678")


def test_production_refuses_the_development_admin_password(monkeypatch):
    monkeypatch.setenv("DVC_ENV", "production")
    for name in ("DVC_AMQP_URL", "AUTH_KEY_PASSPHRASE", "AUTH_CODE_SECRET", "DVC_SEAL_KEY", "AUTH_MFA_KEY"):
        monkeypatch.setenv(name, "amqp://u:p@h/" if name == "DVC_AMQP_URL" else "a-real-secret")
    with pytest.raises(ValidationError, match="admin_password"):
        Settings()
    monkeypatch.setenv("DVC_ADMIN_PASSWORD", "Strong-Production-Pass")
    assert Settings().admin_password.get_secret_value() == "Strong-Production-Pass"


def test_the_first_administrators_name_is_stored_where_sign_in_looks_for_it(monkeypatch):
    """Finding 5: ``admin@example.vn`` was stored as a username while sign-in looked for an email."""
    assert (
        login_name("admin@example.vn") == classify_login("Admin@Example.vn") == ("email", "admin@example.vn")
    )
    assert login_name("quan.tri") == ("username", "quan.tri")
    assert login_name("0912345678")[0] == "phone"
    for bad in ("a b", "@", "x@y", "ab"):
        with pytest.raises(Invalid):
            login_name(bad)
    monkeypatch.setenv("DVC_ADMIN_USERNAME", "quan tri")
    with pytest.raises(ValidationError, match="admin_username"):
        Settings()
