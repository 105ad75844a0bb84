"""Every kind of applicant: a business files a business procedure through its legal representative, a
person files for a business or another person with an authorisation, and a procedure refuses an owner of a
kind its "đối tượng thực hiện" does not admit."""

from __future__ import annotations

from .conftest import S

BUSINESS_PROCEDURE = "2.002011"  # audience: Doanh nghiệp (conftest.CATALOG)
AGENCY = "000.00.07.H26"  # Sở Tài chính


def business(rep: dict) -> dict:
    return {
        "kind": "business",
        "name": "Công ty TNHH Cảng Xanh Hải Phòng",
        "tax_code": "0201234567",
        "representative": {
            "full_name": rep["full_name"],
            "position": "Giám đốc",
            "citizen_id": rep["citizen_id"],
        },
        "phone": "0225 3842 111",
        "email": "lienhe@cangxanh.example.vn",
        "address": "Số 2 Lạch Tray, phường Ngô Quyền, Hải Phòng",
    }


async def test_a_business_files_a_business_procedure_through_its_representative(world):
    p = await world.citizen()
    d = await world.draft(p, code=BUSINESS_PROCEDURE, agency=AGENCY)
    put = lambda body: world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=body, headers=p["h"])  # noqa: E731
    # The citizen as owner: a business procedure is not theirs to own; nothing is stored.
    r = await put(world.applicant(p))
    assert r.status_code == 422 and r.json()["code"] == "applicant-kind-not-allowed", r.text
    assert r.json()["allowed"] == ["business"]
    assert (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()["applicant"] is None
    # The business, represented at law by the submitter: no authorisation needed.
    body = world.applicant(p) | {"owner": business(p)}
    r = await put(body)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["applicant"]["owner"]["kind"] == "business"
    assert "authorization" not in {c["id"] for c in saved["procedure"]["components"]}
    assert (await world.upload(p, d["id"], "222222222222", world.pdf())).status_code == 201
    done = await world.submit(p, d["id"])
    assert done.status_code == 200, done.text
    officer = await world.officer([AGENCY])
    queue = (
        await world.sub.get(f"{S}/officer/dossiers", params={"q": "0201234567"}, headers=officer["h"])
    ).json()
    (item,) = queue["items"]
    assert (item["applicant_name"], item["applicant_kind"]) == (
        "Công ty TNHH Cảng Xanh Hải Phòng",
        "business",
    )


async def test_filing_on_behalf_needs_an_authorisation_and_filing_for_oneself_drops_it(world):
    p = await world.citizen()
    d = await world.draft(p, code=BUSINESS_PROCEDURE, agency=AGENCY)
    someone = {"full_name": "Vũ Văn Giám", "citizen_id": "031088001111"}
    body = world.applicant(p) | {"owner": business(someone)}
    r = await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=body, headers=p["h"])
    assert r.status_code == 200, r.text
    auth = next(c for c in r.json()["procedure"]["components"] if c["id"] == "authorization")
    assert auth["required"] is True and auth["name"].startswith("Văn bản ủy quyền")
    assert (await world.upload(p, d["id"], "222222222222", world.pdf())).status_code == 201
    blocked = await world.submit(p, d["id"])
    assert blocked.status_code in (409, 422), blocked.text
    assert "component:authorization" in {m["item"] for m in blocked.json()["missing"]}
    assert (await world.upload(p, d["id"], "authorization", world.pdf())).status_code == 201
    assert (await world.submit(p, d["id"])).status_code == 200


async def test_the_authorisation_goes_when_the_submitter_files_for_themself(world):
    p = await world.citizen()
    d = await world.draft(p, code="1.004194")
    other = world.applicant(p)["submitter"] | {"full_name": "Lê Thị Tám", "citizen_id": "031077002222"}
    r = await world.sub.put(
        f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(p) | {"owner": other}, headers=p["h"]
    )
    assert "authorization" in {c["id"] for c in r.json()["procedure"]["components"]}
    r = await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(p), headers=p["h"])
    assert r.status_code == 200
    assert "authorization" not in {c["id"] for c in r.json()["procedure"]["components"]}
    assert "component:authorization" not in {m["item"] for m in r.json()["missing"]}


async def verified(world, level: int = 2) -> dict:
    """A citizen whose identity VNeID verified (the sign-in itself is auth's tests': here the account is
    marked as that sign-in leaves it), signed in again so the token says so."""
    p = await world.citizen()
    users = world.auth.app.state.runtime.db.users
    await users.update_one({"_id": p["id"]}, {"$set": {"identity_level": level}})
    login = {"username": p["phone"], "password": p["password"]}
    token = (await world.auth.post("/api/v1/auth/login", json=login)).json()["access_token"]
    return {**p, "h": {"Authorization": f"Bearer {token}"}}


async def test_only_a_verified_identity_files_where_the_setting_asks_for_one(world):
    # Another replica of the same service (same database), set to take verified identities only.
    settings = world.sub.app.state.runtime.settings.model_copy(update={"min_identity_level": 1})
    strict = await world.make_submission(settings)
    typed = await world.citizen()
    r = await strict.post(f"{S}/dossiers", json={"procedure_code": "1.004194"}, headers=typed["h"])
    assert r.status_code == 403 and r.json()["code"] == "identity-not-verified"
    assert r.json()["title"].startswith("Cần đăng nhập bằng tài khoản định danh điện tử VNeID")
    assert (await strict.get(f"{S}/dossiers", headers=typed["h"])).json()["total"] == 0  # nothing made
    # A draft made before the setting (or on a laxer replica) cannot be submitted either.
    d = await world.draft(typed)
    assert (
        await world.sub.put(
            f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(typed), headers=typed["h"]
        )
    ).status_code == 200
    captcha = (await strict.post(f"{S}/captcha", headers=typed["h"])).json()["captcha_id"]
    r = await strict.post(
        f"{S}/dossiers/{d['id']}/submit",
        json={"captcha_id": captcha, "captcha_answer": "x"},
        headers=typed["h"],
    )
    assert r.status_code == 403 and r.json()["code"] == "identity-not-verified"
    me = await verified(world, level=1)
    assert (await world.draft(me, client=strict))["prefill"]["identity_level"] == 1


async def test_a_verified_submitter_is_the_account_holder_and_files_for_others_as_owners(world):
    me = await verified(world)
    d = await world.draft(me)
    assert d["prefill"]["citizen_id"] == me["citizen_id"] and d["prefill"]["identity_level"] == 2
    put = lambda body: world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=body, headers=me["h"])  # noqa: E731
    someone = world.applicant(me)["submitter"] | {"full_name": "Lê Thị Tám", "citizen_id": "031077003333"}
    r = await put({"submitter": someone})
    assert r.status_code == 422 and r.json()["code"] == "submitter-not-verified"
    assert me["citizen_id"] in r.json()["detail"]
    assert (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=me["h"])).json()["applicant"] is None
    # For someone else: they are the owner, the verified holder the submitter, with an authorisation.
    r = await put(world.applicant(me) | {"owner": someone})
    assert r.status_code == 200, r.text
    assert "authorization" in {c["id"] for c in r.json()["procedure"]["components"]}
    assert (await put(world.applicant(me))).status_code == 200
