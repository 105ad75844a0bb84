"""Channels, times and fees (``cach_thuc_thuc_hien``): one row a way of filing (online, in person, by
post) with its processing time, its fee and a description, then one ``ChannelInfo`` a channel and the
procedure's time and fees. Pure (text in, model objects out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.domain.model import ChannelInfo, Duration, Fee

from ..text import block, clean, is_missing, nfc, value

CHANNEL_KINDS = {"Trực tuyến": "online", "Trực tiếp": "in_person", "Dịch vụ bưu chính": "postal"}
CHANNEL_ORDER = ("online", "in_person", "postal")
_ROW_START = re.compile(r"(Trực tuyến|Trực tiếp|Dịch vụ bưu chính)(?=\s?(?:\d|Không|Miễn phí))")
_ANY_CHANNEL = re.compile(r"(Trực tuyến|Trực tiếp|Dịch vụ bưu chính)")
_CHANNEL_HEADER = re.compile(r"^\s*Hình thức nộp\s*Thời gian\s*Phí, lệ phí\s*Mô tả")
UNITS = {"ngày làm việc": "working_day", "ngày": "day", "giờ": "hour", "tháng": "month"}
UNIT_LABELS = {"working_day": "Ngày làm việc", "day": "Ngày", "hour": "Giờ", "month": "Tháng"}
_TIME = re.compile(r"(\d+(?:,\d+)?)\s?(Ngày làm việc|Ngày|Giờ|Tháng)?", re.IGNORECASE)
_CURRENCY = r"Việt Nam Đồng|VNĐ|VND|Đồng|đồng|USD"
_FEE = re.compile(rf"(?:(\d[\d.,]*)\s?({_CURRENCY})|(Miễn phí)|({re.escape('Không có thông tin')}))")
_FEE_AHEAD = re.compile(rf"\d[\d.,]*\s?(?:{_CURRENCY})|Miễn phí|Không có thông tin")
_ON_RESULT = re.compile(r"khi (?:nhận|trả) kết quả|lúc (?:nhận|trả) kết quả|trước khi nhận kết quả", re.I)
_ON_SUBMIT = re.compile(r"khi nộp hồ sơ|tại thời điểm nộp hồ sơ|ngay khi nộp", re.I)


@dataclass
class ChannelRow:
    kind: str
    time_value: float | None = None
    time_unit: str | None = None  # None: published without a unit
    time_text: str | None = None
    amount: int | None = None  # None: no fee information
    currency: str = "VND"
    fee_text: str | None = None  # the amount cell as published
    fee_note: str | None = None  # the text in parentheses after the amount
    description: str | None = None


def _balanced(text: str, start: int) -> int:
    """Index after the parenthesised group that opens at ``text[start] == "("`` (or the end)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _amount(num: str) -> int:
    digits = re.sub(r"[^\d]", "", num)
    return int(digits) if digits else 0


def _parse_cells(text: str, pos: int) -> tuple[ChannelRow | None, int]:
    """Time and fee cells starting at ``pos``: returns the row (kind unset) and the end position."""
    row = ChannelRow(kind="")
    rest = text[pos:]
    # 1. a number with or without unit, then a fee
    m = _TIME.match(rest)
    if m:
        f = _FEE.match(rest, m.end())
        if f:
            row.time_value = float(m.group(1).replace(",", "."))
            row.time_unit = UNITS[m.group(2).casefold()] if m.group(2) else None
            row.time_text = clean(m.group(0))
            return _fee(row, f), pos + f.end()
    # 2. "Không có thông tin" as the time, then a fee
    if rest.startswith("Không có thông tin"):
        f = _FEE.match(rest, len("Không có thông tin"))
        if f:
            return _fee(row, f), pos + f.end()
    # 3. only a fee (empty time cell)
    f = _FEE.match(rest)
    if f:
        return _fee(row, f), pos + f.end()
    # 4. free text as the time ("Không quy định", "Không phải trả kết quả …"), then a fee
    ahead = _FEE_AHEAD.search(rest, 0, 200)
    if ahead:
        f = _FEE.match(rest, ahead.start())
        if f:
            row.time_text = clean(rest[: ahead.start()]) or None
            return _fee(row, f), pos + f.end()
    return None, pos


def _fee(row: ChannelRow, m: re.Match[str]) -> ChannelRow:
    if m.group(1):
        row.amount = _amount(m.group(1))
        row.currency = "USD" if m.group(2) == "USD" else "VND"
        row.fee_text = clean(m.group(0))
    elif m.group(3):
        row.amount = 0
        row.fee_text = "Miễn phí"
    return row


def split_channel_rows(text: str | None, context: tuple[str | None, ...] = ()) -> list[ChannelRow]:
    """``cach_thuc_thuc_hien`` → one row per table row (a channel may have several rows). ``context``:
    the record's other texts (steps, conditions), used only to find the unit of a time published
    without one."""
    text = nfc(text)
    if is_missing(text):
        return []
    header = _CHANNEL_HEADER.match(text)
    pos = header.end() if header else 0
    rows: list[ChannelRow] = []
    m = _ANY_CHANNEL.match(text, pos) or _ROW_START.search(text, pos)
    while m:
        row, end = _parse_cells(text, m.end())
        if row is None:
            row, end = ChannelRow(kind=""), m.end()
        row.kind = CHANNEL_KINDS[m.group(1)]
        if end < len(text) and text[end] == "(" and row.fee_text is not None:
            close = _balanced(text, end)
            row.fee_note = value(text[end + 1 : close - 1 if text[close - 1] == ")" else close])
            end = close
        nxt = _ROW_START.search(text, end)
        row.description = block(text[end : nxt.start() if nxt else len(text)])
        rows.append(row)
        m = nxt
    _split_glued_times(rows)
    sources = (text, *(nfc(c) for c in context if c))
    for row in rows:
        _fix_row(row, rows, sources)
    return rows


_NUM_UNIT = r"(?<![\d,.])0?{n}(?:,0+)?\s*(ngày làm việc|ngày|giờ|tháng)"
_DESC_TIME = re.compile(
    r"(?:^[-+*•\s]*|thời hạn giải quyết\s*(?:là|:)?\s*)"
    r"(?:trong thời hạn|không quá|trong vòng|tối đa)?\s*(\d+(?:,\d+)?)\s*(ngày làm việc|ngày|giờ|tháng)",
    re.IGNORECASE,
)


def _note_amounts(note: str | None) -> set[int]:
    """Amounts written in a fee's note ("100.000 đồng/lần", "20.000 vnđ/tờ khai")."""
    found = re.findall(r"(\d{1,3}(?:[.,]\d{3})+)\s?(?:đồng|đ|vnđ|VNĐ|Đồng|Đ)\b", note or "")
    return {_amount(x) for x in found}


def _split_glued_times(rows: list[ChannelRow]) -> None:
    """A time published without a unit runs into the amount ("Trực tuyến1100 VNĐ(… 100.000 đồng/lần)"
    is time "1", fee 100 thousand đồng). Split an amount without separators when its note gives the
    rest of the digits (in đồng or thousands), or when the other rows publish that unitless time."""
    for row in rows:
        if row.time_value is not None or not row.fee_text or not row.amount or row.currency != "VND":
            continue
        digits = row.fee_text.split()[0]
        if not digits.isdigit() or len(digits) < 2:
            continue  # has thousands separators: a real amount
        noted = _note_amounts(row.fee_note)
        if any(_amount(digits) == a or _amount(digits) * 1000 == a for a in noted):
            continue  # the note confirms the amount as it stands
        for cut in range(1, min(3, len(digits) - 1) + 1):
            rest = int(digits[cut:])
            if rest and (rest in noted or rest * 1000 in noted) and digits[cut] != "0":
                _glue(row, digits, cut)
                break
    unitless = {f"{r.time_value:g}" for r in rows if r.time_value is not None and r.time_unit is None}
    for row in rows:
        if row.time_value is not None or not row.fee_text or not row.amount or row.currency != "VND":
            continue
        digits = row.fee_text.split()[0]
        if not digits.isdigit():
            continue
        for t in sorted(unitless, key=len, reverse=True):
            if digits.startswith(t) and len(digits) > len(t) and digits[len(t)] != "0":
                _glue(row, digits, len(t))
                break


def _glue(row: ChannelRow, digits: str, cut: int) -> None:
    row.time_value, row.time_text = float(digits[:cut]), digits[:cut]
    row.amount = int(digits[cut:])
    row.fee_text = (row.fee_text or "")[cut:]


def _fix_row(row: ChannelRow, rows: list[ChannelRow], sources: tuple[str, ...]) -> None:
    """Repairs, each from the record's own text:
    - a time published without a unit takes the unit the texts give for that same number ("5" and
      "… trong thời hạn 05 ngày làm việc …"), or the unit of another channel with that number;
    - a row without a time takes it from its description when that states it ("07 ngày làm việc kể
      từ …", "Thời hạn giải quyết: 24 ngày làm việc");
    - an amount labelled VNĐ whose note says USD is in USD;
    - a VND amount under 1,000 is in thousands of đồng (the portal publishes "135 VNĐ" for
      135.000 đồng, as the notes show; no fee is under 1,000 đồng), unless its note gives another
      single amount, which is then taken.
    """
    if row.time_value is not None and row.time_unit is None:
        n = re.escape(f"{row.time_value:g}")
        for source in (row.description or "", row.fee_note or "", *sources):
            m = re.search(_NUM_UNIT.format(n=n), source, re.IGNORECASE)
            if m:
                row.time_unit = UNITS[m.group(1).casefold()]
                break
        else:
            for other in rows:
                if other.time_unit and other.time_value == row.time_value:
                    row.time_unit = other.time_unit
                    break
    if row.time_value is None and row.description:
        m = _DESC_TIME.search(row.description)
        if m:
            row.time_value = float(m.group(1).replace(",", "."))
            row.time_unit = UNITS[m.group(2).casefold()]
            row.time_text = clean(f"{m.group(1)} {m.group(2)}")
    if row.amount and row.currency == "VND" and row.fee_note:
        if re.search(rf"(?<![\d.,]){row.amount}\s?USD", row.fee_note):
            row.currency = "USD"
    if row.amount and row.currency == "VND" and row.amount < 1000:
        noted = _note_amounts(row.fee_note)
        if row.amount * 1000 not in noted and len(noted) == 1:
            row.amount = noted.pop()  # "40 Việt Nam Đồng(4.000 đ/giấy thông hành …)"
        else:
            row.amount *= 1000


def _duration(row: ChannelRow) -> Duration | None:
    if row.time_value is None or row.time_unit is None or row.time_value <= 0:
        return None
    text = row.time_text or ""
    if not re.search(r"[^\d,.\s]", text):  # published without a unit: show the one found
        text = f"{text} {UNIT_LABELS[row.time_unit]}"
    return Duration(value=row.time_value, unit=row.time_unit, text=text)


_FEE_NAME_CUT = re.compile(r"[:;(]|\.\s|\s[-+]\s")


def fee_name(note: str | None, amount: int) -> str:
    """A short label for a fee: "Miễn phí" when free; else the first clause of its description when
    that names something ("Đăng ký tạm trú", "Phí thẩm định …"), or "Phí, lệ phí"."""
    if amount == 0:
        return "Miễn phí"
    if note:
        text = re.sub(r"^[\s\-+*•(]+", "", note)
        m = _FEE_NAME_CUT.search(text)
        head = clean(text[: m.start()] if m else text).strip(" ,.")
        if len(head) > 100:
            head = head[:100].rsplit(" ", 1)[0] + "…"
        junk = re.fullmatch(r"(?:phí|lệ phí|đồng|vnđ|vnd|mức thu|mức phí|không|miễn phí)?", head.casefold())
        if len(head) >= 3 and not junk and not re.match(r"[\d/]", head):
            return head
    return "Phí, lệ phí"


def _fee_when(kind: str, *texts: str | None) -> str:
    joined = " ".join(t for t in texts if t)
    if _ON_RESULT.search(joined):
        return "on_result"
    if _ON_SUBMIT.search(joined) or kind == "online":
        return "on_submit"
    return "unspecified"


def _row_fee(row: ChannelRow) -> Fee | None:
    if row.amount is None:
        return None
    note = row.fee_note
    if row.currency != "VND":
        note = f"{row.fee_text}" + (f" — {note}" if note else "")
    return Fee(
        name=fee_name(row.fee_note, row.amount),
        amount=row.amount,
        currency=row.currency,
        when=_fee_when(row.kind, row.fee_note),
        note=note,
    )


def build_channels(rows: list[ChannelRow]) -> list[ChannelInfo]:
    """One ``ChannelInfo`` per channel kind: the shortest time, every distinct fee, the descriptions."""
    by_kind: dict[str, list[ChannelRow]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    out: list[ChannelInfo] = []
    for kind in CHANNEL_ORDER:
        group = by_kind.get(kind)
        if not group:
            continue
        times = [d for d in (_duration(r) for r in group) if d]
        fees: list[Fee] = []
        for r in group:
            fee = _row_fee(r)
            if fee and all(_fee_key(fee) != _fee_key(f) for f in fees):
                fees.append(fee)
        descriptions: list[str] = []
        for r in group:
            if r.description and r.description not in descriptions:
                descriptions.append(r.description)
        out.append(
            ChannelInfo(
                kind=kind,
                time=min(times, key=_duration_key) if times else None,
                fees=fees,
                description="\n".join(descriptions) or None,
            )
        )
    return out


def _fee_key(fee: Fee) -> tuple[str, int, str, str | None]:
    return (fee.name, fee.amount, fee.currency, fee.note)


def _duration_key(d: Duration) -> tuple[int, float]:
    return (d.working_days or 0, d.value)


def processing_time(channels: list[ChannelInfo]) -> Duration | None:
    """The online channel's time when there is one (what an online applicant waits), else the
    shortest time of any channel."""
    for ch in channels:
        if ch.kind == "online" and ch.time:
            return ch.time
    times = [ch.time for ch in channels if ch.time]
    return min(times, key=_duration_key) if times else None


def procedure_fees(channels: list[ChannelInfo]) -> list[Fee]:
    """Distinct fee items across channels. When every channel with fee information charges the same
    amounts they are listed once, without a channel (named and described from the channel that says
    most); otherwise each channel's items are listed with their channel."""
    with_fees = [ch for ch in channels if ch.fees]
    if not with_fees:
        return []
    amounts = [sorted((f.amount, f.currency) for f in ch.fees) for ch in with_fees]
    if all(a == amounts[0] for a in amounts):
        best = max(with_fees, key=lambda ch: sum(len(f.note or "") for f in ch.fees))
        texts = [f.note for ch in with_fees for f in ch.fees]
        when = _fee_when("", *texts) if len(with_fees) > 1 else None
        return [f.model_copy(update={"channel": None, "when": when or f.when}) for f in best.fees]
    out: list[Fee] = []
    for ch in with_fees:
        for f in ch.fees:
            item = f.model_copy(update={"channel": ch.kind})
            if item not in out:
                out.append(item)
    return out
