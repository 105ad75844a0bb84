"""If-Match versions and download headers."""

from __future__ import annotations

import pytest

from dvckit.errors import Problem
from dvckit.httputil import content_disposition, file_response, if_match_version


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("", None), ('"7"', 7), ('W/"7"', 7), ("12", 12), ('"1.004194-v3"', 3), (' "0" ', 0)],
)
def test_if_match_names_a_version(header, version):
    assert if_match_version(header) == version


@pytest.mark.parametrize("header", ['"abc"', '"7', "v", "*", '"1.004194-v"'])
def test_a_malformed_if_match_is_a_400(header):
    with pytest.raises(Problem) as e:
        if_match_version(header)
    assert e.value.status == 400 and e.value.code == "bad-if-match"


def test_a_download_keeps_its_vietnamese_name_and_is_never_cached_or_sniffed():
    assert content_disposition('Tờ khai "CT01".pdf') == (
        "attachment; filename=\"T? khai 'CT01'.pdf\"; filename*=UTF-8''T%E1%BB%9D%20khai%20%22CT01%22.pdf"
    ).replace("T? khai", "T_ khai")
    r = file_response(iter([]), media_type="application/pdf", size=10, filename="a.pdf")  # type: ignore[arg-type]
    assert (
        r.headers["cache-control"] == "private, no-store" and r.headers["x-content-type-options"] == "nosniff"
    )
    assert r.headers["content-length"] == "10" and r.media_type == "application/pdf"
