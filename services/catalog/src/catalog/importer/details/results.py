"""Results (``ket_qua_xu_ly``): "<name>Mã: KQ.G01.000067…", without the portal's UI text. Pure."""

from __future__ import annotations

import re

from catalog.domain.model import ResultDoc

from ..text import clean, is_missing, nfc

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
