"""The citizen's rating of how a dossier was handled (docs/submission.md, "Rating"): the national portal's
satisfaction criteria, once, after the result was returned or the dossier refused or withdrawn; and what
reporting reads off a decided dossier (its legal time, the working days it took). Pure: no I/O."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dvckit.contracts import DossierRatedV1, DossierRatingScores
from dvckit.errors import Problem, Text

from .calendar import Calendar
from .model import Dossier, Rating
from .procedure import Procedure
from .status import Status
from .workflow import PAUSED

# Where the citizen may rate: the result returned (10), refused (3), withdrawn (7).
RATEABLE = frozenset({Status.RETURNED, Status.REFUSED, Status.WITHDRAWN})
COMMENT_LIMIT = 1000
# What a comment may be before it is cleaned (a decomposed Vietnamese text is longer than its NFC form).
COMMENT_RAW_LIMIT = 2 * COMMENT_LIMIT
SCORE = Field(ge=1, le=5, strict=True)
KEEP = frozenset("\n")  # a comment may have lines; every other control or format character goes

NOT_RATEABLE = Problem(
    409,
    "not-rateable",
    Text(
        "Chỉ đánh giá được hồ sơ đã trả kết quả, bị từ chối tiếp nhận hoặc đã rút",
        "Only a dossier whose result was returned, or that was refused or withdrawn, can be rated",
    ),
)
ALREADY_RATED = Problem(
    409,
    "already-rated",
    Text("Hồ sơ này đã được đánh giá", "This dossier was rated already"),
)


def clean_comment(value: str | None) -> str | None:
    """NFC, without control or invisible format characters (newlines kept, Windows ones made one), each
    line's runs of white space one space, trimmed; None when nothing is left; ValueError past
    ``COMMENT_LIMIT`` characters."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if ch in KEEP or unicodedata.category(ch) not in ("Cc", "Cf"))
    text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
    if len(text) > COMMENT_LIMIT:
        raise ValueError(
            f"Nhận xét tối đa {COMMENT_LIMIT} ký tự / the comment is at most {COMMENT_LIMIT} characters"
        )
    return text or None


class RatingIn(BaseModel):
    """``POST /dossiers/{id}/rating``: each criterion from 1 (very dissatisfied) to 5 (very satisfied)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overall: Annotated[int, SCORE, Field(description="Hài lòng chung / overall satisfaction")]
    reception: Annotated[int, SCORE, Field(description="Tiếp nhận / reception")]
    guidance: Annotated[int, SCORE, Field(description="Hướng dẫn / guidance")]
    time: Annotated[int, SCORE, Field(description="Thời gian giải quyết / processing time")]
    result: Annotated[int, SCORE, Field(description="Kết quả / the result")]
    comment: Annotated[
        str | None,
        Field(
            max_length=COMMENT_RAW_LIMIT,
            description=f"Nhận xét / a comment: at most {COMMENT_LIMIT} characters once cleaned (NFC, no "
            "control characters)",
        ),
        AfterValidator(clean_comment),
    ] = None

    @property
    def scores(self) -> DossierRatingScores:
        return DossierRatingScores(**self.model_dump(exclude={"comment"}))


def rateable(d: Dossier) -> bool:
    """Whether the owner may rate it now: closed where a rating is asked for, and not rated yet."""
    return d.status in RATEABLE and d.rating is None


def rate(d: Dossier, given: RatingIn, now: datetime) -> tuple[Rating, DossierRatedV1]:
    """The rating to store and the event that says so; 409 when the dossier is not rateable."""
    if d.rating is not None:
        raise ALREADY_RATED
    if d.status not in RATEABLE:
        raise NOT_RATEABLE
    rating = Rating(scores=given.scores, comment=given.comment, rated_at=now)
    event = DossierRatedV1(
        **d.event_names(),
        scores=rating.scores,
        comment=rating.comment,
        status_code=d.status_no,
        rated_at=now,
    )
    return rating, event


# -- what reporting reads off a dossier ---------------------------------------------------------------
def legal_days(p: Procedure) -> float | None:
    """The procedure's processing time in days as it states it (working days, or days), else its
    ``working_days``; None when it states none or states it in hours or months."""
    t = p.processing_time
    if t is not None:
        return float(t.value) if t.unit in ("working_day", "day") and t.value and t.value > 0 else None
    return float(p.working_days) if p.working_days and p.working_days > 0 else None


def pauses(d: Dossier) -> list[tuple[datetime, datetime | None]]:
    """The spans the clock stood still (a supplement or a payment asked of the citizen), from the history:
    from the entry that paused it to the next that moved the status on (None: still paused)."""
    out: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = None
    for h in d.history:
        if h.change is not None:  # a file added or replaced: no move of the status
            continue
        paused = h.status in PAUSED
        if paused and since is None:
            since = h.at
        elif not paused and since is not None:
            out.append((since, h.at))
            since = None
    if since is not None:
        out.append((since, None))
    return out


def used_days(d: Dossier, cal: Calendar) -> float | None:
    """Working days from acceptance to the result (status 9), the pauses left out: office time on working
    days over one working day's office time, to two decimals. None before it is decided or when it was
    never accepted."""
    start, end = d.accepted_at, d.finished_at
    if start is None or end is None:
        return None
    worked = cal.working_time_between(start, end)
    for a, b in pauses(d):
        lo, hi = max(a, start), min(b or end, end)
        if hi > lo:
            worked -= cal.working_time_between(lo, hi)
    spans = (datetime.combine(date.min, b) - datetime.combine(date.min, a) for a, b in cal.office)
    day = sum(spans, timedelta())  # one working day's office time
    return round(max(worked, timedelta()) / day, 2)
