"""Step 3's confirmation code (mã xác nhận): single use, a few minutes' life, passed in one of two ways.

- Read: a PNG from the captcha library; kept only as a keyed digest of its answer.
- Computed: an ALTCHA proof of work (PBKDF2/SHA-256) the citizen's browser solves with no perception at
  all, for whoever cannot read the image (WCAG 1.1.1): blind and deaf-blind citizens, screen-reader
  users. It costs a filer about as much computing as the image costs reading (docs/captcha.md has the
  figures), and it is bound to the same record, so it is spent with it and lives as long.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import altcha
import anyio
from captcha.image import ImageCaptcha

from dvckit.runtime import Runtime

from ..adapters.store import CAPTCHAS
from ..config import Settings
from .errors import WRONG

# No look-alikes (0/O, 1/I/L) in a code people read off a noisy image.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 5
# Small and with modest glyphs: a third cheaper to draw than the library's defaults, still legible.
IMAGE = {"width": 150, "height": 50, "font_sizes": (36, 40, 44)}
POW_ALGORITHM = "PBKDF2/SHA-256"  # WebCrypto computes it natively: a browser is as fast as a bot's CPU


class Captchas:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.coll = rt.db[CAPTCHAS]
        self.ttl = timedelta(seconds=settings.captcha_ttl_seconds)
        self.secret = settings.captcha_secret.get_secret_value().encode()
        # Keys of their own for the challenge's signature and for the solved key's (fast verification).
        self.pow_secret = hmac.new(self.secret, b"altcha-challenge", hashlib.sha256).hexdigest()
        self.pow_key_secret = hmac.new(self.secret, b"altcha-key", hashlib.sha256).hexdigest()
        self.pow_cost = settings.captcha_pow_cost
        self.pow_work = (settings.captcha_pow_min, settings.captcha_pow_max)
        self.test_answer = settings.captcha_test_answer  # None in production (settings refuse it)
        self.image = ImageCaptcha(**IMAGE)
        self.limiter = anyio.CapacityLimiter(4)

    def _digest(self, captcha_id: str, answer: str) -> str:
        return hmac.new(
            self.secret, f"{captcha_id}:{answer.strip().upper()}".encode(), hashlib.sha256
        ).hexdigest()

    @staticmethod
    def new_answer() -> str:
        return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))

    def _challenge(self, captcha_id: str, expires_at: datetime) -> dict[str, Any]:
        """A challenge with its answer (the counter) chosen here and only a signature of the key it gives
        sent along: the browser must try every counter up to it; the check is one HMAC."""
        lo, hi = self.pow_work
        challenge = altcha.create_challenge(
            POW_ALGORITHM,
            self.pow_cost,
            counter=lo + secrets.randbelow(hi - lo + 1),
            expires_at=int(expires_at.timestamp()),
            data={"captcha_id": captcha_id},
            hmac_secret=self.pow_secret,
            hmac_key_secret=self.pow_key_secret,
        )
        return challenge.to_dict()

    async def create(self) -> dict[str, Any]:
        answer = self.new_answer()
        captcha_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        expires_at = now + self.ttl

        def draw() -> tuple[bytes, dict[str, Any]]:
            png = io.BytesIO()
            # The fastest zlib level: a 150×50 noisy image barely compresses, and saving was a fifth of
            # the drawing's time.
            self.image.generate_image(answer).save(png, "PNG", compress_level=1)
            return png.getvalue(), self._challenge(captcha_id, expires_at)

        png, challenge = await anyio.to_thread.run_sync(draw, limiter=self.limiter)
        await self.coll.insert_one(
            {"_id": captcha_id, "digest": self._digest(captcha_id, answer), "expires_at": expires_at}
        )
        return {
            "captcha_id": captcha_id,
            "image": "data:image/png;base64," + base64.b64encode(png).decode(),
            "challenge": challenge,
            "expires_in": int(self.ttl.total_seconds()),
        }

    async def verify(self, captcha_id: str, answer: str | None = None, proof: str | None = None) -> None:
        """Consume the captcha (one try, right or wrong); raise if neither the answer read off the image nor
        the proof of work is right, or it expired.

        One delete spends it: a right try deletes the record by its id, its life and (for the image) the
        answer's digest, so whoever deletes it has used it (two requests racing on one captcha cannot both
        pass); a try that deletes nothing (wrong, expired, unknown or used) deletes the record by its id
        alone (it is spent all the same) and is refused."""
        live: dict[str, Any] = {"_id": captcha_id, "expires_at": {"$gt": datetime.now(UTC)}}
        right = True
        if proof is not None:
            right = await anyio.to_thread.run_sync(self._proof_holds, captcha_id, proof)
        elif not (self.test_answer and hmac.compare_digest((answer or "").strip(), self.test_answer)):
            live["digest"] = self._digest(captcha_id, answer or "")
        if right and (await self.coll.delete_one(live)).deleted_count == 1:
            return
        await self.coll.delete_one({"_id": captcha_id})
        raise WRONG

    def _proof_holds(self, captcha_id: str, proof: str) -> bool:
        """``proof``: the ALTCHA payload, base64 of ``{"challenge": …, "solution": …}``. Its challenge must
        be the one issued with this captcha (signed with its id), so a proof is spent with its captcha."""
        try:
            payload = altcha.Payload.from_dict(json.loads(base64.b64decode(proof, validate=True)))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return False
        data = payload.challenge.parameters.data
        if not isinstance(data, dict) or data.get("captcha_id") != captcha_id:
            return False
        result = altcha.verify_solution(payload, self.pow_secret, hmac_key_secret=self.pow_key_secret)
        return bool(result.verified)
