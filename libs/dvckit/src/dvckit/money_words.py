"""An amount of đồng in Vietnamese words, as receipts write it ("Số tiền bằng chữ"). Pure.

    vnd_in_words(125_000)    → "Một trăm hai mươi lăm nghìn đồng"
    vnd_in_words(1_005_000)  → "Một triệu không trăm linh năm nghìn đồng"

The usual written reading: groups of three digits named nghìn, triệu, tỷ (and nghìn tỷ, triệu tỷ … above
a thousand billion, as a tỷ of tỷ is read); a group after a larger one that has no hundreds says "không
trăm"; a zero ten before a unit is "linh" (105: "một trăm linh năm"); after the tens a 1 is "mốt" (21:
"hai mươi mốt", but 11 "mười một"), a 5 "lăm" (15, 25), a 4 "tư" (24: "hai mươi tư", but 14 "mười bốn");
a group of three zeros is left out (1,000,005: "một triệu không trăm linh năm")."""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", " nghìn", " triệu")  # then tỷ: a billion counts again from one
BILLION = 1_000_000_000


def _tens_units(n: int) -> list[str]:
    """0 < n < 100, without hundreds before it."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return [DIGITS[units]]
    words = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if units == 1 and tens > 1:
        words.append("mốt")
    elif units == 4 and tens > 1:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def _group(n: int, full: bool) -> list[str]:
    """0 < n < 1000; ``full``: a larger group came before, so the hundreds are said even when zero."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
        if 0 < rest < 10:
            return [*words, "linh", DIGITS[rest]]
    return words + (_tens_units(rest) if rest else [])


def _below_billion(n: int, full: bool) -> list[str]:
    """0 < n < 10⁹, in groups of three digits."""
    words: list[str] = []
    for level in (2, 1, 0):
        part = n // 1000**level % 1000
        if part:
            words += _group(part, full or bool(words))
            if GROUPS[level]:
                words.append(GROUPS[level].strip())
    return words


def number_words(n: int, *, full: bool = False) -> list[str]:
    """The words of a whole number ≥ 0 (lower case), billions read as tỷ of the number above them."""
    if n < 0:
        raise ValueError("a negative amount")
    if n == 0:
        return [DIGITS[0]]
    high, low = divmod(n, BILLION)
    words: list[str] = []
    if high:
        words += [*number_words(high, full=full), "tỷ"]
    if low:
        words += _below_billion(low, full or bool(high))
    return words


def vnd_in_words(amount: int) -> str:
    """``amount`` đồng in words, the first letter a capital: "Bảy nghìn đồng"."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("an amount of đồng is a whole number")
    text = " ".join([*number_words(amount), "đồng"])
    return text[0].upper() + text[1:]
