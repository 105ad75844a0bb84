"""The second factor's rules: which step a code is, the window either side of now, a step never twice,
recovery codes as typed, who needs a second factor, and the settings production refuses."""

from __future__ import annotations

import pyotp
import pytest
from pydantic import ValidationError

from auth.config import Settings
from auth.domain import mfa

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # inside step 60,000,000
STEP = 60_000_000


def code_of(step: int) -> str:
    return pyotp.TOTP(SECRET).generate_otp(step)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_of_the_step_before_now_or_after_is_taken(offset):
    assert mfa.matching_step(SECRET, code_of(STEP + offset), NOW, None) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_a_code_further_from_now_is_not(offset):
    assert mfa.matching_step(SECRET, code_of(STEP + offset), NOW, None) is None


def test_a_step_at_or_before_the_last_one_used_is_never_taken_again():
    assert mfa.matching_step(SECRET, code_of(STEP), NOW, STEP) is None
    assert mfa.matching_step(SECRET, code_of(STEP - 1), NOW, STEP - 1) is None
    assert mfa.matching_step(SECRET, code_of(STEP), NOW, STEP - 1) == STEP
    assert mfa.matching_step(SECRET, code_of(STEP + 1), NOW, STEP) == STEP + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "１２３４５６", "٠١٢٣٤٥"])
def test_what_is_no_six_digit_code_matches_nothing(typed):
    assert mfa.matching_step(SECRET, typed, NOW, None) is None
    assert not mfa.is_totp_code(typed)


def test_a_code_typed_with_spaces_around_is_the_code():
    assert mfa.matching_step(SECRET, f" {code_of(STEP)} ", NOW, None) == STEP


def test_recovery_codes_are_ten_distinct_and_read_back_however_typed():
    codes = mfa.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    for c in codes:
        assert len(c) == 11 and c[5] == "-" and set(c) - {"-"} <= set(mfa.RECOVERY_ALPHABET)
        key = c.replace("-", "")
        assert mfa.recovery_key(c) == mfa.recovery_key(c.upper().replace("-", " ")) == key
    for bad in ("abcde-fghij", "2345", "23456-7892345", "o0o0o-l1l1l", ""):
        assert mfa.recovery_key(bad) is None, bad


def test_secrets_are_160_random_bits_and_the_uri_names_the_issuer_and_account():
    a, b = mfa.new_secret(), mfa.new_secret()
    assert a != b and len(a) == 32 and set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    uri = mfa.otpauth_uri(a, "mot-cua@phuong.gov.vn")
    assert uri.startswith("otpauth://totp/DVC%20H%E1%BA%A3i%20Ph%C3%B2ng:mot-cua%40phuong.gov.vn?")
    assert f"secret={a}" in uri and "issuer=DVC%20H%E1%BA%A3i%20Ph%C3%B2ng" in uri


@pytest.mark.parametrize(
    ("roles", "needed"),
    [
        (["citizen"], False),
        (["officer"], True),
        (["admin"], True),
        (["citizen", "officer"], True),
        ([], False),
    ],
)
def test_officers_and_administrators_need_a_second_factor_citizens_do_not(roles, needed):
    assert mfa.needs_second_factor(roles) is needed


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("DVC_ENV", "production")
    for name in (
        "AUTH_KEY_PASSPHRASE",
        "AUTH_CODE_SECRET",
        "DVC_SEAL_KEY",
        "AUTH_MFA_KEY",
        "DVC_ADMIN_PASSWORD",
    ):
        monkeypatch.setenv(name, "a-real-secret-for-production")
    monkeypatch.setenv("DVC_AMQP_URL", "amqp://u:p@h/")
    return monkeypatch


def test_production_requires_the_second_factor_and_its_own_mfa_key(production):
    assert Settings().staff_mfa == "required"
    production.setenv("AUTH_STAFF_MFA", "off")
    with pytest.raises(ValidationError, match="AUTH_STAFF_MFA=off is refused in production"):
        Settings()
    production.delenv("AUTH_STAFF_MFA")
    production.delenv("AUTH_MFA_KEY")
    with pytest.raises(ValidationError, match="mfa_key"):
        Settings()


def test_production_refuses_a_first_administrator_secret_from_the_environment(production):
    production.setenv("DVC_ADMIN_TOTP_SECRET", SECRET)
    with pytest.raises(ValidationError, match="DVC_ADMIN_TOTP_SECRET"):
        Settings()


def test_development_may_turn_it_off_and_a_weak_secret_is_refused(monkeypatch):
    monkeypatch.setenv("AUTH_STAFF_MFA", "off")
    assert Settings().staff_mfa == "off"
    monkeypatch.setenv("AUTH_STAFF_MFA", "maybe")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("AUTH_STAFF_MFA")
    for weak in ("JBSWY3DPEHPK3PXP", "not base32 at all!"):
        monkeypatch.setenv("DVC_ADMIN_TOTP_SECRET", weak)
        with pytest.raises(ValidationError, match="admin_totp_secret"):
            Settings()
