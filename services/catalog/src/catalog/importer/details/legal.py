"""Legal basis (``can_cu_phap_ly``): document titles and numbers run together, told apart by the
numbers' form ("68/2020/QH14", "…/NĐ-CP"). Pure (text in, model objects out).
"""

from __future__ import annotations

import re

from catalog.domain.model import LegalDoc

from ..text import clean, is_missing, nfc

_LEGAL_HEADER = re.compile(r"^\s*Tên văn bản pháp lý\s*Mã văn bản")
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_DOC_NUMBER = re.compile(
    rf"\d+(?:\.\d+)?/\d{{4}}/(?:[{_UPPER}0-9]+-)*(?:QH\d{{2}}|UBTVQH\d{{2}}|TTg|[{_UPPER}]+)"
)
# Issuer abbreviations that end a document number ("…/TT-BCA", "…/NĐ-CP"): used to tell whether an
# upper-case letter glued to the number belongs to it or starts the next title ("…NĐ-CPNghị định …").
ISSUERS = {
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
        if tail[:-1] in ISSUERS or (tail not in ISSUERS and _TITLE_WORD.match(text, end - 1)):
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
