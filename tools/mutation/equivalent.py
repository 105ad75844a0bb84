"""Mutants that cannot change what the code does, left out of the score, each with the reason.

A rule names the domain file (the end of its path; empty for every file), the mutated line (a regular
expression searched in the stripped source line), the mutation (a regular expression searched in its
description, as ``--list`` prints it) and, optionally, the keyword argument the mutated value is given
as, the scope it is in (function or class, dotted, or the module-level name assigned) and the source
of the expression it is part of. Keep this list short: a mutant belongs here only when no test could
tell it apart from the original, never because a test is hard to write. ``--list`` shows what each rule
takes out.

Never mutated at all (not counted either way): docstrings, imports, and type annotations outside class
bodies (with ``from __future__ import annotations`` they are strings nothing reads at run time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    file: str
    line: str
    mutation: str
    reason: str
    keyword: str | None = None
    scope: str | None = None  # a regular expression matched in full against the mutant's scope
    context: str | None = None  # a regular expression searched in the parent expression's source

    def matches(self, m) -> bool:
        return (
            m.file.endswith(self.file)
            and re.search(self.line, m.source_line) is not None
            and re.search(self.mutation, m.description) is not None
            and (self.keyword is None or m.keyword == self.keyword)
            and (self.scope is None or re.fullmatch(self.scope, m.scope) is not None)
            and (self.context is None or re.search(self.context, m.context) is not None)
        )


EQUIVALENT: list[Rule] = [
    Rule(
        "",
        "",
        "",
        "the text of a pydantic Field(description=...): documentation in the OpenAPI schema, no rule",
        keyword="description",
    ),
    # -- auth ------------------------------------------------------------------------------------------
    Rule(
        "auth/domain/identity.py",
        r"^LoginField = Literal\[",
        "",
        "LoginField is only used in return annotations, which are strings at run time (postponed "
        "annotations): nothing validates against it",
    ),
    Rule(
        "auth/domain/policy.py",
        "",
        r"^remove element \d+ \('[^']{1,11}'\)$|^'[^']{1,11}' -> ",
        "an entry shorter than MIN_LENGTH (12): check_password refuses such a password for its length "
        "before it looks at the list, so the entry (or a made-up XX...XX password put in its place) decides "
        "nothing; see the report: only 'dichvucong123' of the 27 entries is long enough to matter",
        scope="VIETNAMESE_COMMON",
    ),
    # -- catalog -----------------------------------------------------------------------------------------
    Rule(
        "catalog/domain/text.py",
        r"^@lru_cache\(maxsize=65536\)$",
        "",
        "the size of a cache of a pure function: memory and speed, never a result",
    ),
    Rule(
        "catalog/domain/text.py",
        "",
        r"^'aeiouy' -> ",
        "variant() is given folded words (a-z and digits): the capital X the mutant adds to the vowels "
        "never occurs in one",
        scope="variant",
    ),
    Rule(
        "catalog/domain/text.py",
        r"^if la > lb:$",
        r"^> -> >=$",
        "la == lb has returned above, so la > lb and la >= lb agree here",
        scope="within_one_edit",
    ),
    Rule(
        "catalog/domain/text.py",
        r"^if abs\(la - lb\) > 1:$",
        r"^1 -> 2$",
        "an early exit only: for lengths two apart the insertion check a[i:] == b[i + 1:] compares strings "
        "of different lengths and is False anyway",
        scope="within_one_edit",
    ),
    Rule(
        "catalog/domain/text.py",
        r"^\"bang lai xe\": \"giay phep lai xe\",$",
        "",
        "this everyday name never applies: 'bang lai', listed before it, has already replaced its first "
        "two words in every text that contains it",
        scope="COLLOQUIAL",
    ),
    # -- notify ------------------------------------------------------------------------------------------
    Rule(
        "notify/domain/messages.py",
        r'^CODE_SLOT = "\[\[CODE\]\]"$',
        "",
        "a placeholder compared only with itself: the renderer leaves it where the code goes and the sender "
        "replaces the same constant; any marker that survives the templates works alike",
    ),
    Rule(
        "notify/domain/messages.py",
        r"^keep_trailing_newline=False,$",
        "",
        "only the text after a template's last block keeps or loses its final newline, and that text is "
        "rendered and thrown away; every block is stripped",
    ),
    Rule(
        "notify/domain/messages.py",
        r"^def vn_time\(",
        r"^'vi' -> ",
        "vn_time writes Vietnamese for every language but 'en': the default's exact value is never compared",
        scope="vn_time",
    ),
    # -- submission ---------------------------------------------------------------------------------------
    Rule(
        "submission/domain/agencies.py",
        r"^commune: str \| None = None$",
        r"^\| -> &$",
        "a dataclass field's annotation, a string nothing evaluates (postponed annotations)",
        scope="Agency",
    ),
    Rule(
        "submission/domain/agencies.py",
        r'^best = \(len\(m\), "commune", group\)$',
        r"^'commune' -> ",
        "the kind of the best rule is only ever asked whether it is 'city': any other word means a commune "
        "body",
        scope="Registry.candidates",
    ),
    Rule(
        "submission/domain/applicant.py",
        r"EmailStr",
        r"^254 -> 255$",
        "email-validator (behind EmailStr) refuses an address longer than 254 characters itself",
    ),
    Rule(
        "submission/domain/files.py",
        "",
        r"^remove entry \d+ \('(pdf|jpg|png|docx|xlsx|doc|xls)'\)$",
        "the entry maps a type to itself, which is what accepted() gives a type the table does not name",
        scope="KINDS",
    ),
    Rule(
        "submission/domain/files.py",
        "",
        r"^'(pdf|jpg|png|docx|xlsx|doc|xls)' -> ",
        "the key of an entry that maps a type to itself: renamed, the type falls back to itself anyway",
        scope="KINDS",
        context=r"^\{'pdf': frozenset\(",
    ),
    Rule(
        "submission/domain/files.py",
        r'lstrip\("\."\)',
        r"^'\.' -> 'XX\.XX'$",
        "lstrip() takes a set of characters: the mutant adds a capital X, which a lower-cased type never "
        "starts with",
        scope="accepted",
    ),
    Rule(
        "submission/domain/files.py",
        r"^SNIFF_BYTES = 8192$",
        r"^8192 -> 8193$",
        "filetype reads at most 8192 bytes of what it is given (filetype.utils._NUM_SIGNATURE_BYTES): "
        "one byte more is never looked at",
    ),
]
