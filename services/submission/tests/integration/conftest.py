"""Auth, catalog and submission running in-process against the real servers; the submission service
reaches the other two over HTTP (ASGI transport), as it does through the gateway in production."""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from auth.config import Settings as AuthSettings
from auth.main import create_app as auth_app
from catalog.config import Settings as CatalogSettings
from catalog.domain.model import Procedure
from catalog.main import create_app as catalog_app
from devstack import client as dev
from devstack import samples
from devstack.testing import register_in_process, running
from dvckit.auth import TokenVerifier
from submission.config import Settings as SubmissionSettings
from submission.main import create_app as submission_app

S = "/api/v1/submissions"
PASSWORD = "Ben-Binh-Harbour-1"
_seq = itertools.count(1)


def component(cid: str, name: str, **over: Any) -> dict[str, Any]:
    return {"id": cid, "name": name, "originals": 1, **over}


CATALOG = [
    samples.procedure(
        online_level="full",
        popularity=10,
        components=[
            component("aaaaaaaaaaaa", "Tờ khai thay đổi thông tin cư trú (CT01)", file_types=["pdf"]),
            component("bbbbbbbbbbbb", "Giấy tờ chứng minh chỗ ở hợp pháp", max_bytes=64 * 1024),
            component("cccccccccccc", "Văn bản đồng ý của chủ hộ (nếu có)", required=False),
        ],
    ),
    {
        "code": "2.000815",
        "name": "Chứng thực bản sao từ bản chính",
        "field": "Chứng thực",
        "agencies": ["Sở Tư pháp"],
        "levels": ["city"],
        "online_level": "partial",
        "processing_time": {"value": 1, "unit": "working_day", "text": "1 Ngày làm việc"},
        "fees": [{"name": "Phí chứng thực", "amount": 2000}],
        "components": [component("dddddddddddd", "Bản chính giấy tờ cần chứng thực")],
        "detailed": True,
    },
    {
        "code": "2.000001",
        "name": "Đăng ký tạm trú theo danh sách",
        "field": "Đăng ký, quản lý cư trú",
        "agencies": ["Sở Tư pháp"],
        "levels": ["city"],
        "online_level": "full",
        "components": [
            component("eeeeeeeeeeee", "Tờ khai", group="Hồ sơ cá nhân gồm"),
            component("ffffffffffff", "Văn bản đề nghị kèm danh sách", group="Theo danh sách, hồ sơ gồm"),
            component("111111111111", "Bản khai nhân khẩu", group="Theo danh sách, hồ sơ gồm"),
        ],
        "detailed": True,
    },
    {
        "code": "2.002011",
        "name": "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
        "field": "Thành lập và hoạt động của doanh nghiệp",
        "agencies": ["Sở Tài chính"],
        "levels": ["city"],
        "online_level": "full",
        "audience": "Doanh nghiệp, Doanh nghiệp có vốn đầu tư nước ngoài",
        "audiences": ["business"],
        "components": [component("222222222222", "Thông báo thay đổi nội dung đăng ký doanh nghiệp")],
        "detailed": True,
    },
    {
        "code": "1.001471",
        "name": "Cấp hộ chiếu phổ thông ở trong nước (thực hiện tại cấp trung ương)",
        "field": "Quản lý xuất nhập cảnh",
        "agencies": ["Cục Quản lý xuất nhập cảnh - Bộ Công an"],
        "levels": ["central"],
        "online_level": "full",
        "components": [component("333333333333", "Tờ khai đề nghị cấp hộ chiếu phổ thông")],
        "detailed": True,
    },
    {
        "code": "3.000348",
        "name": "Cấp lại giấy phép lái xe",
        "field": "Đường bộ",
        "agencies": ["Sở Xây dựng"],
        "levels": ["city"],
        "online_level": "none",
    },
]


def pdf(size: int = 2000) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    return body + b"%" + b"x" * max(0, size - len(body) - 7) + b"\n%%EOF\n"


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


class World:
    """The three services, and helpers to act as citizens through them."""

    pdf = staticmethod(pdf)
    png = staticmethod(png)

    def __init__(
        self,
        auth: httpx.AsyncClient,
        catalog: httpx.AsyncClient,
        sub: httpx.AsyncClient,
        make_submission: Any,
    ) -> None:
        self.auth, self.catalog, self.sub = auth, catalog, sub
        self.make_submission = make_submission
        self._admin: dict[str, str] = {}

    async def admin(self) -> dict[str, str]:
        """The first administrator's headers, signed in once for the module (with its second factor: a
        TOTP code works once, so every sign-in of it costs one of the 30-second steps)."""
        if not self._admin:
            tokens, _ = await dev.sign_in(self.auth, "admin", "admin-dev-password", dev.admin_totp_secret())
            self._admin = {"Authorization": f"Bearer {tokens['access_token']}"}
        return self._admin

    async def sign_in(self, username: str, password: str) -> dict[str, str]:
        """A person's headers after the whole sign-in (an officer's enrols its second factor the first
        time)."""
        tokens, _ = await dev.sign_in(self.auth, username, password)
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    async def citizen(self) -> dict[str, Any]:
        n = next(_seq) + 5000
        person = {
            "full_name": "Đặng Thị Mai",
            "citizen_id": f"0312{n:08d}",
            "phone": f"091{n:07d}",
            "email": f"mai{n}@example.vn",
            "password": PASSWORD,
        }
        user = await register_in_process(self.auth, person)
        token = (
            await self.auth.post(
                "/api/v1/auth/login", json={"username": person["phone"], "password": PASSWORD}
            )
        ).json()["access_token"]
        return {**person, "id": user["id"], "h": {"Authorization": f"Bearer {token}"}}

    @staticmethod
    def applicant(p: dict[str, Any]) -> dict[str, Any]:
        return {
            "submitter": {
                "full_name": p["full_name"],
                "citizen_id": p["citizen_id"],
                "date_of_birth": "1990-05-17",
                "phone": p["phone"],
                "email": p["email"],
                "address": "Số 5 Lạch Tray, phường Ngô Quyền, Hải Phòng",
            }
        }

    async def upload(
        self,
        p: dict[str, Any],
        dossier_id: str,
        component_id: str,
        data: bytes,
        name: str = "tờ khai.pdf",
        ctype: str = "application/pdf",
        client: Any = None,
    ) -> httpx.Response:
        return await (client or self.sub).post(
            f"{S}/dossiers/{dossier_id}/attachments",
            headers=p["h"],
            data={"component_id": component_id},
            files={"file": (name, data, ctype)},
        )

    async def draft(
        self,
        p: dict[str, Any],
        code: str = "1.004194",
        agency: str | None = "000.01.G5.H26",
        client: Any = None,
    ) -> dict[str, Any]:
        body = {"procedure_code": code} | ({"agency_code": agency} if agency else {})
        r = await (client or self.sub).post(f"{S}/dossiers", json=body, headers=p["h"])
        assert r.status_code == 201, r.text
        return r.json()

    async def ready(self, p: dict[str, Any], client: Any = None) -> dict[str, Any]:
        """A complete draft of 1.004194: applicant and both required files."""
        c = client or self.sub
        d = await self.draft(p, client=c)
        assert (
            await c.put(f"{S}/dossiers/{d['id']}/applicant", json=self.applicant(p), headers=p["h"])
        ).status_code == 200
        assert (await self.upload(p, d["id"], "aaaaaaaaaaaa", pdf(), client=c)).status_code == 201
        assert (
            await self.upload(p, d["id"], "bbbbbbbbbbbb", png(), "ảnh nhà.png", "image/png", client=c)
        ).status_code == 201
        return d

    async def officer(
        self, agencies: list[str], name: str = "Trần Văn Tiếp", roles: list[str] | None = None
    ) -> dict[str, Any]:
        """An officer of ``agencies`` (by default at the desk, a specialist and a leader at once), created by
        the first administrator (as in production), signed in (enrolled in the second factor)."""
        h = await self.admin()
        n = next(_seq) + 9000
        body = {
            "full_name": name,
            "roles": roles or ["reception", "specialist", "leader"],
            "agencies": agencies,
            "username": f"canbo{n}",
            "password": "Mot-Cua-Officer-7",
        }
        r = await self.auth.post("/api/v1/auth/users", json=body, headers=h)
        assert r.status_code == 201, r.text
        return {"h": await self.sign_in(body["username"], body["password"]), "id": r.json()["id"]}

    async def propose(
        self, who: dict[str, Any], dossier_id: str, outcome: str = "grant", **fields: str
    ) -> httpx.Response:
        """The specialist's proposed result: a PDF and the outcome (a refusal with its reason)."""
        return await self.sub.post(
            f"{S}/dossiers/{dossier_id}/actions/propose",
            headers=who["h"],
            data={"outcome": outcome, **fields},
            files={"file": ("Kết quả.pdf", dev.result_pdf(), "application/pdf")},
        )

    async def decided(self, specialist: dict[str, Any], dossier_id: str) -> dict[str, Any]:
        """Proposed by ``specialist`` (the dossier in processing, theirs) and approved by another leader of
        the agency: the dossier, finished with its signed result."""
        r = await self.propose(specialist, dossier_id)
        assert r.status_code == 200, r.text
        agency = r.json()["agency"]["code"]
        leader = await self.officer([agency], "Lãnh Đạo Duyệt", roles=["leader"])
        r = await self.act(leader, dossier_id, "approve")
        assert r.status_code == 200, r.text
        return r.json()

    async def submitted(self, p: dict[str, Any]) -> dict[str, Any]:
        d = await self.ready(p)
        r = await self.submit(p, d["id"])
        assert r.status_code == 200, r.text
        return r.json()

    async def act(
        self, who: dict[str, Any], dossier_id: str, action: str, body: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.sub.post(
            f"{S}/dossiers/{dossier_id}/actions/{action}",
            json=body or {},
            headers={**who["h"], **kw.pop("headers", {})},
            **kw,
        )

    async def captcha(self, p: dict[str, Any], client: Any = None) -> str:
        r = await (client or self.sub).post(f"{S}/captcha", headers=p["h"])
        assert r.status_code == 201, r.text
        return r.json()["captcha_id"]

    async def submit(
        self, p: dict[str, Any], dossier_id: str, answer: str = "test-captcha", client: Any = None
    ) -> httpx.Response:
        c = client or self.sub
        return await c.post(
            f"{S}/dossiers/{dossier_id}/submit",
            headers=p["h"],
            json={"captcha_id": await self.captcha(p, c), "captcha_answer": answer},
        )


@pytest.fixture(scope="module")
async def world(infra, tmp_path_factory) -> AsyncIterator[World]:
    seed = tmp_path_factory.mktemp("seed") / "seed.jsonl.gz"
    with gzip.open(seed, "wt", encoding="utf-8") as f:
        for p in CATALOG:
            f.write(
                json.dumps(
                    Procedure.model_validate(p).model_dump(mode="json", exclude_none=True), ensure_ascii=False
                )
                + "\n"
            )
    auth_settings = infra.settings(
        AuthSettings, argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1
    )
    a = auth_app(auth_settings)
    c = catalog_app(infra.settings(CatalogSettings, seed_path=Path(seed)))
    stack = contextlib.AsyncExitStack()
    async with stack:
        auth_client = await stack.enter_async_context(running(a))
        auth_client.app = a  # register_in_process reads the codes auth sent
        catalog_client = await stack.enter_async_context(running(c))
        sub_settings = infra.settings(
            SubmissionSettings,
            catalog_url="http://catalog",
            auth_url="http://auth",
            cleanup_interval_seconds=3600,
        )

        async def make_submission(settings: Any = None) -> Any:
            app = submission_app(
                settings or sub_settings,
                transport=httpx.ASGITransport(app=c),
                auth_transport=httpx.ASGITransport(app=a),
            )
            app.state.runtime.tokens = TokenVerifier(
                a.state.keys.jwks, issuer=auth_settings.jwt_issuer, audience=auth_settings.jwt_audience
            )
            client = await stack.enter_async_context(running(app))
            client.app = app
            return client

        sub = await make_submission()
        yield World(auth_client, catalog_client, sub, make_submission)
