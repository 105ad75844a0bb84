"""What each event says to a person, per channel and language (Jinja2 templates in ``templates/``).
Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from dvckit.contracts import DOSSIER_STATUS
from dvckit.vn import ZONE
from dvckit.vn import unaccented as plain

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGS = ("vi", "en")
# Where a one-time code goes in a rendered text: the code itself is put in only when the message is sent.
CODE_SLOT = "[[CODE]]"


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
    env.filters["mask"] = mask
    return env


def vn_time(t: datetime | str | None, lang: str = "vi", zone: ZoneInfo = ZONE) -> str:
    """17:00 ngày 03/12/2026, or 17:00 on 03/12/2026 (local time in ``zone``, the service's setting,
    Vietnam's by default; day first)."""
    if t is None:
        return ""
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    v = t.astimezone(zone)
    return f"{v:%H:%M} {'on' if lang == 'en' else 'ngày'} {v:%d/%m/%Y}"


def mask(value: str | None) -> str:
    """``0912345678`` → ``091*****78``, ``thu.vu@example.vn`` → ``th****@example.vn``: enough for the
    holder to recognise, too little to tell a stranger (a notice may reach a recycled number)."""
    if not value:
        return ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return local[:2] + "*" * max(1, len(local) - 2) + "@" + domain
    return value[:3] + "*" * max(1, len(value) - 5) + value[-2:]


def status_words(status: str, lang: str) -> str:
    _n, vi, en = DOSSIER_STATUS[status]
    return en if lang == "en" else vi


def render(kind: str, lang: str, ctx: dict[str, Any]) -> dict[str, str]:
    """Every channel's text for one event: in_app_title, in_app_body, email_subject, email_body, sms."""
    template = _env().get_template(f"{kind}.{lang}.j2")
    context = template.new_context(ctx)
    # Run the template once so its top-level {% set %}s (wording shared by several blocks) are in the
    # context the blocks are rendered with.
    for _ in template.root_render_func(context):
        pass
    out = {}
    for block in ("in_app_title", "in_app_body", "email_subject", "email_body", "sms"):
        out[block] = "".join(template.blocks[block](context)).strip()
    return out


def render_all(kind: str, ctx_for: Any) -> dict[str, dict[str, str]]:
    """``ctx_for(lang)`` → context; returns {lang: texts} for Vietnamese and English."""
    return {lang: render(kind, lang, ctx_for(lang)) for lang in LANGS}
