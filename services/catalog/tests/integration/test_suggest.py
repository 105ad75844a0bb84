"""GET /suggest: public, cacheable, prefix matching with and without diacritics, and it follows the
catalogue when an administrator withdraws a procedure."""

from __future__ import annotations

from .test_catalog import C, admin  # noqa: F401  (the admin fixture)


async def test_suggestions_as_you_type(catalog):
    r = await catalog.get(f"{C}/suggest", params={"q": "dang ky t"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["code"], i["name"]) for i in items[:2]] == [
        ("1.004194", "Đăng ký tạm trú"),
        ("1.004222", "Đăng ký thường trú"),
    ]
    # The English name the search gives: curated for the most-used procedures (data/names_en.json)...
    assert items[0]["name_en"] == "Temporary residence registration"
    assert [i["code"] for i in items] == [
        i["code"] for i in (await catalog.get(f"{C}/suggest", params={"q": "Đăng ký t"})).json()["items"]
    ]
    # The last word a prefix, the earlier ones whole; popularity first.
    got = (await catalog.get(f"{C}/suggest", params={"q": "tạm tr"})).json()["items"]
    assert [i["code"] for i in got] == ["1.004194", "1.002755", "1.010028"]
    one = (await catalog.get(f"{C}/suggest", params={"q": "giay phep lai", "limit": 1})).json()["items"]
    assert [(i["code"], i["name"]) for i in one] == [("3.000348", "Cấp lại giấy phép lái xe")]


async def test_terms_people_type_are_suggested_in_the_catalogues_words(catalog):
    """An abbreviation, a borrowed or everyday word or an English term, typed whole, suggests the names
    that say it otherwise; a prefix of one is still being typed and suggests nothing of the kind."""

    for q in ["gplx", "GPLX ", "bằng lái", "driving licence", "cap lai gplx"]:
        r = await catalog.get(f"{C}/suggest", params={"q": q})
        assert r.status_code == 200
        assert [i["code"] for i in r.json()["items"]] == ["3.000348"], q
    assert (await catalog.get(f"{C}/suggest", params={"q": "gpl"})).json()["items"] == []
    # What the names say literally comes first; the expansion only fills the rest.
    both = (await catalog.get(f"{C}/suggest", params={"q": "tam tr"})).json()["items"]
    assert [i["code"] for i in both] == ["1.004194", "1.002755", "1.010028"]


async def test_too_little_is_an_empty_list_and_bad_parameters_are_problems(catalog):
    for q in ["", "d", " đ "]:
        r = await catalog.get(f"{C}/suggest", params={"q": q})
        assert r.status_code == 200 and r.json() == {"items": []}, q
    for params in [{}, {"q": "x" * 101}, {"q": "dang", "limit": 0}, {"q": "dang", "limit": 21}]:
        r = await catalog.get(f"{C}/suggest", params=params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


async def test_cacheable(catalog):
    r = await catalog.get(f"{C}/suggest", params={"q": "khai"})
    assert "public" in r.headers["cache-control"] and r.headers["etag"].startswith('W/"sg-')
    again = await catalog.get(
        f"{C}/suggest", params={"q": "khai"}, headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    other = await catalog.get(f"{C}/suggest", params={"q": "khai s"})
    assert other.headers["etag"] != r.headers["etag"]


async def test_a_withdrawn_procedure_is_no_longer_suggested(catalog, admin):  # noqa: F811
    before = await catalog.get(f"{C}/suggest", params={"q": "xoa dang"})
    assert [i["code"] for i in before.json()["items"]] == ["1.010028"]
    w = await catalog.post(f"{C}/procedures/1.010028/withdraw", headers=admin)
    assert w.status_code == 200, w.text
    after = await catalog.get(f"{C}/suggest", params={"q": "xoa dang"})
    assert after.json() == {"items": []} and after.headers["etag"] != before.headers["etag"]
