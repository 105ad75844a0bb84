"""An OpenID Connect provider as this service, its relying party, sees it: discovery, the signing keys,
the authorization URL (code flow with PKCE S256, state and nonce), the code exchange and every check of
the ID token (signature with an allowed algorithm, issuer, audience, authorized party, expiry, issue time,
nonce). Over HTTP with httpx; the discovery document and keys are cached, the keys fetched again once when
a token names a key id they do not hold (the provider rotated its keys)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from dvckit import logs

log = logs.get(__name__)
DISCOVERY_TTL_S = 3600.0


class ProviderDown(Exception):
    """The provider did not answer, or not as a provider should (discovery, keys, token endpoint)."""


class Refused(Exception):
    """The provider refused the code, or what it sent fails a check: nobody is signed in."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43-128
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


class OidcProvider:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: str,
        algorithms: list[str],
        leeway_s: int = 30,
        timeout_s: float = 10.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self.algorithms = algorithms
        self.leeway_s = leeway_s
        self.http = httpx.AsyncClient(timeout=timeout_s)
        self._config: dict[str, Any] | None = None
        self._config_at = 0.0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        await self.http.aclose()

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            r = await self.http.get(url)
            r.raise_for_status()
            return dict(r.json())
        except (httpx.HTTPError, ValueError) as e:
            raise ProviderDown(f"{url}: {e!r}"[:300]) from None

    async def config(self) -> dict[str, Any]:
        """The discovery document; its issuer must be the one configured (OpenID Connect Discovery §4.3)."""
        if self._config is None or time.monotonic() - self._config_at > DISCOVERY_TTL_S:
            doc = await self._get(f"{self.issuer}/.well-known/openid-configuration")
            if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
                raise ProviderDown(f"discovery names issuer {doc.get('issuer')!r}, not {self.issuer!r}")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(doc.get(key), str):
                    raise ProviderDown(f"discovery has no {key}")
            self._config, self._config_at = doc, time.monotonic()
        return self._config

    async def authorize_url(self, *, state: str, nonce: str, challenge: str) -> str:
        cfg = await self.config()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{cfg['authorization_endpoint']}?{urlencode(query)}"

    async def exchange(self, code: str, verifier: str) -> str:
        """The ID token the provider gives for ``code`` (client_secret_basic, PKCE verifier)."""
        cfg = await self.config()
        try:
            r = await self.http.post(
                cfg["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(self.client_id, self.client_secret),
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as e:
            raise ProviderDown(f"token endpoint: {e!r}"[:300]) from None
        if r.status_code >= 500:
            raise ProviderDown(f"token endpoint answered {r.status_code}")
        try:
            body = r.json()
        except ValueError:
            raise ProviderDown("token endpoint answered no JSON") from None
        if r.status_code != 200 or not isinstance(body.get("id_token"), str):
            # invalid_grant: a code used before, expired, or issued to another client.
            raise Refused(str(body.get("error") or f"token endpoint answered {r.status_code}")[:100])
        return str(body["id_token"])

    async def _key(self, kid: str | None) -> jwt.PyJWK:
        async with self._lock:
            if kid not in self._keys:
                cfg = await self.config()
                jwks = await self._get(cfg["jwks_uri"])
                keys = {}
                for k in jwks.get("keys", []):
                    try:
                        keys[k.get("kid")] = jwt.PyJWK(k)
                    except jwt.PyJWKError:
                        continue  # a key of a type or use we cannot read: not ours to use
                self._keys = keys
            key = self._keys.get(kid) or (
                next(iter(self._keys.values())) if kid is None and len(self._keys) == 1 else None
            )
        if key is None:
            raise Refused("unknown signing key")
        return key

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once every check passed (OpenID Connect Core §3.1.3.7)."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise Refused("not a JWT") from None
        alg = header.get("alg")
        if alg not in self.algorithms:  # never "none", never an HMAC keyed with a public key
            raise Refused(f"algorithm {alg!r} not allowed")
        key = await self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                audience=self.client_id,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Refused("expired") from None
        except jwt.InvalidAudienceError:
            raise Refused("audience") from None
        except jwt.InvalidIssuerError:
            raise Refused("issuer") from None
        except jwt.PyJWTError as e:
            raise Refused(f"invalid: {type(e).__name__}") from None
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.client_id:
            raise Refused("authorized party")
        if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
            raise Refused("nonce")
        return claims
