"""Counters summed from scratch (a rebuild, the benchmark): the same contributions as the incremental
path (fold.expand), added up by (agency, commune, field, day) first and spread over the counters' units,
fields and grains once at the end, which is many times fewer additions than spreading each dossier."""

from __future__ import annotations

from collections import defaultdict

from .fold import OPEN_ROW, Fact, contributions, counter_id


class Totals:
    def __init__(self) -> None:
        # (agency code, ward code or None, field or None, day) → metric → amount
        self.base: dict[tuple[str, str | None, str | None, str], dict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        # (agency code, ward code or None, field or None) → due day → open dossiers
        self.opened: dict[tuple[str, str | None, str | None], dict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )

    def add(self, f: Fact | None) -> None:
        if f is None:
            return
        key = (f["agency_code"], f.get("commune"), f.get("field"))
        for (d, metric), n in contributions(f).items():
            self.base[(*key, d)][metric] += n
        if f.get("d_due"):
            self.opened[key][f["d_due"]] += 1

    def counters(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (agency, commune, field, d), metrics in self.base.items():
            us = ["city", f"agency:{agency}"] + ([f"commune:{commune}"] if commune else [])
            fs = ["*", field] if field else ["*"]
            for grain, period in (("d", d), ("m", d[:7])):
                for u in us:
                    for fl in fs:
                        row = out[counter_id(u, fl, grain, period)]
                        for m, n in metrics.items():
                            row[m] += n
        for (agency, commune, field), dues in self.opened.items():
            us = ["city", f"agency:{agency}"] + ([f"commune:{commune}"] if commune else [])
            for u in us:
                for fl in ["*", field] if field else ["*"]:
                    row = out[counter_id(u, fl, *OPEN_ROW)]
                    for due, n in dues.items():
                        row[due] += n
        return {cid: {m: n for m, n in ms.items() if n} for cid, ms in out.items()}
