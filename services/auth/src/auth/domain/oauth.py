"""Sign-in of our own native apps: OAuth 2.0 authorization code with PKCE for public clients (RFC 6749,
RFC 7636 with S256 only, RFC 8252 "OAuth 2.0 for Native Apps"). Pure rules, no I/O.

- A client is an app registered in the settings (``AUTH_OAUTH_CLIENTS``): its id, its name as people read
  it on the consent page, and the redirect URIs it may use. No client secret: an app's binary is public.
- A redirect URI matches a registered one exactly, except that a loopback one (``http://127.0.0.1/path``,
  ``http://[::1]/path``) matches at any port (RFC 8252 §7.3: a desktop app listens on a port the system
  gives it). Registered URIs are https, loopback http, or a private-use scheme named after a domain the
  app's maker holds (``vn.gov.haiphong.dvc:/oauth2redirect``, RFC 8252 §7.1). Never ``localhost`` (a name
  the resolver may send elsewhere, §8.3) and never a fragment.
- PKCE: only S256 (``plain`` gives an intercepted code to whoever intercepted it); the verifier is 43 to
  128 unreserved characters (RFC 7636 §4.1), the challenge BASE64URL(SHA256(verifier)) without padding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# What an app may ask for: one scope, the person's own rights (what a portal sign-in gives).
SCOPE = "dvc"
SCOPES = (SCOPE,)
CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # a SHA-256 digest, base64url without padding
PRIVATE_SCHEME = re.compile(r"^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$")  # reverse domain name: at least one dot
LOOPBACK_IPS = ("127.0.0.1", "::1")
STATE_MAX = 255  # RFC 6749 sets none; AppAuth's are 22 characters
URI_MAX = 500


class BadRedirect(ValueError):
    """A redirect URI no client may register."""


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    name_en: str = ""

    def label(self, lang: str) -> str:
        return (self.name_en or self.name) if lang == "en" else self.name

    def allows(self, redirect_uri: str) -> bool:
        """Whether ``redirect_uri`` is one of the client's (loopback ones at any port)."""
        if redirect_uri in self.redirect_uris:
            return True
        asked = _loopback(redirect_uri)
        return asked is not None and any(_loopback(r) == asked for r in self.redirect_uris)


def check_redirect_uri(uri: str) -> str:
    """``uri`` when a client may register it (see the module's text), else :class:`BadRedirect`."""
    if not uri or len(uri) > URI_MAX or any(c.isspace() or not c.isprintable() for c in uri):
        raise BadRedirect("empty, too long or with spaces")
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise BadRedirect("a redirect URI has no fragment (RFC 6749 §3.1.2)")
    scheme = parts.scheme.lower()
    if scheme == "https":
        if not parts.hostname:
            raise BadRedirect("https without a host")
        return uri
    if scheme == "http":
        if _loopback(uri) is None:
            raise BadRedirect("plain http only to the loopback address 127.0.0.1 or [::1] (RFC 8252 §7.3)")
        return uri
    if PRIVATE_SCHEME.match(scheme):
        if parts.netloc:
            raise BadRedirect("a private-use scheme's URI has a path only (scheme:/path, RFC 8252 §7.1)")
        return uri
    raise BadRedirect("https, loopback http, or a private-use scheme in reverse domain order")


def _loopback(uri: str) -> tuple[str, str, str, str] | None:
    """(scheme, host, path, query) of a loopback http URI (any port), else None."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        _ = parts.port  # a port that is no number is no URI
    except ValueError:
        return None
    if parts.scheme != "http" or host is None or parts.fragment:
        return None
    if host not in LOOPBACK_IPS:
        return None  # "localhost" and other names: RFC 8252 §8.3; other loopback addresses: unusual
    if parts.username or parts.password:
        return None
    return ("http", host, parts.path or "/", parts.query)


def challenge_of(verifier: str) -> str:
    """The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))), no padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Whether ``verifier`` is a well-formed verifier whose S256 challenge is ``challenge``."""
    if not VERIFIER.match(verifier):
        return False
    return hmac.compare_digest(challenge_of(verifier), challenge)


def scope_of(asked: str | None) -> str | None:
    """The scope granted for ``asked`` (space-separated; none: the default), None if any is unknown."""
    wanted = set((asked or "").split())
    if not wanted:
        return SCOPE
    return SCOPE if wanted <= set(SCOPES) else None


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` added to its query (a registered URI may carry a query of its own)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
