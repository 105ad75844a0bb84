"""Dataset B: detailed records (``chatbot_tthc/raw/<ministry>/<code>.json``).

The portal's HTML tables were flattened into text with the cells run together; this module recovers
the structure: dossier components, channels with times and fees, steps, legal basis, results.
Every function here is pure (text in, model objects out).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.domain.model import ChannelInfo, Component, Duration, Fee, LegalDoc, ResultDoc

from .agencies import levels_from_agencies, levels_from_cap, split_agencies
from .text import block, clean, clean_block, is_missing, nfc, value

RAW_DIR = Path("chatbot_tthc") / "raw"
CODE_RE = re.compile(r"^\d\.\d{6}$")
INTERNAL_PREFIXES = ("5.", "6.")  # TTHC nội bộ: not for citizens

MINISTRY_BY_FOLDER = {
    "bo-cong-an": "Bộ Công an",
    "bo-nong-nghiep-mt": "Bộ Nông nghiệp và Môi trường",
    "bo-tai-chinh": "Bộ Tài chính",
    "bo-tu-phap": "Bộ Tư pháp",
    "bo-xay-dung": "Bộ Xây dựng",
    "ngan-hang-nha-nuoc": "Ngân hàng Nhà nước Việt Nam",
    "toa-an-nhan-dan": "Tòa án nhân dân tối cao",
}


def is_internal(code: str) -> bool:
    return code.startswith(INTERNAL_PREFIXES)


# --------------------------------------------------------------------------------------------------
# Corrupt records: the crawler landed on another procedure's page.

_PAGE_CODE = re.compile(r"Mã thủ tục\s*(\d\.\d{6})")


def page_code(raw_text: str | None) -> str | None:
    """The code printed on the crawled page ("…Mã thủ tục1.004194Số quyết định…")."""
    m = _PAGE_CODE.search(nfc(raw_text))
    return m.group(1) if m else None


def is_corrupt(record: dict[str, Any]) -> bool:
    """The page's own code differs from the record's code: the details belong to another procedure."""
    code = clean(record.get("ma_thu_tuc"))
    found = page_code(record.get("raw_text"))
    return found is not None and found != code


# --------------------------------------------------------------------------------------------------
# Dossier components (thành phần hồ sơ)

_TABLE_HEADER = re.compile(r"Tên giấy tờ\s*Mẫu đơn,\s*tờ khai\s*Số lượng")
_COUNT = re.compile(r"(\d+) ?bản (chính|sao)(?: ?, ?(\d+) ?bản (chính|sao))?")
# What may follow a count that ends an item: the next item starts right away (no separator).
_CONTINUES = re.compile(r"[\s.,;:/]")
_FORM_EXT = re.compile(r"\.(docx|doc|pdf|xlsx|xls)$", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[-+*•–·]+|[a-zđ]\)(?=\s)|\d{1,2}[.)](?=\s))\s*")
_OPTIONAL = re.compile(
    r"nếu có|\(trường hợp|^(?:đối với |trong )?trường hợp|^đối với\b|không bắt buộc|\(nếu\b", re.IGNORECASE
)
_MAX_FORM_LEN = 150


def component_id(code: str, name: str, group: str | None) -> str:
    """Stable across imports: first 12 hex digits of sha1(code|name|group)."""
    key = f"{code}|{clean(name)}|{clean(group)}"
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def _heading(text: str) -> str | None:
    """A case heading ("* Giấy tờ phải nộp:"), without bullets, "--" placeholders and the colon."""
    heading = clean(text).strip(" -*+•:;.")
    heading = re.sub(r"^-+", "", heading).strip()
    return heading or None


def _is_camel_boundary(s: str, i: int) -> bool:
    """s[i-1] lower-case and s[i] upper-case or a digit, next to Vietnamese (non-ASCII) letters:
    "…khoáng sảnMau 07.doc", "…thống nhấtMẫu TP-LS-02.docx", "…theo mẫuMuTkhaixaK.docx" (at "Mu",
    not at "K"). Case changes far from any Vietnamese letter are inside a file name
    ("MuCT01banhnhkm…", "MauKX1079", "NA1 tr6")."""
    prev, cur = s[i - 1], s[i]
    if not (prev.isalpha() and prev.islower() and (cur.isupper() or cur.isdigit())):
        return False
    return any(not ch.isascii() and ch.isalpha() for ch in s[max(0, i - 3) : i + 3])


def _after_doc_number(s: str, i: int) -> bool:
    """s[:i] ends with a document number ("…Nghị định số 183/2025/NĐ-CPMus05.docx")."""
    m = re.search(r"/\d{4}/([A-ZĐ0-9-]+)$", s[max(0, i - 40) : i])
    return bool(m) and re.split(r"[-/]", m.group(1))[-1] in _ISSUERS


def _sentence_end(before: str, cur: str, mark: str) -> bool:
    """Whether "<before><mark><cur>" ends a sentence rather than sits inside a number or a file name
    ("Bộ Công an.NA5.doc" and "(Mẫu số 03).Mẫu" do; "Mus05.NDD.2018.doc" and "loại 1,2,3.docx" do not)."""
    if before == ")":
        return True
    if mark == ",":
        return before.isalpha() and cur.isdigit()
    if cur.isalpha():
        return before.isalpha()
    return before.isalpha() and before.islower()


_FORM_WORD = re.compile(
    r"(?:Mẫu|Mau|mẫu|mau|MẪU|MAU|Phụ lục|Phu luc|PHỤ LỤC|Tờ khai|To khai|Biểu mẫu|Phiếu)\b"
)
_AFTER_EXT = re.compile(r"\.(?:docx|doc|pdf|xlsx|xls)$", re.IGNORECASE)


def _boundary(s: str, i: int) -> int:
    """0: no file name starts at ``s[i]``; 2: one clearly does (after ";", after another file name,
    after a document number); 1: one may (after a sentence end, at a case change, before "Mẫu")."""
    prev, cur = s[i - 1], s[i]
    if cur.isspace():
        return 0
    if prev == ";" or _after_doc_number(s, i):
        return 2
    if (cur.isupper() or cur.isdigit()) and _AFTER_EXT.search(s, 0, i):
        return 2
    if prev == ")" and cur.isalnum():
        return 1
    if prev in ".:," and cur.isalnum() and i >= 2 and _sentence_end(s[i - 2], cur, prev):
        return 1
    if _is_camel_boundary(s, i):
        return 1
    if not prev.isspace() and prev not in "-_(" and _FORM_WORD.match(s, i):
        return 1
    return 0


def _form_start(s: str, end: int) -> int:
    """Where the form file name that ends at ``end`` starts. The name cell and the form cell run
    together, so take the nearest boundary going left: after ";", after another file name or a
    document number, after a sentence end ("." or ")" after a word), at a lower→upper case change
    next to Vietnamese letters, or before a glued "Mẫu"/"Mau"/"Phụ lục" ("…NĐ-CPmau so 09.docx").
    A weak boundary before a lower-case letter ("Thuyet minh.dang ky….docx") gives way to a clear
    one a little further left."""
    lo = max(1, end - _MAX_FORM_LEN)
    for i in range(end - 1, lo - 1, -1):
        kind = _boundary(s, i)
        if kind == 2 or (kind == 1 and not s[i].islower()):
            return i
        if kind == 1:
            for j in range(i - 1, max(lo, i - 40) - 1, -1):
                if _boundary(s, j) == 2:
                    return j
            return i
    # No boundary: the last whitespace-free run, with a " (1)" download suffix.
    m = re.search(r"\S+(?:\s\(\d+\))?$", s[:end])
    return m.start() if m else end


def split_forms(text: str) -> tuple[str, list[str]]:
    """Strip the trailing template file names (".doc/.docx/.pdf/.xls/.xlsx") off a component's text."""
    forms: list[str] = []
    rest = text.rstrip()
    while True:
        m = _FORM_EXT.search(rest)
        if not m:
            break
        start = _form_start(rest, m.start())
        form = clean(rest[start:])
        if not form or form.startswith(".") or (start == 0 and forms):
            break
        forms.append(form)
        rest = rest[:start].rstrip()
        if not rest:
            break
    forms.reverse()
    return rest, forms


def _counts(m: re.Match[str]) -> tuple[str, int, int]:
    """(digits that belong to the name, originals, copies) of one count. A number glued to the end
    of a form number ("BM.NCC.20.031 bản chính") keeps only its last digit as the count."""
    first, spill = m.group(1), ""
    if len(first) > 1 and (first.startswith("0") or int(first) > 50):
        spill, first = first[:-1], first[-1]
    originals = copies = 0
    for num, kind in ((first, m.group(2)), (m.group(3), m.group(4))):
        if num is None:
            continue
        if kind == "chính":
            originals = max(originals, int(num))
        else:
            copies = max(copies, int(num))
    return spill, originals, copies


@dataclass
class _Item:
    start: int
    end: int  # end of the name text (start of the count)
    spill: str
    originals: int
    copies: int


def _split_items(chunk: str) -> tuple[list[_Item], str]:
    """Items of one table (text ending with a count each) and the text after the last item."""
    items: list[_Item] = []
    start = 0
    for m in _COUNT.finditer(chunk):
        after = chunk[m.end() : m.end() + 1]
        if after and _CONTINUES.match(after):
            continue  # "… nộp 02 bản chính tờ khai …": a count inside the text
        spill, originals, copies = _counts(m)
        name = chunk[start : m.start()] + spill
        if items and not re.search(r"\w", name):
            # "…: 01 bản chính1 bản chính": the first count was part of the previous item's text
            prev = items[-1]
            prev.end, prev.spill, prev.originals, prev.copies = m.start(), spill, originals, copies
        else:
            items.append(_Item(start, m.start(), spill, originals, copies))
        start = m.end()
    return items, chunk[start:]


def _clean_name(text: str) -> str:
    name = clean(text).lstrip(") ")
    while True:
        stripped = _BULLET.sub("", name).strip()
        if stripped == name:
            break
        name = stripped
    return name.lstrip(" ;,").rstrip(" ;,.")


def is_optional(name: str) -> bool:
    """ "(nếu có)", "Trường hợp …", "Đối với …" in the component's first clause (a long text may say
    "nếu có" about one of its details)."""
    first = re.split(r"[;:]|\.\s", name, maxsplit=1)[0]
    return bool(_OPTIONAL.search(first))


_NOTE = re.compile(r"^\W*(?:lưu ý|ghi chú|chú ý|ví dụ)\b", re.IGNORECASE)


def _is_note(name: str, group: str | None, originals: int, copies: int) -> bool:
    """A remark in the table rather than a document: no count, and headed or placed under "Lưu ý",
    "Ghi chú", "Ví dụ" ("*Lưu ý: - Trường hợp … 0 bản chính")."""
    return originals + copies == 0 and bool(_NOTE.match(name) or (group and _NOTE.match(group)))


def parse_dossier(code: str, text: str | None) -> tuple[list[Component], list[str]]:
    """``thanh_phan_ho_so`` → (components, notes). Tables look like
    ``<heading>Tên giấy tờMẫu đơn, tờ khaiSố lượng<name>[<form file>]1 bản chính<name>…``; the text
    between the last count of a table and the next table's header is that table's heading. Rows that
    are remarks ("Lưu ý: …" without a count) are returned as notes, not components."""
    text = nfc(text)
    if is_missing(text):
        return [], []
    parts = _TABLE_HEADER.split(text)
    if len(parts) == 1:
        parts = ["", text]
    heading = _heading(parts[0])
    out: list[Component] = []
    notes: list[str] = []
    ids: set[str] = set()
    for chunk in parts[1:]:
        items, rest = _split_items(chunk)
        for item in items:
            raw = chunk[item.start : item.end] + item.spill
            name_text, forms = split_forms(nfc(raw))
            name = _clean_name(name_text) or (forms[0] if forms else "")
            if not name:
                continue
            if _is_note(name, heading, item.originals, item.copies):
                if name not in notes:
                    notes.append(name)
                continue
            base = component_id(code, name, heading)
            cid, n = base, 1
            while cid in ids:
                n += 1
                cid = f"{base}{n}"
            ids.add(cid)
            out.append(
                Component(
                    id=cid,
                    name=name,
                    group=heading,
                    originals=item.originals,
                    copies=item.copies,
                    required=not is_optional(name) and (item.originals + item.copies) > 0,
                    forms=forms,
                )
            )
        heading = _heading(rest)
    return out, notes


def parse_components(code: str, text: str | None) -> list[Component]:
    """``thanh_phan_ho_so`` → components (see ``parse_dossier``)."""
    return parse_dossier(code, text)[0]


NOTES_HEADING = "Lưu ý về thành phần hồ sơ:"


def conditions_with_notes(conditions: str | None, notes: list[str]) -> str | None:
    """``yeu_cau_dieu_kien`` followed by the dossier table's remarks, so that they are not lost."""
    parts = [conditions] if conditions else []
    if notes:
        parts.append("\n".join([NOTES_HEADING, *(f"- {n}" for n in notes)]))
    return "\n".join(parts) or None


# --------------------------------------------------------------------------------------------------
# Channels, times and fees (cách thức thực hiện)

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


# --------------------------------------------------------------------------------------------------
# Steps, legal basis, results

_STEP = re.compile(r"(?:^|(?<=[\s.;:)\-+*]))(?:[-+*•]\s*)?Bước\s*\d+\s*[:.\-)]?", re.IGNORECASE)
_STEP_TAIL = re.compile(r"(?:\s*(?:[-+*•]|[a-zđ]\)|\d{1,2}[.)]))+\s*$")


def parse_steps(text: str | None) -> list[str]:
    """``trinh_tu_thuc_hien`` → steps: split on "Bước N"; without those markers, one step a line."""
    if is_missing(text):
        return []
    text = clean_block(text)
    marks = list(_STEP.finditer(text))
    if not marks:
        return [line for line in (clean(x).strip(" -+*•") for x in text.split("\n")) if len(line) > 1]
    pieces = []
    pre = text[: marks[0].start()]
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        pieces.append(text[m.start() : end])
    steps = []
    pre = _STEP_TAIL.sub("", pre).strip(" -+*•:\n")
    if len(pre) > 3:
        steps.append(clean_block(pre))
    for piece in pieces:
        piece = _STEP_TAIL.sub("", piece).strip()
        if piece:
            steps.append(clean_block(piece))
    return steps


_LEGAL_HEADER = re.compile(r"^\s*Tên văn bản pháp lý\s*Mã văn bản")
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_DOC_NUMBER = re.compile(
    rf"\d+(?:\.\d+)?/\d{{4}}/(?:[{_UPPER}0-9]+-)*(?:QH\d{{2}}|UBTVQH\d{{2}}|TTg|[{_UPPER}]+)"
)
# Issuer abbreviations that end a document number ("…/TT-BCA", "…/NĐ-CP"): used to tell whether an
# upper-case letter glued to the number belongs to it or starts the next title ("…NĐ-CPNghị định …").
_ISSUERS = {
    "CP",
    "BCA",
    "BTC",
    "BTP",
    "BXD",
    "NHNN",
    "BGTVT",
    "BNNMT",
    "BNNPTNT",
    "BTNMT",
    "BKHĐT",
    "BLĐTBXH",
    "BYT",
    "BCT",
    "BQP",
    "BNG",
    "BNV",
    "BGDĐT",
    "BVHTTDL",
    "BTTTT",
    "BKHCN",
    "VPCP",
    "UBND",
    "HĐND",
    "TANDTC",
    "VKSNDTC",
    "KTNN",
    "BDTTG",
    "UBDT",
    "TTCP",
    "HĐTP",
    "CTN",
    "UBTVQH",
    "TLĐ",
    "NHCS",
}


def _is_lower(ch: str) -> bool:
    return ch.isalpha() and ch.islower()


_TITLE_WORD = re.compile(
    r"(?:Thông|Nghị|Luật|LUẬT|Bộ|Quyết|Văn|Pháp|Chỉ|Hiến|Công|Quy|QUY|Sửa|Hướng|Danh|Lệnh|Điều|Kế|Chương)"
)


def _number_end(text: str, m: re.Match[str]) -> int:
    """End of a document number, moving back over an upper-case letter that starts the next title
    ("…/NĐ-CPNghị định …" → "…/NĐ-CP"), but not over the end of an issuer ("…/TT-BCAngày …")."""
    end, number = m.end(), m.group(0)
    if end < len(text) and _is_lower(text[end]) and number[-1].isupper():
        tail = re.split(r"[-/]", number)[-1]
        if tail[:-1] in _ISSUERS or (tail not in _ISSUERS and _TITLE_WORD.match(text, end - 1)):
            return end - 1
    return end


_TITLE_CONTINUES = {"ngày", "của", "và", "tại", "theo"}
_GLUED_WORD = re.compile(r"(/\d{4}/[A-ZĐ0-9-]*[A-ZĐ0-9])(?=(?:ngày|của|và|tại|theo)\b)")


def _number_start(m: re.Match[str]) -> int:
    """Start of a document number, after a year glued to it ("Luật Cư trú 202068/2020/QH14")."""
    lead = m.group(0).split("/", 1)[0]
    if len(lead) >= 5 and lead[:4].isdigit() and 1945 <= int(lead[:4]) <= 2035:
        return m.start() + 4
    return m.start()


def _row_end(text: str, end: int) -> bool:
    """A document number ending at ``end`` ends a row when the next title follows directly: not after
    a space or punctuation, and not a word that continues a title ("…/TT-BCAngày 01/7/2025")."""
    after = text[end : end + 1]
    if not after:
        return True
    if after.isspace() or after in ".,;:)":
        return False
    if _is_lower(after):
        word = re.match(r"[^\W\d_]+", text[end:])
        return bool(word) and word.group(0) not in _TITLE_CONTINUES
    return True


def parse_legal_basis(text: str | None) -> list[LegalDoc]:
    """``can_cu_phap_ly`` → documents. Rows are ``<title><number>`` run together; a row ends at a number
    that is followed directly by the next title (see ``_row_end``). "Thông tư số 39/2015/TT-BTC"
    followed by its number column "39/2015/TT-BTC" is one row."""
    text = nfc(text)
    if is_missing(text):
        return []
    text = _LEGAL_HEADER.sub("", text)
    found = [(_number_start(m), _number_end(text, m)) for m in _DOC_NUMBER.finditer(text)]
    docs: list[LegalDoc] = []
    seen: set[str] = set()
    start = 0
    for i, (s_, e_) in enumerate(found):
        number = text[s_:e_]
        nxt = found[i + 1] if i + 1 < len(found) else None
        if nxt and nxt[0] == e_ and text[nxt[0] : nxt[1]] == number:
            continue  # the number inside the title, glued to the same number in the number column
        if not _row_end(text, e_):
            continue
        title = _GLUED_WORD.sub(r"\1 ", clean(text[start:s_]).strip(" ;,-")) or number
        start = e_
        key = number.casefold()
        if key in seen:
            continue
        seen.add(key)
        docs.append(LegalDoc(number=number, title=title))
    tail = clean(text[start:]).strip(" ;,-")
    if tail and re.search(r"\w{3}", tail) and not is_missing(tail):
        docs.append(LegalDoc(number=None, title=tail))
    return docs


_RESULT_UI = re.compile(r"Từ khóa|Chọn cơ quan thực hiện")
_RESULT_CODE = re.compile(r"Mã:\s*(KQ(?:\.[A-Z]*\d+)+)")


def parse_results(text: str | None) -> list[ResultDoc]:
    """``ket_qua_xu_ly`` → results ("<name>Mã: KQ.G01.000067…"), without the portal's UI text."""
    text = nfc(text)
    cut = _RESULT_UI.search(text)
    if cut:
        text = text[: cut.start()]
    if is_missing(text):
        return []
    out: list[ResultDoc] = []
    start = 0
    for m in _RESULT_CODE.finditer(text):
        name = clean(text[start : m.start()]).strip(" .-+*•;")
        if name:
            out.append(ResultDoc(name=name, code=m.group(1)))
        start = m.end()
    tail = clean(text[start:]).strip(" .-+*•;")
    if tail and not is_missing(tail):
        out.append(ResultDoc(name=tail))
    return out


# --------------------------------------------------------------------------------------------------
# One record


@dataclass
class DetailRecord:
    code: str
    name: str | None
    field: str | None
    ministry: str | None
    agencies: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    channels: list[ChannelInfo] = field(default_factory=list)
    processing_time: Duration | None = None
    fees: list[Fee] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    legal_basis: list[LegalDoc] = field(default_factory=list)
    results: list[ResultDoc] = field(default_factory=list)
    conditions: str | None = None
    audience: str | None = None
    decision: str | None = None

    @property
    def online(self) -> bool:
        return any(ch.kind == "online" for ch in self.channels)

    @property
    def detailed(self) -> bool:
        return bool(self.components) and self.processing_time is not None and bool(self.fees)


# Declarations filed with the tax and customs authorities have no processing deadline: the portal shows a
# placeholder number there, which must not become "1 working day".
DECLARATION_FIELDS = frozenset({"Thuế", "Hải quan"})


def parse_record(raw: dict[str, Any], folder: str | None = None) -> DetailRecord:
    code = clean(raw.get("ma_thu_tuc"))
    agencies = split_agencies(raw.get("co_quan_thuc_hien"))
    if not agencies:  # empty or "Không có thông tin": the competent agency instead
        agencies = split_agencies(raw.get("co_quan_co_tham_quyen"))
    levels = levels_from_cap(raw.get("cap_thuc_hien")) or levels_from_agencies(agencies)
    rows = split_channel_rows(
        raw.get("cach_thuc_thuc_hien"), (raw.get("trinh_tu_thuc_hien"), raw.get("yeu_cau_dieu_kien"))
    )
    if value(raw.get("linh_vuc")) not in DECLARATION_FIELDS:
        for row in rows:
            if row.time_value is not None and row.time_unit is None:
                # Nothing in the record gives the unit: TTHC deadlines are set in working days (Decree
                # 118/2025), which is the portal's unit when it shows one for these same procedures.
                row.time_unit = "working_day"
    channels = build_channels(rows)
    components, notes = parse_dossier(code, raw.get("thanh_phan_ho_so"))
    return DetailRecord(
        code=code,
        name=value(raw.get("ten_thu_tuc")),
        field=value(raw.get("linh_vuc")),
        ministry=MINISTRY_BY_FOLDER.get(folder or ""),
        agencies=agencies,
        levels=levels,
        channels=channels,
        processing_time=processing_time(channels),
        fees=procedure_fees(channels),
        components=components,
        steps=parse_steps(raw.get("trinh_tu_thuc_hien")),
        legal_basis=parse_legal_basis(raw.get("can_cu_phap_ly")),
        results=parse_results(raw.get("ket_qua_xu_ly")),
        conditions=conditions_with_notes(block(raw.get("yeu_cau_dieu_kien")), notes),
        audience=value(raw.get("doi_tuong_thuc_hien")),
        decision=value(raw.get("so_quyet_dinh")),
    )


@dataclass
class DetailLoad:
    records: dict[str, DetailRecord] = field(default_factory=dict)
    internal: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)


def load(source: Path) -> DetailLoad:
    """Every ``raw/<ministry>/<code>.json``, in path order; internal (5.x, 6.x) and corrupt records are
    listed, not parsed."""
    out = DetailLoad()
    root = source / RAW_DIR
    if not root.is_dir():
        return out
    for path in sorted(root.glob("*/*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        code = clean(raw.get("ma_thu_tuc"))
        if not CODE_RE.match(code):
            continue
        if is_internal(code):
            out.internal.append(code)
            continue
        if is_corrupt(raw):
            out.corrupt.append(code)
            continue
        if code not in out.records:
            out.records[code] = parse_record(raw, path.parent.name)
    return out
