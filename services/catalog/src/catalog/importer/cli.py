"""``dvc-catalog-import``: build the catalogue seed from the national-portal datasets.

    dvc-catalog-import [--source DIR] [--out FILE] [--online-levels FILE]

Reads A (``govbot.procedures.json``), B (``chatbot_tthc/raw/<ministry>/<code>.json``) and C
(``congdan_raw_result.json``, ``doanhnghiep_raw_result.json``) from ``--source`` (default
``../shared/data/tthc`` next to the repository), writes ``--out`` (default
``services/catalog/src/catalog/seed/procedures.jsonl.gz``): gzip JSON Lines, one ``Procedure`` a
line, sorted by code. Idempotent: running it again on the same data writes the same bytes.

Parsing choices (see the ``details`` package, one module a parser):
- ``processing_time`` is the online channel's time when the procedure has one (what an online
  applicant waits), else the shortest time of any channel.
- A time published without a unit ("Trực tuyến5Miễn phí") takes the unit the record's own text gives
  for that number ("trong thời hạn 05 ngày làm việc"); otherwise it is read in working days (the unit
  of TTHC deadlines), except in the tax and customs fields, whose declarations have no deadline and
  where the portal's bare "1" is a placeholder: there it is left out.
- VND amounts under 1,000 are thousands of đồng ("135 VNĐ" with the note "135.000 đồng/lần").
- ``online_level`` is "partial" when the detail record lists an online channel, else "none"; the
  override file (``src/catalog/seed/online_levels.csv``) sets the procedures known to be fully online.
- Components are required unless their first clause says otherwise ("nếu có", "Trường hợp …",
  "Đối với …") or their count is zero; ids are sha1(code|name|group)[:12] (a digit suffix when a
  table lists the same name twice), so they survive re-imports. Rows of the dossier table that are
  remarks ("Lưu ý: …", "Ví dụ: …" without a count) are appended to ``conditions`` instead.
- Fees: listed once (no channel) when every channel charges the same amounts, else per channel;
  "on_submit" for the online channel, "on_result"/"on_submit" when the text says so, else
  "unspecified". A few fees are in USD (``Fee.currency``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import details, national, popularity
from .merge import merge, read_overrides, write_seed


def repo_root() -> Path:
    """The repository root: the nearest folder above this file with ``services/`` and ``pyproject.toml``."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "services").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    root = repo_root()
    parser = argparse.ArgumentParser(prog="dvc-catalog-import", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=root.parent / "shared" / "data" / "tthc",
        help="folder with the three datasets (default: %(default)s)",
    )
    seed = root / "services" / "catalog" / "src" / "catalog" / "seed"  # shipped inside the package
    parser.add_argument(
        "--out",
        type=Path,
        default=seed / "procedures.jsonl.gz",
        help="seed file to write (default: %(default)s)",
    )
    parser.add_argument(
        "--online-levels",
        type=Path,
        default=seed / "online_levels.csv",
        help="override file code,online_level,reason (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    source: Path = args.source
    if not source.is_dir():
        print(f"dvc-catalog-import: no such folder: {source}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    a_rows = national.load(source)
    b_load = details.load(source)
    c_rows = popularity.load(source)
    if not (a_rows or b_load.records or c_rows):
        print(f"dvc-catalog-import: no dataset found in {source}", file=sys.stderr)
        return 2
    procedures, summary = merge(a_rows, b_load, c_rows, read_overrides(args.online_levels))
    size = write_seed(procedures, args.out)
    elapsed = time.perf_counter() - started
    print(f"source:            {source}")
    b_count = len(b_load.records) + len(b_load.internal) + len(b_load.corrupt)
    print(f"read:              A {len(a_rows)}, B {b_count}, C {len(c_rows)} codes")
    for line in summary.lines():
        print(line)
    print(f"wrote:             {args.out} ({size:,} bytes) in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
