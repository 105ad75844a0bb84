"""Dossier components (``thanh_phan_ho_so``): the tables of documents an applicant files, with the
form files and the number of originals and copies of each. Pure (text in, model objects out).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from catalog.domain.model import Component

from ..text import clean, is_missing, nfc
from .legal import ISSUERS

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
    return bool(m) and re.split(r"[-/]", m.group(1))[-1] in ISSUERS


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


# A component the office looks up itself in a national database (Decree 104/2022, Decree 118/2025): never
# asked of the applicant online. Explicit phrases, in the component's first clause only: "khai thác" alone
# is also mining and logging; "không khai thác được …" is the case where the paper is needed after all; and
# a long text whose later clause says "… khai thác được … thì không phải nộp" names a document that is
# still asked for when the lookup fails, so it stays required.
_LOOKUP = (
    # "Thông tin chứng minh về chỗ ở hợp pháp được khai thác trong căn cước điện tử, … Cơ sở dữ liệu …"
    re.compile(r"^thông tin\b.{0,250}?\bđược khai thác (?:trong|từ|tại|trên)\b", re.IGNORECASE),
    # "Cơ quan … khai thác, sử dụng thông tin trong Cơ sở dữ liệu quốc gia về dân cư …"
    re.compile(
        r"(?<!không )(?<!thể )\bkhai thác, sử dụng thông tin\b.{0,120}?\bcơ sở dữ liệu", re.IGNORECASE
    ),
    # "… không yêu cầu công dân nộp/xuất trình …"
    re.compile(r"\bkhông yêu cầu (?:công dân|người dân)(?: phải)? (?:nộp|xuất trình)", re.IGNORECASE),
    # "… cơ quan … tự khai thác …"
    re.compile(r"\bcơ quan\b.{0,80}?\btự khai thác\b", re.IGNORECASE),
)


def is_lookup(name: str) -> bool:
    """The component's first clause says the office looks it up itself (a national database, the
    electronic ID): ``lookup: true``, and not required of the applicant."""
    first = re.split(r";|\.\s", name, maxsplit=1)[0]
    return any(p.search(first) for p in _LOOKUP)


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
                    required=not is_lookup(name)
                    and not is_optional(name)
                    and (item.originals + item.copies) > 0,
                    lookup=is_lookup(name),
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
