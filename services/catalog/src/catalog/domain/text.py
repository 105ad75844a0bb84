"""How Vietnamese people type a search, and how the catalogue is indexed to meet it. Pure functions.

- Diacritics are optional both ways: ``dang ky tam tru`` and ``Đăng ký tạm trú`` give the same words.
- Spelling variants are one word: ``y``/``i`` after a consonant (``ký``/``kí``, ``lý``/``lí``,
  ``quy``/``qui``).
- Abbreviations citizens use (BHXH, CCCD, GPLX, ĐKKD...) and colloquial names (sổ đỏ, hộ khẩu) expand to
  the words the catalogue uses, on both sides (query and index), so either form finds the other.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dvckit.vn import unaccented

_NON_WORD = re.compile(r"[^0-9a-z]+")
_CODE = re.compile(r"^\d\.\d{6}$")

# Folded abbreviation → folded expansion, spelt as words() leaves them (ký is "ki": an expansion
# "dang ky" would never meet the indexed "dang ki"). Longer expansions first is not needed: they are
# whole words.
ABBREVIATIONS: dict[str, str] = {
    "bhxh": "bao hiem xa hoi",
    "bhyt": "bao hiem y te",
    "bhtn": "bao hiem that nghiep",
    # Căn cước công dân became "thẻ căn cước" in the 2024 Law on Identification; procedures use the new name.
    "cccd": "can cuoc",
    "cmnd": "chung minh nhan dan",
    "gplx": "giay phep lai xe",
    "tncn": "thu nhap ca nhan",
    "tndn": "thu nhap doanh nghiep",
    "tnhh": "trach nhiem huu han",
    "dkkd": "dang ki kinh doanh",
    "gcn": "giay chung nhan",
    "qsdd": "quyen su dung dat",
    "gcnqsdd": "giay chung nhan quyen su dung dat",
    "hkd": "ho kinh doanh",
    "htx": "hop tac xa",
    "dn": "doanh nghiep",
    "mst": "ma so thue",
    "gtgt": "gia tri gia tang",
    "xnc": "xuat nhap canh",
    "ubnd": "uy ban nhan dan",
    "lltp": "li lich tu phap",
    "pccc": "phong chay chua chay",
    "atvstp": "an toan ve sinh thuc pham",
    "attp": "an toan thuc pham",
    "gpxd": "giay phep xay dung",
    "dkx": "dang ki xe",
    "tthc": "thu tuc hanh chinh",
}
# Everyday names for what the catalogue calls otherwise (folded and spelt the same way).
COLLOQUIAL: dict[str, str] = {
    "so do": "giay chung nhan quyen su dung dat",
    "so hong": "giay chung nhan quyen so huu nha o",
    "nhap ho khau": "dang ki thuong tru",
    "dang ki ho khau": "dang ki thuong tru",
    "ho khau": "thuong tru",
    "giay xac nhan doc than": "giay xac nhan tinh trang hon nhan",
    "xac nhan doc than": "xac nhan tinh trang hon nhan",
    "lam can cuoc": "cap can cuoc",
    "giay khai sinh": "khai sinh",
    "bang lai": "giay phep lai xe",
    "bang lai xe": "giay phep lai xe",
    "ho chieu": "ho chieu pho thong",
}


def strip_marks(text: str) -> str:
    """Lower case without diacritics; đ becomes d (``dvckit.vn.unaccented``, lower case)."""
    return unaccented(text).lower()


@lru_cache(maxsize=65536)
def variant(word: str) -> str:
    """One spelling for the forms people use interchangeably (ky/ki, ly/li, quy/qui, my/mi)."""
    if len(word) > 1 and word.endswith("y") and (word[-2] not in "aeiouy" or word.endswith("quy")):
        return word[:-1] + "i"
    return word


# Words that carry no meaning in a search box ("thủ tục làm ... như thế nào ở đâu").
QUERY_FILLER = (
    "nhu the nao",
    "o dau",
    "ho so",
    "thu tuc",
    "la gi",
    "can gi",
    "truc tuyen",
    "the nao",
    "cho con",
    "cho be",
    "cho tre",
)
# Words that make a procedure a variant of another (re-issue, exchange, renew, cancel...): when the query
# does not say one of them, the base procedure is what was meant.
VARIANT_MARKERS = (
    "lai",
    "doi",
    "xoa",
    "huy",
    "gia han",
    "cham dut",
    "thu hoi",
    "dinh chinh",
    "bo sung",
    "tam dung",
)


def markers(folded_words: list[str]) -> frozenset[str]:
    """The variant markers among ``folded_words``."""
    text = f" {' '.join(folded_words)} "
    return frozenset(m for m in VARIANT_MARKERS if f" {m} " in text)


QUERY_STOPWORDS = frozenset("lam xin muon cach toi minh online nop cac nhung cua va de ve".split())


@lru_cache(maxsize=100_000)
def _token_words(token: str) -> tuple[str, ...]:
    """The folded words of one whitespace-free token, variants unified, abbreviations expanded.
    Remembered: the catalogue uses a few thousand distinct tokens, and folding them one character at a
    time was most of the cost of building the index."""
    out: list[str] = []
    for w in _NON_WORD.split(strip_marks(token)):
        if w:
            v = variant(w)
            out.extend(ABBREVIATIONS.get(v, v).split())
    return tuple(out)


def words(text: str, *, query: bool = False) -> list[str]:
    """Folded words of a text, variants unified, abbreviations expanded. Everyday names are added to
    an indexed text and replace themselves in a query; a query also loses its filler words."""
    # Folding works token by token (diacritics never join across whitespace), so each token's words
    # are looked up once.
    out: list[str] = []
    for token in text.split():
        out.extend(_token_words(token))
    joined = " ".join(out)
    for phrase, replacement in COLLOQUIAL.items():
        if phrase in joined:
            joined = re.sub(rf"\b{phrase}\b", replacement if query else f"{phrase} {replacement}", joined)
    result = joined.split()
    if query:
        for filler in QUERY_FILLER:
            joined = re.sub(rf"\b{filler}\b", " ", joined)
        kept = [w for w in joined.split() if w not in QUERY_STOPWORDS]
        result = kept or result  # a query of filler words only is searched as it is
    return result


def search_key(text: str) -> str:
    """The indexed words of a text in one string (``Thủ tục đăng ký kết hôn`` → ``thu tuc dang ki ket
    hon``): what the index stores and a search meets. Not ``dvckit.vn.fold``, which only lowers the
    case and drops the diacritics."""
    return " ".join(words(text))


def looks_like_code(query: str) -> bool:
    return bool(_CODE.match(query.strip()))


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1, an adjacent transposition counting as one (a typo)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=100_000)
def plain_words(text: str) -> tuple[str, ...]:
    """Folded words of ``text``, variants unified, nothing expanded: what the search vocabulary
    (``domain.vocabulary``) matches its terms against."""
    return tuple(variant(w) for w in _NON_WORD.split(strip_marks(text)) if w)


@lru_cache(maxsize=100_000)
def marked_words(text: str) -> frozenset[str]:
    """Lower-case words of ``text`` with their diacritics, for the words a query typed with them."""
    return frozenset(w for w in re.split(r"\W+", text.lower()) if w)


def folded(text: str) -> list[str]:
    """Folded words of ``text``, variants unified, abbreviations expanded; no everyday names, no filler
    dropped (the vocabulary's own expansions)."""
    return [w for token in text.split() for w in _token_words(token)]
