"""The audit trail the catalog writes (audit.recorded.v1 through its outbox): administrators' changes of
procedures, agencies (the routing rules' receivers) and the search vocabulary, before → after with the changed
fields only, in the change's transaction; no change without its entry."""

from __future__ import annotations

from typing import Any

from pymongo.errors import ConnectionFailure

from .test_catalog import C, admin, token  # noqa: F401  (admin: a fixture)

AUDIT = "audit.recorded.v1"


async def entries(catalog, **match: Any) -> list[dict[str, Any]]:
    query = {"routing_key": AUDIT} | {f"envelope.data.{k}": v for k, v in match.items()}
    docs = await catalog.app.state.runtime.db.outbox.find(query).sort("created_at", 1).to_list()
    return [d["envelope"]["data"] for d in docs]


async def test_procedure_changes_are_recorded_with_the_changed_fields(catalog, admin):  # noqa: F811
    r = await catalog.put(
        f"{C}/procedures/3.000348/online-level", json={"online_level": "full"}, headers=admin
    )
    assert r.status_code == 200, r.text
    [level] = await entries(catalog, target_id="3.000348", action="procedure.online_level_changed")
    assert level["kind"] == "change" and level["actor"] == "u-admin" and level["actor_roles"] == ["admin"]
    assert level["target_type"] == "procedure"
    assert level["before"] == {"online_level": "none", "version": 1}
    assert level["after"] == {"online_level": "full", "version": 2}

    w = await catalog.post(f"{C}/procedures/1.010028/withdraw", headers=admin)
    assert w.status_code == 200
    [withdrawn] = await entries(catalog, target_id="1.010028", action="procedure.withdrawn")
    assert withdrawn["before"]["status"] == "published" and withdrawn["after"]["status"] == "withdrawn"

    # A whole new version: only what differs is in the entry.
    stored = await catalog.app.state.catalog.procedures.get("1.004222", None)
    body = stored.model_dump(mode="json", exclude={"version", "status", "updated_at"}, exclude_none=True)
    body["name"] = "Đăng ký thường trú (sửa tên)"
    r = await catalog.put(f"{C}/procedures/1.004222", json=body, headers=admin)
    assert r.status_code == 200, r.text
    [changed] = await entries(catalog, target_id="1.004222", action="procedure.changed")
    assert set(changed["after"]) == {"name", "version"} and changed["before"]["name"] == "Đăng ký thường trú"


async def test_agency_and_vocabulary_changes_are_recorded(catalog, admin):  # noqa: F811
    new = {
        "name": "Sở Kiểm toán nội bộ (thử nghiệm)",
        "kind": "department",
        "level": "city",
        "parent_code": "000.00.00.H26",
        "parent_name": "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG",
    }
    made = await catalog.put(f"{C}/agencies/000.00.91.H26", json=new, headers=admin)
    assert made.status_code == 201, made.text
    changed = await catalog.put(
        f"{C}/agencies/000.00.91.H26", json={**new, "short_name": "Sở KTNB"}, headers=admin
    )
    assert changed.status_code == 200
    assert (await catalog.delete(f"{C}/agencies/000.00.91.H26", headers=admin)).status_code == 200
    created, renamed, gone = await entries(catalog, target_id="000.00.91.H26")
    assert created["action"] == "agency.created" and created["before"] is None
    assert created["after"]["name"] == new["name"]
    assert renamed["action"] == "agency.changed"
    assert renamed["before"] == {"short_name": None, "version": 1}
    assert renamed["after"] == {"short_name": "Sở KTNB", "version": 2}
    assert gone["action"] == "agency.deactivated" and gone["after"]["active"] is False

    term = {
        "kind": "everyday",
        "terms": ["giấy kiểm toán xyzzy"],
        "means": ["đăng ký tạm trú"],
        "weight": 0.9,
    }
    assert (await catalog.put(f"{C}/vocabulary/eve-audit-test", json=term, headers=admin)).status_code == 201
    assert (await catalog.delete(f"{C}/vocabulary/eve-audit-test", headers=admin)).status_code == 200
    added, deleted = await entries(catalog, target_id="eve-audit-test")
    assert added["action"] == "term.created" and added["after"]["terms"] == term["terms"]
    assert deleted["action"] == "term.deleted" and deleted["after"] is None
    assert deleted["target_type"] == "vocabulary_term"


async def test_no_change_without_its_entry(catalog, admin, monkeypatch):  # noqa: F811
    async def refuse(session, record):
        raise ConnectionFailure("the audit entry could not be written")

    monkeypatch.setattr(catalog.app.state.runtime.audit, "_add_event", refuse)
    r = await catalog.put(
        f"{C}/procedures/1.002755/online-level", json={"online_level": "full"}, headers=admin
    )
    assert r.status_code == 503
    assert (await catalog.get(f"{C}/procedures/1.002755")).json()["online_level"] == "partial"
    outbox = catalog.app.state.runtime.db.outbox
    assert await outbox.count_documents({"envelope.data.procedure.code": "1.002755"}) == 0
    term = {
        "kind": "everyday",
        "terms": ["giấy không ghi xyzzy"],
        "means": ["đăng ký tạm trú"],
        "weight": 0.9,
    }
    assert (await catalog.put(f"{C}/vocabulary/eve-audit-none", json=term, headers=admin)).status_code == 503
    assert (await catalog.get(f"{C}/vocabulary/eve-audit-none")).status_code == 404
