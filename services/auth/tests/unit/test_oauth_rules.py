"""The rules of our apps' sign-in (domain/oauth.py): which redirect URIs an app may register, how a
request's redirect URI matches (exactly; loopback at any port), PKCE S256, scopes, and the settings that
refuse a bad registration at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from auth.config import Settings
from auth.domain.oauth import (
    BadRedirect,
    Client,
    challenge_of,
    check_redirect_uri,
    scope_of,
    verifier_matches,
    with_query,
)

APP = Client(
    "dvc-app",
    "DVC",
    ("http://127.0.0.1/callback", "vn.gov.haiphong.dvc:/oauth2redirect", "https://a.example.vn/cb"),
)


@pytest.mark.parametrize(
    "uri",
    [
        "https://a.example.vn/cb",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:8000/callback",
        "http://[::1]/callback",
        "vn.gov.haiphong.dvc:/oauth2redirect",
        "com.example.app:/cb?x=1",
    ],
)
def test_uris_an_app_may_register(uri):
    assert check_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "http://a.example.vn/cb",  # plain http, not loopback
        "http://localhost:8000/cb",  # a name: RFC 8252 §8.3
        "http://127.0.0.2/cb",
        "https://a.example.vn/cb#frag",
        "myapp:/cb",  # a private-use scheme names a domain (a dot)
        "vn.gov.haiphong.dvc://host/cb",  # scheme:/path only
        "javascript:alert(1)",
        "https:///nohost",
        "https://a.example.vn/c b",
    ],
)
def test_uris_an_app_may_not_register(uri):
    with pytest.raises(BadRedirect):
        check_redirect_uri(uri)


def test_redirect_uris_match_exactly_but_loopback_at_any_port():
    assert APP.allows("https://a.example.vn/cb")
    assert APP.allows("vn.gov.haiphong.dvc:/oauth2redirect")
    assert APP.allows("http://127.0.0.1:49152/callback") and APP.allows("http://127.0.0.1/callback")
    for wrong in (
        "https://a.example.vn/cb/",
        "https://a.example.vn/cb?x=1",
        "HTTPS://a.example.vn/cb",
        "http://127.0.0.1:49152/callback2",
        "http://127.0.0.1:49152/callback?x=1",
        "http://[::1]:49152/callback",  # registered for 127.0.0.1 only
        "http://localhost:49152/callback",
        "http://user@127.0.0.1:49152/callback",
        "http://127.0.0.1:notaport/callback",
        "vn.gov.haiphong.dvc:/oauth2redirect/x",
    ):
        assert not APP.allows(wrong), wrong


def test_pkce_s256():
    # RFC 7636 appendix B
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge_of(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not verifier_matches(verifier[:-1] + "A", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not verifier_matches("short", challenge_of("short"))  # fewer than 43 characters
    assert not verifier_matches("é" * 43, "x")  # not the unreserved characters


def test_scopes_and_the_answers_query():
    assert scope_of(None) == scope_of("") == scope_of("dvc") == scope_of("dvc dvc") == "dvc"
    assert scope_of("dvc admin") is None and scope_of("openid") is None
    assert (
        with_query("vn.gov.haiphong.dvc:/cb", {"code": "a b", "state": "s"})
        == "vn.gov.haiphong.dvc:/cb?code=a+b&state=s"
    )
    assert with_query("https://a.example.vn/cb?x=1", {"code": "c"}) == "https://a.example.vn/cb?x=1&code=c"


def test_a_bad_registration_stops_the_service():
    good = {"client_id": "dvc-app", "name": "DVC", "redirect_uris": ["http://127.0.0.1/callback"]}
    assert Settings(oauth_clients=[good]).oauth_client("dvc-app") is not None
    assert Settings(oauth_clients=[good]).oauth_client("other") is None
    for bad in (
        {**good, "redirect_uris": ["http://evil.example/cb"]},
        {**good, "redirect_uris": []},
        {**good, "client_id": "a b"},
        {**good, "secret": "x"},  # public clients: no secret to configure
    ):
        with pytest.raises(ValidationError):
            Settings(oauth_clients=[bad])
    with pytest.raises(ValidationError):
        Settings(oauth_clients=[good, good])
