"""The Decision 766/QĐ-TTg indexes as we read them with the data the platform has (docs/reporting.md).

Six indexes, 100 points: each component is worth ``max × numerator / denominator``; a denominator of 0
makes the component not measurable (ratio and value null); an index is the sum of its components
(null when none is measurable); the score is 100 × the sum of the indexes' values / the sum of the
maxima of the measurable indexes (null when none is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .fold import SCORES


@dataclass(frozen=True)
class Name:
    vi: str
    en: str

    def out(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}


@dataclass(frozen=True)
class Component:
    key: str
    name: Name
    max: int
    numerator: str
    denominator: tuple[str, ...]  # summed (finished + open overdue)


@dataclass(frozen=True)
class Index:
    key: str
    name: Name
    components: tuple[Component, ...]

    @property
    def max(self) -> int:
        return sum(c.max for c in self.components)


INDEXES: tuple[Index, ...] = (
    Index(
        "publicity",
        Name("Công khai, minh bạch", "Publicity and transparency"),
        (
            Component(
                "procedures_public",
                Name(
                    "Thủ tục công bố đầy đủ thành phần, thời hạn, phí, căn cứ pháp lý",
                    "Published procedures with a complete public record",
                ),
                18,
                "procedures_detailed",
                ("procedures_published",),
            ),
        ),
    ),
    Index(
        "progress",
        Name("Tiến độ giải quyết", "Processing progress"),
        (
            Component(
                "on_time",
                Name("Hồ sơ giải quyết đúng hạn", "Dossiers processed on time"),
                20,
                "finished_on_time",
                ("finished", "open_overdue"),
            ),
        ),
    ),
    Index(
        "online",
        Name("Dịch vụ công trực tuyến", "Online public services"),
        (
            Component(
                "online_procedures",
                Name("Thủ tục cung cấp dịch vụ công trực tuyến toàn trình", "Procedures fully online"),
                6,
                "procedures_full_online",
                ("procedures_published",),
            ),
            Component(
                "online_dossiers",
                Name("Hồ sơ tiếp nhận trực tuyến", "Dossiers received online"),
                6,
                "received_online",
                ("received",),
            ),
        ),
    ),
    Index(
        "payment",
        Name("Thanh toán trực tuyến", "Online payment"),
        (
            Component(
                "paid_online",
                Name("Hồ sơ có phí, lệ phí được thanh toán trực tuyến", "Fee dossiers paid online"),
                10,
                "paid_online",
                ("fee_dossiers",),
            ),
        ),
    ),
    Index(
        "satisfaction",
        Name("Mức độ hài lòng", "Satisfaction"),
        (
            Component(
                "satisfied",
                Name("Đánh giá hài lòng, rất hài lòng", "Ratings satisfied or very satisfied"),
                18,
                "satisfied",
                ("ratings",),
            ),
        ),
    ),
    Index(
        "digitisation",
        Name("Số hóa hồ sơ, kết quả", "Digitisation"),
        (
            Component(
                "digitised_dossiers",
                Name("Hồ sơ có mọi thành phần ở dạng điện tử", "Dossiers with every component electronic"),
                11,
                "digitised",
                ("received",),
            ),
            Component(
                "digital_results",
                Name("Kết quả giải quyết điện tử", "Results issued electronically"),
                11,
                "digital_results",
                ("finished",),
            ),
        ),
    ),
)
INDEX_KEYS = tuple(i.key for i in INDEXES)
COMPONENTS = {c.key: c for i in INDEXES for c in i.components}
MAX_SCORE = sum(i.max for i in INDEXES)
# Components over the catalogue (procedures), not over dossiers: no drill-down to dossiers behind them.
CATALOGUE_COMPONENTS = frozenset({"procedures_public", "online_procedures"})

# What the counters add up (fold.contributions) besides the counts' own keys.
SUMMED = (
    "received",
    "received_online",
    "received_counter",
    "finished",
    "finished_on_time",
    "finished_late",
    "supplement_requested",
    "refused",
    "withdrawn",
    "stopped",
    "fee_dossiers",
    "paid_online",
    "digitised",
    "digital_results",
    "ratings",
    "satisfied",
)

COUNT_NAMES: dict[str, Name] = {
    "received": Name("Hồ sơ tiếp nhận", "Dossiers received"),
    "received_online": Name("Tiếp nhận trực tuyến", "Received online"),
    "received_counter": Name("Tiếp nhận trực tiếp", "Received at the counter"),
    "finished": Name("Đã giải quyết", "Processed"),
    "finished_on_time": Name("Giải quyết đúng hạn", "Processed on time"),
    "finished_late": Name("Giải quyết quá hạn", "Processed late"),
    "open_within": Name("Đang giải quyết trong hạn", "Open, within time"),
    "open_overdue": Name("Đang giải quyết quá hạn", "Open, overdue"),
    "supplement_requested": Name("Yêu cầu bổ sung", "Supplement requests"),
    "refused": Name("Không được tiếp nhận", "Refused"),
    "withdrawn": Name("Công dân rút hồ sơ", "Withdrawn"),
    "stopped": Name("Dừng xử lý", "Processing stopped"),
    "avg_used_days": Name(
        "Thời gian giải quyết trung bình (ngày làm việc)", "Average processing time (working days)"
    ),
    "avg_legal_days": Name(
        "Thời hạn theo quy định trung bình (ngày làm việc)", "Average legal time (working days)"
    ),
    "fee_dossiers": Name("Hồ sơ có phí, lệ phí", "Dossiers with a fee"),
    "paid_online": Name("Thanh toán trực tuyến", "Paid online"),
    "digitised": Name("Hồ sơ số hóa đầy đủ", "Dossiers fully electronic"),
    "digital_results": Name("Kết quả điện tử", "Electronic results"),
    "ratings": Name("Lượt đánh giá", "Ratings"),
    "satisfied": Name("Đánh giá hài lòng", "Satisfied ratings"),
    "rating_avg": Name("Điểm đánh giá trung bình", "Average rating"),
}
COUNT_KEYS = tuple(COUNT_NAMES)
# What the indexes read of the counters (a ranking asks for these only).
_CATALOGUE_OR_NOW = {"procedures_detailed", "procedures_published", "procedures_full_online", "open_overdue"}
INDEX_METRICS = tuple(
    sorted(
        ({c.numerator for c in COMPONENTS.values()} | {k for c in COMPONENTS.values() for k in c.denominator})
        - _CATALOGUE_OR_NOW
    )
)
SCORE_NAMES = {
    "overall": Name("Hài lòng chung", "Overall"),
    "reception": Name("Tiếp nhận", "Reception"),
    "guidance": Name("Hướng dẫn", "Guidance"),
    "time": Name("Thời gian giải quyết", "Processing time"),
    "result": Name("Kết quả", "Result"),
}


@dataclass(frozen=True)
class Catalogue:
    """The unit's published procedures: how many, how many with a complete record, how many fully online."""

    published: int = 0
    detailed: int = 0
    full_online: int = 0


def counts(summed: Mapping[str, int], open_within: int, open_overdue: int) -> dict[str, Any]:
    """The answer's ``counts`` from the counters' sums and the open dossiers."""
    out: dict[str, Any] = {k: int(summed.get(k, 0)) for k in SUMMED}
    out["open_within"], out["open_overdue"] = open_within, open_overdue
    out["avg_used_days"] = _avg(summed.get("used_days_x100", 0), summed.get("used_n", 0))
    out["avg_legal_days"] = _avg(summed.get("legal_days_x100", 0), summed.get("legal_n", 0))
    n = int(summed.get("ratings", 0))
    out["rating_avg"] = {k: round(summed.get(f"rating_{k}", 0) / n, 2) for k in SCORES} if n else None
    return {k: out[k] for k in COUNT_KEYS}


def _avg(hundredths: int, n: int) -> float | None:
    return round(hundredths / 100 / n, 2) if n else None


def evaluate(
    c: Mapping[str, Any], catalogue: Catalogue, *, overdue_counts: bool = True
) -> tuple[float | None, list[dict[str, Any]]]:
    """The score and the indexes (with their components) of ``counts`` and the unit's catalogue.

    ``overdue_counts``: whether the dossiers open and overdue now weigh on the period's progress (only
    for a period that reaches today: a past month is judged by what was finished in it)."""
    numbers: dict[str, float] = {
        **{k: v for k, v in c.items() if isinstance(v, int)},
        "procedures_published": catalogue.published,
        "procedures_detailed": catalogue.detailed,
        "procedures_full_online": catalogue.full_online,
    }
    if not overdue_counts:
        numbers["open_overdue"] = 0
    out: list[dict[str, Any]] = []
    total = measurable_max = 0.0
    for index in INDEXES:
        comps = []
        values: list[float] = []
        for comp in index.components:
            num = int(numbers.get(comp.numerator, 0))
            den = int(sum(numbers.get(k, 0) for k in comp.denominator))
            ratio = num / den if den else None
            value = comp.max * ratio if ratio is not None else None
            if value is not None:
                values.append(value)
            comps.append(
                {
                    "key": comp.key,
                    "name": comp.name.out(),
                    "max": comp.max,
                    "numerator": num,
                    "denominator": den,
                    "ratio": round(ratio, 4) if ratio is not None else None,
                    "value": round(value, 2) if value is not None else None,
                }
            )
        value = sum(values) if values else None
        if value is not None:
            total += value
            measurable_max += index.max
        out.append(
            {
                "key": index.key,
                "name": index.name.out(),
                "max": index.max,
                "value": round(value, 2) if value is not None else None,
                "components": comps,
            }
        )
    score = round(100 * total / measurable_max, 2) if measurable_max else None
    return score, out


def summed_rows(rows: list[Mapping[str, Any]]) -> dict[str, int]:
    """The counters' rows added up (each row's ``m``: metric → amount)."""
    total: dict[str, int] = {}
    for r in rows:
        for k, v in (r.get("m") or {}).items():
            total[k] = total.get(k, 0) + v
    return total
