"""Step 3's confirmation code (mã xác nhận): a PNG from the captcha library, single use, a few minutes'
life, kept only as a keyed digest of its answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from captcha.image import ImageCaptcha

from dvckit.errors import Problem, Text
from dvckit.runtime import Runtime

from ..adapters.store import CAPTCHAS
from ..config import Settings

# No look-alikes (0/O, 1/I/L) in a code people read off a noisy image.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 5

WRONG = Problem(
    400,
    "captcha-invalid",
    Text(
        "Mã xác nhận không đúng hoặc đã hết hạn, vui lòng lấy mã mới",
        "The confirmation code is wrong or expired; get a new one",
    ),
)


class Captchas:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.coll = rt.db[CAPTCHAS]
        self.ttl = timedelta(seconds=settings.captcha_ttl_seconds)
        self.secret = settings.captcha_secret.get_secret_value().encode()
        self.test_answer = settings.captcha_test_answer  # None in production (settings refuse it)
        # Small and with modest glyphs: a third cheaper to draw than the library's defaults, still legible.
        self.image = ImageCaptcha(width=150, height=50, font_sizes=(36, 40, 44))
        self.limiter = anyio.CapacityLimiter(4)

    def _digest(self, captcha_id: str, answer: str) -> str:
        return hmac.new(
            self.secret, f"{captcha_id}:{answer.strip().upper()}".encode(), hashlib.sha256
        ).hexdigest()

    @staticmethod
    def new_answer() -> str:
        return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))

    async def create(self) -> dict[str, Any]:
        answer = self.new_answer()
        captcha_id = uuid.uuid4().hex
        png = await anyio.to_thread.run_sync(
            lambda: self.image.generate(answer).getvalue(), limiter=self.limiter
        )
        now = datetime.now(UTC)
        await self.coll.insert_one(
            {"_id": captcha_id, "digest": self._digest(captcha_id, answer), "expires_at": now + self.ttl}
        )
        return {
            "captcha_id": captcha_id,
            "image": "data:image/png;base64," + base64.b64encode(png).decode(),
            "expires_in": int(self.ttl.total_seconds()),
        }

    async def verify(self, captcha_id: str, answer: str) -> None:
        """Consume the captcha (one try, right or wrong); raise if the answer is wrong or it expired."""
        doc = await self.coll.find_one({"_id": captcha_id})
        # Whoever deletes it uses it: two requests racing on one captcha cannot both pass.
        if doc is None or (await self.coll.delete_one({"_id": captcha_id})).deleted_count != 1:
            raise WRONG
        if doc["expires_at"].replace(tzinfo=UTC) <= datetime.now(UTC):
            raise WRONG
        if self.test_answer and hmac.compare_digest(answer.strip(), self.test_answer):
            return
        if not hmac.compare_digest(doc["digest"], self._digest(captcha_id, answer)):
            raise WRONG
