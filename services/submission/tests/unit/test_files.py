"""Attachments: the name shown for a file, its real type from its bytes, and whether a component takes it."""

from __future__ import annotations

import io
import zipfile

import pytest

from dvckit.errors import Invalid, Text
from submission.domain.files import MIME, SNIFF_BYTES, accepted, detect, display_name


def refusal(raw) -> Text:
    with pytest.raises(Invalid) as caught:
        display_name(raw)
    return caught.value.text


# -- display names ----------------------------------------------------------------------------------------


def test_a_display_name_is_kept_in_nfc_without_surrounding_spaces():
    assert display_name("  To\u0301 khai đăng ky\u0301.pdf ") == "Tó khai đăng ký.pdf"


def test_a_name_of_200_characters_is_kept_and_201_is_too_long():
    assert display_name("a" * 196 + ".pdf") == "a" * 196 + ".pdf"
    assert refusal("a" * 197 + ".pdf") == Text("Tên tệp quá dài", "The file name is too long")


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_a_file_needs_a_name(raw):
    assert refusal(raw) == Text("Tên tệp trống", "The file has no name")


@pytest.mark.parametrize("raw", ["a/b.pdf", "..\\b.pdf", "/etc/passwd", ".", ".."])
def test_a_name_with_a_path_is_refused(raw):
    assert refusal(raw) == Text("Tên tệp không được chứa đường dẫn", "A file name must not contain a path")


def test_dots_inside_a_name_are_not_a_path():
    assert display_name("..hồ sơ..pdf") == "..hồ sơ..pdf"


@pytest.mark.parametrize(
    "raw",
    [
        "a\x00.pdf",  # Cc: control
        "a\x1b[31m.pdf",
        "a\u202e.pdf",  # Cf: right-to-left override (makes "fdp.exe" look like "exe.pdf")
        "a\u2028.pdf",  # Zl: line separator
        "a\u2029.pdf",  # Zp: paragraph separator
    ],
)
def test_a_name_with_control_characters_is_refused(raw):
    assert refusal(raw) == Text("Tên tệp chứa ký tự điều khiển", "The file name contains control characters")


# -- types -------------------------------------------------------------------------------------------------


def test_the_type_comes_from_the_bytes_not_the_name():
    assert detect(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") == "pdf"
    assert detect(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16) == "png"
    assert detect(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "jpg"
    assert detect(b"plain text, no signature") is None
    assert detect(b"") is None


@pytest.mark.parametrize(
    ("detected", "allowed", "ok"),
    [
        ("pdf", ["pdf"], True),
        ("jpg", ["jpg"], True),
        ("jpg", ["jpeg"], True),  # the catalogue may say jpeg; the bytes say jpg
        ("png", ["png"], True),
        ("docx", ["docx"], True),
        ("xlsx", ["xlsx"], True),
        ("doc", ["doc"], True),
        ("xls", ["xls"], True),
        ("pdf", ["PDF"], True),  # case does not matter
        ("pdf", [".pdf"], True),  # nor a leading dot
        ("jpg", [".JPEG"], True),
        ("png", [".PNG", ".JPG"], True),
        ("pdf", ["jpg", "png", "pdf"], True),  # any of the allowed types
        ("jpg", ["pdf"], False),
        ("png", ["jpg", "jpeg"], False),
        ("docx", ["doc"], False),  # an old Word file is not a new one, nor the other way round
        ("doc", ["docx"], False),
        ("xls", ["xlsx"], False),
        ("xlsx", ["xls"], False),
        ("exe", ["pdf", "docx"], False),
        ("pdf", [], False),
        (None, ["pdf"], False),  # unknown bytes are never accepted
    ],
)
def test_a_component_accepts_only_its_types(detected, allowed, ok):
    assert accepted(detected, allowed) is ok


def test_a_type_outside_the_table_is_accepted_as_written_with_or_without_a_dot():
    assert accepted("odt", ["odt"]) and accepted("odt", [".ODT"])
    assert not accepted("ods", [".odt"])


def test_every_accepted_type_is_served_with_its_registered_media_type():
    assert MIME == {
        "pdf": "application/pdf",
        "jpg": "image/jpeg",
        "png": "image/png",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "doc": "application/msword",
        "xls": "application/vnd.ms-excel",
    }


def office_file_named_at(end: int) -> bytes:
    """A stored (uncompressed) Word file whose third entry's name, which alone says "Word", ends ``end``
    bytes into the file: ``[Content_Types].xml``, ``_rels/.rels``, then ``word/document.xml``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        # filetype looks for each next entry within 6000 bytes of the one before.
        z.writestr("[Content_Types].xml", b"x" * 3000)
        # Local headers are 30 bytes and the name; filetype reads "word/" at the third header + 30.
        z.writestr("_rels/.rels", b"x" * (end - 35 - (30 + 19 + 3000) - (30 + 11)))
        z.writestr("word/document.xml", b"<w:document/>")
    return buf.getvalue()


def test_the_sniffed_head_holds_all_filetype_looks_at():
    data = office_file_named_at(8192)  # filetype reads at most the first 8192 bytes
    assert data.index(b"word/") + 5 == 8192
    assert detect(data[:SNIFF_BYTES]) == "docx"
    assert detect(data[:8191]) == "zip"  # a byte less, and the Word file is just a zip
