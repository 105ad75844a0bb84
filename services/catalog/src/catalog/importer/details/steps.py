"""Steps (``trinh_tu_thuc_hien``): "Bước 1 … Bước 2 …", or one step a line. Pure."""

from __future__ import annotations

import re

from ..text import clean, clean_block, is_missing

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
