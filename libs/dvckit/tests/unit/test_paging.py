"""Cursor pagination (dvckit.paging) and ETags (dvckit.etag): the codec, its checks, the route helpers."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

from dvckit import errors, etag, paging
from dvckit.errors import Problem

SCOPE = "/api/v1/things?status=open"


def test_a_cursor_round_trips_its_offset_and_key() -> None:
    c = paging.encode(SCOPE, 40, ["2026-01-01", "abc"])
    assert paging.decode(SCOPE, c) == (40, ["2026-01-01", "abc"])
    assert paging.decode(SCOPE, paging.encode(SCOPE, 7)) == (7, None)
    assert all(ch.isalnum() or ch in "-_." for ch in c)  # base64url: safe in a query string


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "x",
        "not-base64!!",
        "e30.AAAA",  # "{}" with a wrong tag
        "." * 3000,
        paging.encode("/api/v1/other", 20),  # another list's
        paging.encode("/api/v1/things?status=closed", 20),  # other filters
    ],
)
def test_a_bad_cursor_is_a_400_bad_cursor(cursor: str) -> None:
    with pytest.raises(Problem) as got:
        paging.decode(SCOPE, cursor)
    assert got.value.status == 400 and got.value.code == "bad-cursor"


def test_an_altered_cursor_is_refused() -> None:
    c = paging.encode(SCOPE, 20)
    _, tag = c.split(".")
    forged = paging._b64(b'{"o":999}')
    with pytest.raises(Problem):
        paging.decode(SCOPE, f"{forged}.{tag}")
    with pytest.raises(Problem):  # a negative or non-integer offset, even with a right tag
        bad = b'{"o":-5}'
        paging.decode(SCOPE, f"{paging._b64(bad)}.{paging._b64(paging._tag(SCOPE, bad))}")


def test_a_window_slices_a_list_ranked_in_memory() -> None:
    w = paging.Window(size=3, skip=3, scope=SCOPE)
    assert w.slice(list(range(8))) == [3, 4, 5] and w.more and w.page == 2
    nxt = w.next_cursor(3)
    assert nxt is not None and paging.decode(SCOPE, nxt) == (6, None)
    last = paging.Window(size=3, skip=6, scope=SCOPE)
    assert last.slice(list(range(8))) == [6, 7] and last.next_cursor(2) is None


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)
    things = [{"n": i} for i in range(7)]

    @app.get("/things")
    async def listing(
        p: paging.Paged,
        cond: etag.Conditioned,
        status: str = "open",
        page: Annotated[int, Query(ge=1)] = 1,
        size: int = 5,
    ) -> object:
        w = p.window(page=page, size=size)
        body = {"items": w.slice(things), "total": len(things), "page": w.page, "size": w.size}
        return cond.answer(p.finish(w, body))

    return app


def test_a_client_walks_a_list_by_cursor_and_link_and_sees_every_item_once() -> None:
    http = TestClient(_app())
    seen: list[int] = []
    r = http.get("/things", params={"limit": 3, "status": "open"})
    while True:
        assert r.status_code == 200
        body = r.json()
        seen += [i["n"] for i in body["items"]]
        if body["next_cursor"] is None:
            assert "link" not in r.headers
            break
        link = r.headers["link"]
        assert link.endswith('>; rel="next"') and "status=open" in link and "limit=3" in link
        r = http.get(link[1 : link.index(">")])  # the Link target is the next page
    assert seen == list(range(7))
    # page/size still work as before.
    assert [i["n"] for i in http.get("/things", params={"page": 2, "size": 5}).json()["items"]] == [5, 6]


def test_a_cursor_sent_with_other_filters_is_a_problem() -> None:
    http = TestClient(_app())
    nxt = http.get("/things", params={"limit": 2}).json()["next_cursor"]
    r = http.get("/things", params={"limit": 2, "cursor": nxt, "status": "closed"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "bad-cursor"


def test_an_unchanged_answer_is_a_304_and_a_changed_one_is_not() -> None:
    http = TestClient(_app())
    r = http.get("/things")
    tag = r.headers["etag"]
    assert tag.startswith('W/"') and r.headers["cache-control"] == "private, no-cache"
    assert r.headers["vary"] == "Authorization, Accept-Language"
    again = http.get("/things", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert http.get("/things", headers={"If-None-Match": f'"other", {tag}'}).status_code == 304
    other = http.get("/things", params={"size": 2}, headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    assert etag.matches("*", tag) and not etag.matches(None, tag) and not etag.matches('W/"x"', tag)
