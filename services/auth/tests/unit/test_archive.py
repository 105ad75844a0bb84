"""The data export's archive (adapters/archive.py): JSON lists written item by item, files copied chunk by
chunk, the spool file removed once streamed or when the export fails; a citizen's file name made safe as
a member name (service/rights.py)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime

import pytest

from auth.adapters.archive import Archive, JsonList, stream
from auth.service.rights import _file_name


async def chunks(*parts: bytes):
    for p in parts:
        yield p


async def test_an_archive_is_written_part_by_part_and_removed_once_read(tmp_path) -> None:
    with Archive(str(tmp_path)) as a:
        a.text("README.txt", "Tiếng Việt trước")
        a.json("account.json", {"at": datetime(2026, 12, 4, tzinfo=UTC), "name": "Đặng Thị Mai"})
        with a.open("list.json") as out:
            items = JsonList(out)
            for i in range(3):
                items.add({"n": i})
            items.close()
        with a.open("empty.json") as out:
            JsonList(out).close()
        assert await a.copy("tep/a.bin", chunks(b"ab", b"", b"cd")) == 4
        path = a.finish()
    data = b"".join(stream(path))
    assert not os.path.exists(path)
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.read("README.txt").decode() == "Tiếng Việt trước"
    assert json.loads(z.read("account.json")) == {"at": "2026-12-04T00:00:00+00:00", "name": "Đặng Thị Mai"}
    assert json.loads(z.read("list.json")) == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert json.loads(z.read("empty.json")) == []
    assert z.read("tep/a.bin") == b"abcd"


async def test_a_failed_export_leaves_no_file(tmp_path) -> None:
    with pytest.raises(RuntimeError), Archive(str(tmp_path)) as a:
        a.text("README.txt", "x")
        raise RuntimeError("a service did not answer")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("given", "member"),
    [
        ("tờ khai.pdf", "tờ khai.pdf"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a\\b\x00c\n.png", "a_bc.png"),
        ("", "tep"),
        ("...", "tep"),
        ("x" * 300 + ".pdf", ("x" * 300 + ".pdf")[-120:]),
    ],
)
def test_file_names_become_safe_member_names(given: str, member: str) -> None:
    assert _file_name(given) == member
