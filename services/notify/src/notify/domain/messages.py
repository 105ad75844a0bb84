"""What each event says to a person, per channel and language (Jinja2 templates in ``templates/``).
Pure: no I/O."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from dvckit.contracts import DOSSIER_STATUS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGS = ("vi", "en")


@cache
def _env() -> jinja2.Environment:
    # Plain text (email bodies, SMS, in-app text rendered by the client as text): no HTML escaping here.
    env = jinja2.Environment(  # noqa: S701
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=False,
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["plain"] = plain
    return env


def vn_time(t: datetime | str | None, lang: str = "vi") -> str:
    """17:00 ngày 03/12/2026, or 17:00 on 03/12/2026 (Vietnam time, day first)."""
    if t is None:
        return ""
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    v = t.astimezone(VN)
    return f"{v:%H:%M} {'on' if lang == 'en' else 'ngày'} {v:%d/%m/%Y}"


def vnd(n: int) -> str:
    return f"{n:,}".replace(",", ".") + " đ"


def plain(text: str) -> str:
    """Without diacritics, for SMS (a Vietnamese SMS with diacritics costs three times as much)."""
    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in t if unicodedata.category(ch) != "Mn")


def status_words(status: str, lang: str) -> str:
    _n, vi, en = DOSSIER_STATUS[status]
    return en if lang == "en" else vi


def render(kind: str, lang: str, ctx: dict[str, Any]) -> dict[str, str]:
    """Every channel's text for one event: in_app_title, in_app_body, email_subject, email_body, sms."""
    template = _env().get_template(f"{kind}.{lang}.j2")
    context = template.new_context(ctx)
    out = {}
    for block in ("in_app_title", "in_app_body", "email_subject", "email_body", "sms"):
        out[block] = "".join(template.blocks[block](context)).strip()
    return out


def render_all(kind: str, ctx_for: Any) -> dict[str, dict[str, str]]:
    """``ctx_for(lang)`` → context; returns {lang: texts} for Vietnamese and English."""
    return {lang: render(kind, lang, ctx_for(lang)) for lang in LANGS}
